"""Data quality: profiling reports, cleaning rules and Soda contracts for data models.

Neutral code (no Flask, no Dagster): the web app and the pipelines both call it.
"""
