"""The exact profile: every statistic counted over every row of the table."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from dra.quality import patterns, scoring
from dra.quality.profiling.columns import ColumnInfo, date_pairs
from dra.quality.profiling.scan import (
    VALID_KEYS,
    column_stats,
    count_if,
    iqr_fences,
    pattern_conditions,
    run_aggregates,
)


def _percentile_exprs(columns: list[ColumnInfo]) -> list[tuple[str, sql.Composable]]:
    return [
        (
            f"{i}:pct",
            sql.SQL(
                "percentile_cont(array[0.25, 0.5, 0.75]) within group (order by {}::float8)"
            ).format(sql.Identifier(c.name)),
        )
        for i, c in enumerate(columns)
        if c.kind == "numeric"
    ]


def _derived(index: int, what: str) -> sql.Identifier:
    """A value computed once per row in the main pass's inner query (see _main_source)."""
    return sql.Identifier(f"__dq_{what}_{index}")


CASE_FUNCTIONS = {"l": "lower", "u": "upper", "i": "initcap"}


def _text_exprs(index: int, c: sql.Composable, detected: str) -> list[tuple[str, sql.Composable]]:
    """Exact counts for a text column, given what it was detected to hold."""
    conditions = pattern_conditions(c)
    exprs: list[tuple[str, sql.Composable]] = [
        ("nd", sql.SQL('count(distinct {} collate "C")').format(c)),
        ("untrimmed", count_if(sql.SQL("{0} <> btrim({0})").format(c))),
    ]
    if detected in VALID_KEYS:
        exprs.append(("valid", count_if(conditions[VALID_KEYS[detected]])))
    elif detected == "date":
        exprs += [
            (f"fmt_{name}", count_if(conditions[f"fmt_{name}"])) for name in patterns.DATE_FORMATS
        ]
        exprs.append(
            (
                "iso_future",
                count_if(
                    sql.SQL("{} and left({}, 10) > to_char(current_date, {})").format(
                        conditions["fmt_iso"], c, sql.Literal("YYYY-MM-DD")
                    )
                ),
            )
        )
    else:
        low, up, cap = (_derived(index, k) for k in CASE_FUNCTIONS)
        exprs += [
            ("cased", count_if(sql.SQL("{} <> {}").format(low, up))),
            ("lower", count_if(sql.SQL("{0} = {1} and {0} <> {2}").format(c, low, up))),
            ("upper", count_if(sql.SQL("{0} = {2} and {0} <> {1}").format(c, low, up))),
            (
                "title",
                count_if(
                    sql.SQL("{0} = {3} and {0} <> {1} and {0} <> {2}").format(c, low, up, cap)
                ),
            ),
        ]
    return exprs


def _main_source(
    schema: str, table: str, columns: list[ColumnInfo], detected: dict[int, str]
) -> sql.Composable:
    """The table, with lower/upper/initcap of plain-text columns computed once per row.

    ``offset 0`` keeps PostgreSQL from folding the inner query into the aggregate one,
    which would evaluate each case function once per aggregate instead of once per row.
    """
    derived = [
        sql.SQL("{}({}) as {}").format(
            sql.SQL(fn), sql.Identifier(columns[i].name), _derived(i, key)
        )
        for i, kind in detected.items()
        if kind == "text"
        for key, fn in CASE_FUNCTIONS.items()
    ]
    if not derived:
        return sql.Identifier(schema, table)
    return sql.SQL("(select *, {} from {} offset 0) as profiled").format(
        sql.SQL(", ").join(derived), sql.Identifier(schema, table)
    )


def _case_variant_columns(
    columns: list[ColumnInfo], detected: dict[int, str], raw: dict[str, Any]
) -> list[int]:
    """Plain-text columns where two values may differ only in letter case.

    That needs two case styles among the values (or a value in none of lower, UPPER and
    Title case): only those columns get the extra count of distinct lower-cased values.
    """
    out = []
    for i, kind in detected.items():
        if kind != "text":
            continue
        st = column_stats(raw, i)
        styles = sum(1 for k in ("lower", "upper", "title") if st[k])
        if styles > 1 or st["cased"] - st["lower"] - st["upper"] - st["title"] > 0:
            out.append(i)
    return out


def _detection_exprs(columns: list[ColumnInfo]) -> list[tuple[str, sql.Composable]]:
    exprs: list[tuple[str, sql.Composable]] = []
    for i, col in enumerate(columns):
        if col.kind != "text" or patterns.pattern_by_name(col.name):
            continue
        c = sql.Identifier(col.name)
        exprs.append((f"{i}:nn", sql.SQL("count({})").format(c)))
        exprs += [(f"{i}:{key}", count_if(cond)) for key, cond in pattern_conditions(c).items()]
    return exprs


