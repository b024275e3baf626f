"""Jobs. ``JOB_FOR_KIND`` in dra.pipeline_requests names them for the request sensor."""

import dagster as dg

from assets.data_models import data_model_tables
from assets.ingestion import all_sources_refreshed, raw_source_tables

ingest_source_job = dg.define_asset_job(
    "ingest_source_job",
    selection=dg.AssetSelection.assets(raw_source_tables),
    description="Ingest one data source (partition = data source id).",
)

daily_ingest_job = dg.define_asset_job(
    "daily_ingest",
    selection=dg.AssetSelection.assets(all_sources_refreshed),
    description="Refresh every active source of every project; logs rows processed per source.",
)

backup_job = dg.define_asset_job(
    "backup_job",
    selection=dg.AssetSelection.keys("database_backup"),
    description="Back up the platform database (pg_dump + metadata ZIP), then prove it restores.",
)

refresh_model_job = dg.define_asset_job(
    "refresh_model_job",
    selection=dg.AssetSelection.assets(data_model_tables),
    description="Rebuild one data model's table (partition = data model id).",
)
