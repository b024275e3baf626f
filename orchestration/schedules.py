"""Schedules, with times from settings read when definitions are built."""

import os

import dagster as dg

from orchestration.jobs import daily_ingest_job


def cron_schedule(
    name: str, job: dg.JobDefinition, variable: str, default: str
) -> dg.ScheduleDefinition:
    """A schedule of ``job`` (UTC, running by default) at the cron in env ``variable``."""
    return dg.ScheduleDefinition(
        name=name,
        job=job,
        cron_schedule=os.environ.get(variable, default),
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )


def build_daily_ingest_schedule() -> dg.ScheduleDefinition:
    return cron_schedule(
        "daily_ingest_schedule", daily_ingest_job, "DRA_DAILY_INGEST_CRON", "0 3 * * *"
    )
