"""Data models: each saved model is a partition of ``data_model_tables``, its table in
models_p<project>; ``refresh_model_job`` builds one; sensors rebuild the models reading a
source after its ingestion, and the models reading a model after its build. After a
build, a model that has AI insights gets their facts recomputed (``dra.insights``).

Lineage. The asset sits downstream of ``raw_source_tables`` in the graph, but a model's
partition maps to none of the source partitions statically: which sources a model reads
is data (app.data_model_sources, set when it is saved), which Dagster's built-in
partition mappings cannot express, and the Dagster UI ignores custom ones (it would draw
source N -> model N). The former ``AllPartitionMapping`` made every model depend on
every source of every project. Each build records what it read instead: ``sources``
(the ``raw_source_tables`` partitions), ``reads`` (the tables, other models included).
"""

import dagster as dg
from sqlalchemy import select

from assets.ingestion import raw_source_tables
from dra.errors import DraError
from dra.insights.service import refresh_facts
from dra.modeling.errors import ModelingError
from dra.modeling.materialize import materialize_model
from dra.modeling.service import (
    first_to_refresh,
    model_ids,
    models_reading_model,
    models_reading_source,
)
from orchestration.requests import RequestTargets, request_executor
from orchestration.resources import PlatformResource

data_models_partitions = dg.DynamicPartitionsDefinition(name="data_models")
MODEL_TARGETS = RequestTargets(data_models_partitions, model_ids)
NO_SOURCE_PARTITION = dg.SpecificPartitionsPartitionMapping([])
"""A model's partition depends on no source partition statically (see the module's doc)."""


def model_source_ids(platform: PlatformResource, model_id: int) -> list[int]:
    """The data sources a model reads (its ``raw_source_tables`` partitions)."""
    from dra.models import DataModelSource

    with platform.database.system_session() as s:
        return sorted(
            s.scalars(
                select(DataModelSource.data_source_id).where(
                    DataModelSource.data_model_id == model_id
                )
            )
        )


@dg.asset(
    partitions_def=data_models_partitions,
    group_name="data_models",
    kinds={"postgres"},
    deps=[dg.AssetDep(raw_source_tables, partition_mapping=NO_SOURCE_PARTITION)],
    description="One data model (partition = model id), built as a table in the project's "
    "models schema (the query runs as the project's database role, within "
    "DRA_MODEL_BUILD_TIMEOUT_SECONDS) and swapped in atomically. Each build's metadata "
    "names the source partitions (sources) and tables (reads) it read.",
)
def data_model_tables(
    context: dg.AssetExecutionContext, platform: PlatformResource
) -> dg.MaterializeResult:
    model_id = int(context.partition_key)
    try:
        outcome = materialize_model(
            platform.database,
            model_id,
            timeout_seconds=platform.settings.model_build_timeout_seconds,
        )
    except ModelingError as exc:
        # The previous table stays; the model shows this error on its page (a build that
        # ran past DRA_MODEL_BUILD_TIMEOUT_SECONDS included).
        raise dg.Failure(description=f"Data model #{model_id}: {exc.message}") from None
    context.log.info(
        f"data model #{model_id}: {outcome.rows} rows into "
        f"{outcome.schema}.{outcome.table} (version {outcome.version})"
    )
    facts = refresh_insight_facts(context, platform, model_id)
    return dg.MaterializeResult(
        metadata={
            "table": f"{outcome.schema}.{outcome.table}",
            "rows": outcome.rows,
            "version": outcome.version,
            "sources": ", ".join(str(i) for i in model_source_ids(platform, model_id)),
            "reads": ", ".join(outcome.tables_read),
            **({"insight_facts": facts} if facts is not None else {}),
        }
    )


