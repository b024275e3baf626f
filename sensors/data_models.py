"""Rebuild data models after what they read was rebuilt: a source, or another model."""

import dagster as dg

from assets.data_models import data_model_tables
from assets.ingestion import raw_source_tables
from dra.modeling.service import first_to_refresh, models_reading_model, models_reading_source
from orchestration.resources import PlatformResource

DATA_MODELS_PARTITIONS = "data_models"


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
    known = set(context.instance.get_dynamic_partitions(DATA_MODELS_PARTITIONS))
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
        dynamic_partitions_requests=[dg.AddDynamicPartitionsRequest(DATA_MODELS_PARTITIONS, new)]
        if new
        else [],
    )


def _refresh_sensor(job, name: str, description: str, upstream: dg.AssetKey, readers, prefix: str):
    """A sensor rebuilding, after each build of ``upstream``, the models ``readers`` names."""

    @dg.sensor(
        job=job,
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


def build_model_refresh_sensors(job) -> list[dg.SensorDefinition]:
    """After an ingestion, its source's models; after a model build, the models reading it."""
    return [
        _refresh_sensor(
            job,
            "model_refresh_after_ingest_sensor",
            "After a data source is ingested, rebuild the data models that read it (a model "
            "that also reads one of those models waits for it).",
            raw_source_tables.key,
            models_reading_source,
            "after-ingest",
        ),
        _refresh_sensor(
            job,
            "model_refresh_after_model_sensor",
            "After a data model is rebuilt, rebuild the data models that read its table, so "
            "that models built on models are never older than what they read.",
            data_model_tables.key,
            models_reading_model,
            "after-model",
        ),
    ]
