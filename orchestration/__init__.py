"""Dagster: the one Definitions object, jobs, schedules and resources."""
