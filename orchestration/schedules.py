"""Schedules, with times from settings read when definitions are built."""

import os

import dagster as dg

from orchestration.jobs import daily_ingest_job


def build_daily_ingest_schedule() -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="daily_ingest_schedule",
        job=daily_ingest_job,
        cron_schedule=os.environ.get("DRA_DAILY_INGEST_CRON", "0 3 * * *"),
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
