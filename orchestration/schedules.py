"""Cron schedules whose times come from settings, read when the definitions are built."""

import os

import dagster as dg


def cron_schedule(name: str, job, variable: str, default: str) -> dg.ScheduleDefinition:
    """A schedule of ``job`` (UTC, running by default) at the cron in env ``variable``."""
    return dg.ScheduleDefinition(
        name=name,
        job=job,
        cron_schedule=os.environ.get(variable, default),
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