def refresh_insight_facts(context, platform: PlatformResource, model_id: int) -> int | None:
    """After the build, a model that has insights gets its facts recomputed for the new
    version (SQL only; the narrative is regenerated on request). A failure here is
    logged and never fails the build. The number of facts, or None when not computed."""
    try:
        facts = refresh_facts(
            platform.database,
            model_id,
            timeout_ms=platform.settings.model_build_timeout_seconds * 1000,
        )
    except DraError as exc:
        context.log.warning(f"data model #{model_id}: insight facts not recomputed: {exc}")
        return None
    if facts is None:
        return None
    context.log.info(
        f"data model #{model_id}: {len(facts.facts)} insight facts recomputed for version "
        f"{facts.model_version} in {facts.elapsed_ms:.0f} ms ({facts.statements} queries)"
    )
    return len(facts.facts)


refresh_model_job = dg.define_asset_job(
    "refresh_model_job",
    selection=dg.AssetSelection.assets(data_model_tables),
    executor_def=request_executor,
    description="Rebuild one data model's table (partition = data model id), then its "
    "quality checks.",
)
REQUEST_TARGETS = {refresh_model_job.name: MODEL_TARGETS}


# --------------------------------------------------------------------------------- sensors
def _refresh_after(
    context: dg.SensorEvaluationContext,
    upstream: dg.AssetKey,
    readers,
    first_ones,
    run_key_prefix: str,
) -> dg.SensorResult:
    """One run per model reading a newly materialized partition of ``upstream``.

    The cursor is the storage id of the last materialization seen, so each one
    triggers its readers once. ``first_ones`` keeps the readers that read none of the
    others: a model reading another one is rebuilt after it, by the model sensor.
    """
    after = int(context.cursor) if context.cursor else None
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=upstream, after_storage_id=after),
        limit=100,
        ascending=True,
    ).records
    if not records:
        return dg.SensorResult(skip_reason="nothing new was built")
    latest: dict[int, int] = {}  # model -> newest upstream build it follows (one run each)
    for record in records:
        if record.partition_key is None:
            continue
        for model_id in readers(int(record.partition_key)):
            latest[model_id] = max(latest.get(model_id, 0), record.storage_id)
    first = first_ones(sorted(latest))
    known = set(context.instance.get_dynamic_partitions(data_models_partitions.name))
    new = [str(m) for m in first if str(m) not in known]
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=f"{run_key_prefix}-{latest[model_id]}-{model_id}",
                partition_key=str(model_id),
            )
            for model_id in first
        ],
        cursor=str(records[-1].storage_id),
        dynamic_partitions_requests=[data_models_partitions.build_add_request(new)] if new else [],
    )


def _refresh_sensor(name: str, description: str, upstream: dg.AssetKey, readers, prefix: str):
    """A sensor rebuilding, after each build of ``upstream``, the models ``readers`` names."""

    @dg.sensor(
        job=refresh_model_job,
        name=name,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=description,
    )
    def _sensor(context: dg.SensorEvaluationContext, platform: PlatformResource) -> dg.SensorResult:
        return _refresh_after(
            context,
            upstream,
            lambda key: readers(platform.database, key),
            lambda model_ids: first_to_refresh(platform.database, model_ids),
            prefix,
        )

    return _sensor


model_refresh_after_ingest_sensor = _refresh_sensor(
    "model_refresh_after_ingest_sensor",
    "After a data source is ingested, rebuild the data models that read it (a model "
    "that also reads one of those models waits for it).",
    raw_source_tables.key,
    models_reading_source,
    "after-ingest",
)
model_refresh_after_model_sensor = _refresh_sensor(
    "model_refresh_after_model_sensor",
    "After a data model is rebuilt, rebuild the data models that read its table, so "
    "that models built on models are never older than what they read.",
    data_model_tables.key,
    models_reading_model,
    "after-model",
)


def definitions() -> dg.Definitions:
    """The data models' asset, refresh job and sensors (their quality checks: assets/quality.py)."""
    return dg.Definitions(
        assets=[data_model_tables],
        jobs=[refresh_model_job],
        sensors=[model_refresh_after_ingest_sensor, model_refresh_after_model_sensor],
    )
