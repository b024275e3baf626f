"""Dagster assets: ingestion, data models, dbt, quality, attribution, backups."""
