"""Data models: the query builder's JSON, its compiler, hand-SQL checks, safe execution,
materialization into ``models_p<project>`` and dbt export.

Neutral code: imports neither Flask nor Dagster.
"""
