"""Attribution reports as a Dagster asset, produced for a request the web app recorded.

The job ``attribution_report_job`` builds the dbt models upstream of the report
(staging events -> touchpoints -> credits, with their tests; the ad spend and GA4
sessions marts read beside them) for the report's project and options only,
recomputing the months whose events changed (assets/dbt.py), and then this asset reads
the marts into the stored report (``dra.attribution.reports``). The nightly
``attribution_daily_job`` rebuilds every project in full (``--full-refresh``).
"""

import dagster as dg
from sqlalchemy import text

from dra.attribution.reports import generate_report
from dra.pipeline_requests import report_progress
from orchestration.requests import request_executor, request_of
from orchestration.resources import PlatformResource

UPSTREAM = [
    dg.AssetKey(["marts", "fct_attribution_credits"]),
    dg.AssetKey(["intermediate", "int_touchpoints"]),
    # read beside the credits (dra.attribution.spend, dra.attribution.ga4): rebuilt with
    # them, so a report shows the spend and sessions its sources last ingested
    dg.AssetKey(["marts", "fct_ad_spend_daily"]),
    dg.AssetKey(["marts", "fct_ga4_sessions_daily"]),
]
# The marts' Soda contract reads the whole mart (every project and options): the nightly
# job's, not a report's, whose cost follows its project (its dbt tests read that project).
MART_CONTRACT = dg.AssetCheckKey(UPSTREAM[0], "soda_contract")


def ensure_partitions(platform: PlatformResource) -> None:
    """This month's and next month's partitions of app.attribution_events exist."""
    with platform.database.system_session() as s:
        s.execute(
            text(
                "SELECT app.ensure_attribution_partition(now()),"
                " app.ensure_attribution_partition(now() + interval '1 month')"
            )
        )


@dg.asset(
    name="attribution_event_partitions",
    group_name="attribution",
    description="Creates this month's and next month's partitions of app.attribution_events "
    "(events of a missing month wait in the default partition until then) and refreshes "
    "the table's planner statistics.",
)
def attribution_event_partitions(platform: PlatformResource) -> dg.MaterializeResult:
    ensure_partitions(platform)
    # Autovacuum analyzes the monthly partitions, never their parent, whose statistics
    # plan the touchpoints join of the dbt models built next.
    with platform.database.system_session() as s:
        s.execute(text("ANALYZE app.attribution_events"))
    with platform.database.system_session() as s:
        count = s.scalar(
            text(
                "SELECT count(*) FROM pg_inherits"
                " WHERE inhparent = 'app.attribution_events'::regclass"
            )
        )
    return dg.MaterializeResult(metadata={"partitions": int(count or 0)})


@dg.asset(
    name="attribution_report",
    deps=UPSTREAM,
    group_name="attribution",
    description="An attribution report (channel credits per model, conversion paths) for "
    "the request named by the run's dra/request_id tag.",
)
def attribution_report(
    context: dg.AssetExecutionContext, platform: PlatformResource
) -> dg.MaterializeResult:
    request = request_of(context, platform, target="report")
    request_id, report_id = request.id, int(request.target_id)
    ensure_partitions(platform)
    report_progress(platform.database, request_id, 50, "Reading the attribution marts")
    report = generate_report(platform.database, report_id)
    result = report.result or {}
    context.log.info(
        f"Report {report_id} of project {report.project_id}: "
        f"{result.get('conversions', 0)} conversions, "
        f"{len(result.get('channels', []))} channels"
    )
    return dg.MaterializeResult(
        metadata={
            "report_id": report_id,
            "project_id": report.project_id,
            "conversions": result.get("conversions", 0),
            "attributed_conversions": result.get("attributed_conversions", 0),
            "channels": ", ".join(result.get("channels", [])),
        }
    )


# The report and every dbt model (with its tests) it reads.
REPORT_SELECTION = dg.AssetSelection.assets(attribution_report).upstream()

attribution_report_job = dg.define_asset_job(
    "attribution_report_job",
    selection=REPORT_SELECTION - dg.AssetSelection.checks(MART_CONTRACT),
    description="Build the dbt attribution models (with their tests) for the report's "
    "project and options, only the months whose events changed, then produce the report.",
    # The run queue allows one dbt build at a time (tag_concurrency_limits, dra/runtime.py):
    # two builds would swap the same tables.
    tags={"dra/dbt": "build"},
    executor_def=request_executor,
)

attribution_daily_job = dg.define_asset_job(
    "attribution_daily_job",
    selection=dg.AssetSelection.assets(attribution_event_partitions)
    | REPORT_SELECTION - dg.AssetSelection.assets(attribution_report),
    description="Nightly: monthly partitions of the events, then dbt build --full-refresh "
    "of the attribution models (every project, default options) and their tests.",
    tags={"dra/dbt": "build"},
    config={"ops": {"dbt_models": {"config": {"full_refresh": True}}}},
)

attribution_daily_schedule = dg.ScheduleDefinition(
    name="attribution_daily",
    job=attribution_daily_job,
    cron_schedule="30 2 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)


def definitions() -> dg.Definitions:
    """Attribution: the events' partitions, the report asset, their jobs and schedule."""
    return dg.Definitions(
        assets=[attribution_event_partitions, attribution_report],
        jobs=[attribution_report_job, attribution_daily_job],
        schedules=[attribution_daily_schedule],
    )
