"""Data-model assets: each saved model is a partition; its table lives in models_p<project>.

Each partition depends on the ingested source tables, so the Dagster UI shows lineage
from sources to models. A model is rebuilt on request (UC-DM-04, the request sensor),
after an ingestion of a source it reads (``model_refresh_after_ingest_sensor``) and
after a rebuild of another model it reads (``model_refresh_after_model_sensor``; which
models a model reads is kept in app.data_model_inputs and shown as "reads" metadata).
"""

import dagster as dg

from assets.ingestion import raw_source_tables
from dra.modeling.errors import ModelingError
from dra.modeling.materialize import materialize_model
from orchestration.resources import PlatformResource

data_models_partitions = dg.DynamicPartitionsDefinition(name="data_models")


@dg.asset(
    partitions_def=data_models_partitions,
    group_name="data_models",
    kinds={"postgres"},
    deps=[dg.AssetDep(raw_source_tables, partition_mapping=dg.AllPartitionMapping())],
    description="One data model (partition = model id), built as a table in the project's "
    "models schema (the query runs as the project's database role, within "
    "DRA_MODEL_BUILD_TIMEOUT_SECONDS) and swapped in atomically.",
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
    return dg.MaterializeResult(
        metadata={
            "table": f"{outcome.schema}.{outcome.table}",
            "rows": outcome.rows,
            "version": outcome.version,
            "reads": ", ".join(outcome.tables_read),
        }
    )
