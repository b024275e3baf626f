"""The one Definitions object of the platform."""

import dagster as dg

from assets.attribution import (
    attribution_daily_job,
    attribution_daily_schedule,
    attribution_event_partitions,
    attribution_report,
    attribution_report_job,
)
from assets.backups import build_backup_asset, restore_job
from assets.data_models import data_model_tables, data_models_partitions
from assets.dbt import build_dbt_assets
from assets.ingestion import all_sources_refreshed, data_sources_partitions, raw_source_tables
from assets.quality import (
    build_mart_soda_checks,
    clean_model_job,
    cleaned_model_tables,
    quality_checks,
    quality_report_job,
)
from dra.modeling.service import model_ids
from orchestration.accounts import account_deletion_job, build_account_deletion_schedule
from orchestration.jobs import backup_job, daily_ingest_job, ingest_source_job, refresh_model_job
from orchestration.mail import build_email_outbox_schedule, email_outbox_job
from orchestration.resources import build_resources
from orchestration.schedules import build_daily_ingest_schedule
from sensors.backups import scheduled_backup_sensor
from sensors.data_models import build_model_refresh_sensors
from sensors.requests import (
    build_request_sensor,
    pipeline_request_started,
    pipeline_request_succeeded,
    pipeline_run_failed,
)

# Every job the request sensor may launch (dra.pipeline_requests.JOB_FOR_KIND names them).
REQUEST_JOBS = [
    ingest_source_job,
    backup_job,
    restore_job,
    refresh_model_job,
    attribution_report_job,
]
# Partitioned request kinds whose partitions are not the data sources'.
REQUEST_PARTITIONS = {"refresh_model": (data_models_partitions.name, model_ids)}
# Data quality: profiling + Soda checks on a model, and its cleaned layer.
REQUEST_JOBS += [quality_report_job, clean_model_job]
REQUEST_PARTITIONS |= {
    kind: (data_models_partitions.name, model_ids) for kind in ("quality_report", "quality_clean")
}


def build_definitions() -> dg.Definitions:
    return dg.Definitions(
        assets=[
            build_dbt_assets(),
            attribution_report,
            attribution_event_partitions,
            raw_source_tables,
            all_sources_refreshed,
            build_backup_asset(),
            data_model_tables,
            cleaned_model_tables,
        ],
        asset_checks=[*quality_checks, *build_mart_soda_checks()],
        jobs=[
            attribution_report_job,
            attribution_daily_job,
            ingest_source_job,
            daily_ingest_job,
            backup_job,
            restore_job,
            refresh_model_job,
            email_outbox_job,
            account_deletion_job,
        ],
        schedules=[
            attribution_daily_schedule,
            build_daily_ingest_schedule(),
            build_email_outbox_schedule(),
            build_account_deletion_schedule(),
        ],
        sensors=[
            build_request_sensor(
                data_sources_partitions.name,
                jobs=REQUEST_JOBS,
                partitions_for_kind=REQUEST_PARTITIONS,
            ),
            *build_model_refresh_sensors(refresh_model_job),
            pipeline_request_started,
            pipeline_request_succeeded,
            pipeline_run_failed,
            scheduled_backup_sensor,
        ],
        resources=build_resources(),
    )


defs = build_definitions()
