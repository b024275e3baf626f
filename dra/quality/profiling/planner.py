"""PostgreSQL's planner statistics (pg_stats) of a table, read for the sampled profile."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import psycopg
from psycopg import sql

from dra.quality.profiling.columns import ColumnInfo


@dataclass(frozen=True)
class PlannerStats:
    """What ANALYZE keeps about a column (pg_stats), for the sampled profile."""

    n_distinct: float
    """Distinct values; below zero, minus their share of the rows."""
    null_frac: float
    common_values: list[float]
    """The most common values of a numeric column, with ``common_freqs`` (share of rows)."""
    common_freqs: list[float]
    bounds: list[float]
    """Equal-count histogram of a numeric column's other values."""


def planner_quartiles(stats: PlannerStats) -> list[float] | None:
    """Q1, median and Q3 of a numeric column from its planner statistics (None: no values).

    The common values are points with their frequencies; the rest of the non-missing
    values are spread evenly over the histogram's buckets, linearly inside each bucket.
    Each quartile is the smallest value where that distribution reaches it.
    """
    present = 1.0 - stats.null_frac
    points = sorted(zip(stats.common_values, stats.common_freqs, strict=True))
    bounds = stats.bounds if len(stats.bounds) > 1 else []
    if present <= 0 or not (points or bounds):
        return None
    spread = max(0.0, present - sum(f for _, f in points))
    buckets = len(bounds) - 1

    def share_at_or_below(x: float) -> float:
        share = sum(f for v, f in points if v <= x)
        if bounds and x >= bounds[-1]:
            share += spread
        elif bounds and x >= bounds[0]:
            k = bisect.bisect_right(bounds, x) - 1
            low, high = bounds[k], bounds[k + 1]
            inside = (x - low) / (high - low) if high > low else 1.0
            share += spread * (k + inside) / buckets
        return share / present

    values = [v for v, _ in points] + bounds
    out = []
    for quartile in (0.25, 0.5, 0.75):
        low, high = min(values), max(values)
        if share_at_or_below(low) >= quartile:
            out.append(low)
            continue
        for _ in range(100):  # bisection: share_at_or_below only grows with x
            middle = (low + high) / 2
            if share_at_or_below(middle) >= quartile:
                high = middle
            else:
                low = middle
        out.append(high)
    return out


def read_planner_stats(
    conn: psycopg.Connection, schema: str, table: str, columns: list[ColumnInfo], rows: int
) -> tuple[dict[str, PlannerStats], bool]:
    """The planner statistics of the profiled columns; (stats by column, analyzed now).

    They are used as they are when every profiled column has them and the row count they
    were taken at is within 2 % of today's; otherwise the table is analyzed first (a
    random sample of rows, not of pages, so values stored next to each other do not all
    look alike or unique).
    """
    names = [c.name for c in columns if c.kind != "other"]
    numeric = [c.name for c in columns if c.kind == "numeric"]
    qualified = sql.Identifier(schema, table).as_string(conn)

    def read() -> tuple[float, dict[str, PlannerStats]]:
        row = conn.execute(
            "select reltuples from pg_class where oid = to_regclass(%s)", (qualified,)
        ).fetchone()
        found = conn.execute(
            "select attname, n_distinct, null_frac,"
            " case when attname = any(%(numeric)s)"
            "  then most_common_vals::text::float8[] end, most_common_freqs,"
            " case when attname = any(%(numeric)s)"
            "  then histogram_bounds::text::float8[] end"
            " from pg_stats where schemaname = %(schema)s and tablename = %(table)s"
            " and not inherited",
            {"numeric": numeric, "schema": schema, "table": table},
        ).fetchall()
        stats = {
            name: PlannerStats(float(nd), float(nf), list(cv or []), list(cf or []), list(b or []))
            for name, nd, nf, cv, cf, b in found
        }
        return float(row[0]) if row else -1.0, stats

    reltuples, stats = read()
    fresh = all(n in stats for n in names) and abs(reltuples - rows) <= 0.02 * max(rows, 1)
    if not fresh:
        conn.execute(sql.SQL("analyze {}").format(sql.Identifier(schema, table)))
        reltuples, stats = read()
    return stats, not fresh


def planner_distinct_count(stats: PlannerStats | None, rows: int) -> int:
    if stats is None:
        return 0
    return round(stats.n_distinct if stats.n_distinct >= 0 else -stats.n_distinct * rows)
