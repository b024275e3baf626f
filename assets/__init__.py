"""Dagster by domain: each module holds one domain's assets, checks, jobs, schedules and
sensors (ingestion, data models, quality, dbt, attribution, backups, accounts, mail)."""