def _aggregate_exprs(
    columns: list[ColumnInfo],
    fences: dict[int, tuple[float, float]],
    pairs: list[tuple[str, str]],
    detected: dict[int, str],
) -> list[tuple[str, sql.Composable]]:
    exprs: list[tuple[str, sql.Composable]] = [("rows", sql.SQL("count(*)"))]
    for i, col in enumerate(columns):
        c = sql.Identifier(col.name)
        exprs.append((f"{i}:nn", sql.SQL("count({})").format(c)))
        if col.kind == "other":
            continue
        if col.kind == "text":
            exprs += [(f"{i}:{key}", expr) for key, expr in _text_exprs(i, c, detected[i])]
            continue
        exprs.append((f"{i}:nd", sql.SQL("count(distinct {})").format(c)))
        if col.kind == "numeric":
            exprs += [
                (f"{i}:min", sql.SQL("min({})::float8").format(c)),
                (f"{i}:max", sql.SQL("max({})::float8").format(c)),
                (f"{i}:mean", sql.SQL("avg({})::float8").format(c)),
                (f"{i}:neg", count_if(sql.SQL("{} < 0").format(c))),
            ]
            if i in fences:
                low, high = fences[i]
                exprs.append(
                    (
                        f"{i}:out",
                        count_if(
                            sql.SQL("{0} < {1} or {0} > {2}").format(
                                c, sql.Literal(low), sql.Literal(high)
                            )
                        ),
                    )
                )
        elif col.kind in ("date", "timestamp"):
            now = {"date": "current_date", "timestamptz": "now()"}.get(
                col.typname, "localtimestamp"
            )
            exprs += [
                (f"{i}:min", sql.SQL("min({})::text").format(c)),
                (f"{i}:max", sql.SQL("max({})::text").format(c)),
                (f"{i}:future", count_if(sql.SQL("{} > {}").format(c, sql.SQL(now)))),
            ]
    for j, (earlier, later) in enumerate(pairs):
        exprs.append(
            (
                f"pair:{j}",
                count_if(sql.SQL("{} < {}").format(sql.Identifier(later), sql.Identifier(earlier))),
            )
        )
    return exprs


DETECTION_SAMPLE_ROWS = 20_000
"""In the exact profile, text columns' kinds (email, date, number...) are decided on
about this many rows; the counts that follow from the decision (validity, formats,
case) are exact."""


def _sample_clause(conn: psycopg.Connection, schema: str, table: str) -> sql.Composable | None:
    """A TABLESAMPLE of about DETECTION_SAMPLE_ROWS rows for large tables (None: read them all)."""
    row = conn.execute(
        "select reltuples from pg_class where oid = to_regclass(%s)",
        (sql.Identifier(schema, table).as_string(conn),),
    ).fetchone()
    estimate = float(row[0]) if row and row[0] is not None else -1.0
    if estimate < DETECTION_SAMPLE_ROWS * 5:
        return None
    percent = round(100.0 * DETECTION_SAMPLE_ROWS / estimate, 4)
    return sql.SQL("tablesample system ({}) repeatable (0)").format(sql.Literal(percent))


def detect_text_columns(
    conn: psycopg.Connection, schema: str, table: str, columns: list[ColumnInfo]
) -> tuple[dict[int, str], int | None]:
    """What each text column holds (by name, else by its values); (kinds, sample rows)."""
    detected = {
        i: patterns.pattern_by_name(c.name) or "" for i, c in enumerate(columns) if c.kind == "text"
    }
    exprs = _detection_exprs(columns)
    sampled: int | None = None
    if exprs:
        exprs = [("rows", sql.SQL("count(*)")), *exprs]
        sample = _sample_clause(conn, schema, table)
        raw = run_aggregates(conn, schema, table, exprs, sample) if sample is not None else None
        if raw is None or raw["rows"] < DETECTION_SAMPLE_ROWS // 10:
            raw = run_aggregates(conn, schema, table, exprs)
        else:
            sampled = int(raw["rows"])
        for i in detected:
            if not detected[i]:
                stats = column_stats(raw, i)
                detected[i] = scoring.detect_text_kind(columns[i].name, stats["nn"], stats)[0]
    return detected, sampled


def exact_stats(
    conn: psycopg.Connection, schema: str, table: str, columns: list[ColumnInfo]
) -> tuple[dict[str, Any], dict[int, list[float]], int, int | None]:
    """Every statistic over every row: (raw, percentiles, full passes, detection sample)."""
    detected, sampled = detect_text_columns(conn, schema, table, columns)
    # full scans: the detection reads a sample of a large table, all of a small one
    passes = 1 if sampled is None and _detection_exprs(columns) else 0
    percentiles: dict[int, list[float]] = {}
    pct_exprs = _percentile_exprs(columns)
    if pct_exprs:
        passes += 1
        for key, value in run_aggregates(conn, schema, table, pct_exprs).items():
            if value is not None:
                percentiles[int(key.split(":")[0])] = [float(v) for v in value]
    fences = {i: iqr_fences(p[0], p[2]) for i, p in percentiles.items()}
    pairs = date_pairs(columns)
    raw = run_aggregates(
        conn,
        schema,
        table,
        _aggregate_exprs(columns, fences, pairs, detected),
        # sorts dominate: compute the case functions once per row
        source=_main_source(schema, table, columns, detected),
    )
    passes += 1
    variants = _case_variant_columns(columns, detected, raw)
    for i in detected:
        raw[f"{i}:ndl"] = raw.get(f"{i}:nd")
    if variants:
        passes += 1
        exprs = [
            (
                f"{i}:ndl",
                sql.SQL('count(distinct lower({}) collate "C")').format(
                    sql.Identifier(columns[i].name)
                ),
            )
            for i in variants
        ]
        raw.update(run_aggregates(conn, schema, table, exprs))
    for i, kind in detected.items():
        raw[f"{i}:detected"] = kind
    return raw, percentiles, passes, sampled
