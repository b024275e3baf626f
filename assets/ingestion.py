"""Ingestion: each data source is a partition of ``raw_source_tables`` (one raw table per
source table); ``ingest_source_job`` loads one for a web request, ``daily_ingest`` all."""

import dagster as dg

from dra.ingestion.service import SourceGone, active_source_ids, ingest_all_active, ingest_source
from orchestration.requests import RequestTargets, request_executor
from orchestration.resources import PlatformResource
from orchestration.schedules import cron_schedule

data_sources_partitions = dg.DynamicPartitionsDefinition(name="data_sources")
SOURCE_TARGETS = RequestTargets(data_sources_partitions, active_source_ids, add_all=True)


@dg.asset(
    partitions_def=data_sources_partitions,
    group_name="ingestion",
    kinds={"postgres"},
    description="The tables of one data source, loaded into the project's raw schema.",
)
def raw_source_tables(
    context: dg.AssetExecutionContext, platform: PlatformResource
) -> dg.MaterializeResult:
    try:
        outcome = ingest_source(
            platform.database, platform.settings, int(context.partition_key), log=context.log.info
        )
    except SourceGone as exc:
        # Deleted before or during the run: nothing to load and nothing left behind.
        context.log.warning(f"{exc} Nothing was loaded.")
        return dg.MaterializeResult(metadata={"rows": 0, "tables": "-", "deleted": True})
    return dg.MaterializeResult(metadata=outcome.metadata())


@dg.asset(
    group_name="ingestion",
    kinds={"postgres"},
    description="Refresh of every active data source of every project (the daily run).",
)
def all_sources_refreshed(
    context: dg.AssetExecutionContext, platform: PlatformResource
) -> dg.MaterializeResult:
    known = set(context.instance.get_dynamic_partitions(data_sources_partitions.name))
    summary = ingest_all_active(platform.database, platform.settings, log=context.log.info)
    for outcome in summary.outcomes:
        key = str(outcome.source_id)
        if outcome.ok:
            if key not in known:
                context.instance.add_dynamic_partitions(data_sources_partitions.name, [key])
            context.log_event(
                dg.AssetMaterialization(
                    asset_key=raw_source_tables.key, partition=key, metadata=outcome.metadata()
                )
            )
    context.log.info(
        f"daily_ingest completed: {summary.succeeded} of {len(summary.outcomes)} sources, "
        f"{summary.rows} rows processed"
    )
    if summary.failed:
        raise dg.Failure(
            description=f"{summary.failed} source(s) failed: "
            + "; ".join(f"#{o.source_id}: {o.error}" for o in summary.outcomes if not o.ok)
        )
    return dg.MaterializeResult(metadata={"sources": len(summary.outcomes), "rows": summary.rows})


ingest_source_job = dg.define_asset_job(
    "ingest_source_job",
    selection=dg.AssetSelection.assets(raw_source_tables),
    executor_def=request_executor,
    description="Ingest one data source (partition = data source id).",
)
REQUEST_TARGETS = {ingest_source_job.name: SOURCE_TARGETS}

daily_ingest_job = dg.define_asset_job(
    "daily_ingest",
    selection=dg.AssetSelection.assets(all_sources_refreshed),
    description="Refresh every active source of every project; logs rows processed per source.",
)


def definitions() -> dg.Definitions:
    """Ingestion's assets, jobs and schedule (its cron read now, not at import)."""
    return dg.Definitions(
        assets=[raw_source_tables, all_sources_refreshed],
        jobs=[ingest_source_job, daily_ingest_job],
        schedules=[
            cron_schedule(
                "daily_ingest_schedule", daily_ingest_job, "DRA_DAILY_INGEST_CRON", "0 3 * * *"
            )
        ],
    )
