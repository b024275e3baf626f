"""The one Definitions object of the platform."""

import dagster as dg

from assets.backups import build_backup_asset, restore_job
from assets.ingestion import all_sources_refreshed, data_sources_partitions, raw_source_tables
from orchestration.jobs import backup_job, daily_ingest_job, ingest_source_job
from orchestration.resources import build_resources
from orchestration.schedules import build_daily_ingest_schedule
from sensors.backups import scheduled_backup_sensor
from sensors.requests import (
    build_request_sensor,
    pipeline_request_started,
    pipeline_request_succeeded,
    pipeline_run_failed,
)


# Every job the request sensor may launch (dra.pipeline_requests.JOB_FOR_KIND names them).
REQUEST_JOBS = [ingest_source_job, backup_job, restore_job]


def build_definitions() -> dg.Definitions:
    return dg.Definitions(
        assets=[raw_source_tables, all_sources_refreshed, build_backup_asset()],
        jobs=[ingest_source_job, daily_ingest_job, backup_job, restore_job],
        schedules=[build_daily_ingest_schedule()],
        sensors=[
            build_request_sensor(data_sources_partitions.name, jobs=REQUEST_JOBS),
            pipeline_request_started,
            pipeline_request_succeeded,
            pipeline_run_failed,
            scheduled_backup_sensor,
        ],
        resources=build_resources(),
    )


defs = build_definitions()
