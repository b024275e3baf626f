"""Profile a table in SQL, exactly or from a sample, without loading its rows.

``profile_table`` returns a JSON-ready report: per-column completeness, uniqueness,
validity, consistency, IQR outliers, key columns with their duplicates, graded issues and
the overall score (see dra.quality.scoring for the rules).

The package, by what each module holds (each imports only those listed before it):

- ``columns``: the table's columns and the kind each is profiled as;
- ``scan``: one scan computing many aggregates, the SQL pieces both profiles share;
- ``report``: the report assembled from either profile's counts;
- ``exact``: the exact profile, every statistic over every row;
- ``planner``: PostgreSQL's planner statistics (pg_stats), quartiles estimated from them;
- ``sampled``: the sampled profile, rows and missing values exact, the rest estimated
  from a sample and the planner statistics.

This module chooses between the two profiles (``profile_table``) and re-exports what the
rest of the platform uses.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql

from dra.quality.profiling.columns import ColumnInfo, TableNotFound, date_pairs, table_columns
from dra.quality.profiling.exact import detect_text_columns, exact_stats
from dra.quality.profiling.planner import PlannerStats, planner_quartiles
from dra.quality.profiling.report import build_report
from dra.quality.profiling.sampled import estimate_distinct, sampled_stats
from dra.quality.profiling.scan import iqr_fences

__all__ = [
    "MODES",
    "SAMPLE_ABOVE_BYTES",
    "ColumnInfo",
    "PlannerStats",
    "TableNotFound",
    "build_report",
    "detect_text_columns",
    "estimate_distinct",
    "planner_quartiles",
    "profile_table",
    "table_columns",
]

SAMPLE_ABOVE_BYTES = 32 * 1024 * 1024
"""Tables larger than this on disk get the sampled profile unless exact is asked for."""

MODES = ("exact", "sampled")


def _table_bytes(conn: psycopg.Connection, schema: str, table: str) -> int:
    row = conn.execute(
        "select pg_relation_size(to_regclass(%s))",
        (sql.Identifier(schema, table).as_string(conn),),
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def profile_table(
    conn: psycopg.Connection, schema: str, table: str, *, mode: str | None = None
) -> dict[str, Any]:
    """The quality report of ``schema.table`` (a JSON-ready dict).

    ``mode`` "exact" counts every statistic over every row (distinct counts and
    quartiles sort each column); "sampled" counts rows and missing values exactly in one
    pass and estimates the rest from a sample of about SAMPLED_ROWS rows and the planner
    statistics (see dra.quality.profiling.sampled). By default tables up to
    SAMPLE_ABOVE_BYTES are profiled exactly, larger ones sampled.
    """
    started = time.perf_counter()
    columns = table_columns(conn, schema, table)
    if mode is None:
        mode = "sampled" if _table_bytes(conn, schema, table) > SAMPLE_ABOVE_BYTES else "exact"
    if mode not in MODES:
        raise ValueError(f"unknown profile mode {mode!r}")
    sampled = sampled_stats(conn, schema, table, columns) if mode == "sampled" else None
    if sampled is None:  # exact asked, or nothing to sample
        mode = "exact"
        raw, percentiles, passes, detection_rows = exact_stats(conn, schema, table, columns)
        facts: dict[str, Any] = {"detection_sample_rows": detection_rows, "estimated": []}
    else:
        raw, percentiles, passes, sample = sampled
        facts = {
            "detection_sample_rows": sample["sample_rows"],
            "sample_rows": sample["sample_rows"],
            "sample_percent": sample["sample_percent"],
            "statistics_refreshed": sample["analyzed"],
            "estimated": [
                "distinct counts (uniqueness, key duplicates) of text columns from the "
                "sample, of the others and quartiles from PostgreSQL's planner statistics",
                f"validity, consistency and outliers from a sample of "
                f"{sample['sample_rows']:,} rows",
            ],
        }
    fences = {i: iqr_fences(p[0], p[2]) for i, p in percentiles.items()}
    report = build_report(columns, raw, percentiles, fences, date_pairs(columns))
    report.update(
        table=f"{schema}.{table}",
        passes=passes,
        mode=mode,
        **facts,
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    return report
