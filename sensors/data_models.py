"""Rebuild data models after the sources they read were ingested."""

import dagster as dg

from assets.ingestion import raw_source_tables
from dra.modeling.service import models_reading_source
from orchestration.resources import PlatformResource

DATA_MODELS_PARTITIONS = "data_models"


def build_model_refresh_sensor(job) -> dg.SensorDefinition:
    """Each new materialization of a source partition queues a run per model reading it.

    The cursor is the storage id of the last materialization seen, so each ingestion
    triggers its models once.
    """

    @dg.sensor(
        job=job,
        name="model_refresh_after_ingest_sensor",
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="After a data source is ingested, rebuild the data models that read it.",
    )
    def model_refresh_after_ingest_sensor(
        context: dg.SensorEvaluationContext, platform: PlatformResource
    ) -> dg.SensorResult:
        after = int(context.cursor) if context.cursor else None
        records = context.instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=raw_source_tables.key, after_storage_id=after),
            limit=100,
            ascending=True,
        ).records
        if not records:
            return dg.SensorResult(skip_reason="no new ingestion")
        known = set(context.instance.get_dynamic_partitions(DATA_MODELS_PARTITIONS))
        latest: dict[str, int] = {}  # model -> newest ingestion it follows (one run each)
        for record in records:
            if record.partition_key is None:
                continue
            for model_id in models_reading_source(platform.database, int(record.partition_key)):
                latest[str(model_id)] = max(latest.get(str(model_id), 0), record.storage_id)
        new = [key for key in latest if key not in known]
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(run_key=f"after-ingest-{storage_id}-{key}", partition_key=key)
                for key, storage_id in sorted(latest.items(), key=lambda i: int(i[0]))
            ],
            cursor=str(records[-1].storage_id),
            dynamic_partitions_requests=[
                dg.AddDynamicPartitionsRequest(DATA_MODELS_PARTITIONS, sorted(new, key=int))
            ]
            if new
            else [],
        )

    return model_refresh_after_ingest_sensor
