"""The sampled profile: rows and missing values counted exactly, the rest estimated.

One full pass counts rows and missing values exactly (PostgreSQL may run it in
parallel). Everything else is read from a sample of about SAMPLED_ROWS rows, a few
from each of PAGES_PER_SAMPLED_ROW times as many pages (TABLESAMPLE SYSTEM, then a
random share of each page's rows). Text columns of the sample are grouped by value
first, so patterns and letter case are tested once per distinct value and weighted by
its count, and their distinct counts are estimated from the sample (estimate_distinct).
Quartiles, and the distinct counts of other columns, come from PostgreSQL's planner
statistics (ANALYZE samples rows), refreshed when they are missing or the table's row
count has moved away from them; outliers are counted in the sample against the fences.
Counts found in the sample are scaled to the column's exact number of non-missing values.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from dra.quality import patterns, scoring
from dra.quality.profiling.columns import ColumnInfo, date_pairs
from dra.quality.profiling.planner import (
    PlannerStats,
    planner_distinct_count,
    planner_quartiles,
    read_planner_stats,
)
from dra.quality.profiling.scan import (
    VALID_KEYS,
    column_stats,
    count_if,
    iqr_fences,
    pattern_conditions,
    run_aggregates,
)

SAMPLED_ROWS = 5_000
"""The sampled profile studies about this many rows besides its one full pass."""

PAGES_PER_SAMPLED_ROW = 8
"""Sampled rows come from this many times as many pages' worth of rows, a few rows from
each page: rows stored next to each other are often alike (loaded in order, periodic),
and whole pages would make the sample look like a few clusters."""


SAMPLE_COUNT_KEYS = frozenset(
    {
        "untrimmed",
        "cased",
        "lower",
        "upper",
        "title",
        "neg",
        "out",
        "future",
        "iso_future",
        "int",
        "dec",
        "bool",
        "email",
        "url",
        "phone",
        *(f"fmt_{name}" for name in patterns.DATE_FORMATS),
    }
)


def _jsonb(items: list[tuple[str, sql.Composable]]) -> sql.Composable:
    """jsonb_build_object over any number of pairs (a function takes at most 100 arguments)."""
    if not items:
        return sql.SQL("'{}'::jsonb")
    chunks = [items[n : n + 40] for n in range(0, len(items), 40)]
    return sql.SQL(" || ").join(
        sql.SQL("jsonb_build_object({})").format(
            sql.SQL(", ").join(
                sql.SQL("{}, {}").format(sql.Literal(key), expr) for key, expr in chunk
            )
        )
        for chunk in chunks
    )


def _weighted(condition: sql.Composable) -> sql.Composable:
    """How many sampled rows hold a value meeting ``condition`` (values grouped, n each)."""
    return sql.SQL("coalesce(sum(n) filter (where {}), 0)").format(condition)


def _grouped_text(col: ColumnInfo) -> bool:
    """Text columns are read value by value in the sample: grouped first."""
    return col.kind == "text"


FREQUENT_IN_SAMPLE = 3
"""A text value seen this many times in the sample counts as frequent: the distinct
estimate of the rest of the column leaves them out (see estimate_distinct)."""


def estimate_distinct(
    rows: int, sample_rows: int, sample_distinct: int, singletons: int, frequent: tuple[int, int]
) -> int:
    """Distinct values of a column of ``rows`` non-missing values, from a sample of them.

    The sample's frequent values (``frequent`` = (values, their sample rows)) are counted
    as they are; the Duj1 estimator of Haas and Stokes (the one ANALYZE uses) is applied
    to the rest alone. Applied to the whole column, a few frequent values (a placeholder
    such as "unknown" beside unique emails) make Duj1 take a nearly unique column for a
    much less unique one.
    """
    if sample_rows <= 0:
        return 0
    if sample_rows >= rows:
        return sample_distinct
    frequent_values, frequent_rows = frequent
    n = sample_rows - frequent_rows
    d = sample_distinct - frequent_values
    if n <= 0 or d <= 0:
        return min(rows, frequent_values)
    rest = rows * n / sample_rows  # the column's rows that hold the other values
    estimate = n * d / (n - singletons + singletons * n / rest)
    return min(rows, frequent_values + round(max(d, min(rest, estimate))))


def _sample_row_items(
    index: int, col: ColumnInfo, fence: tuple[float, float] | None
) -> list[tuple[str, sql.Composable]]:
    """A column's counts taken row by row over the sample (every column but grouped text)."""
    c = sql.Identifier(col.name)
    items: list[tuple[str, sql.Composable]] = [("nn", sql.SQL("count({})").format(c))]
    if col.kind == "numeric":
        items += [
            ("min", sql.SQL("min({})::float8").format(c)),
            ("max", sql.SQL("max({})::float8").format(c)),
            ("mean", sql.SQL("avg({})::float8").format(c)),
            ("neg", count_if(sql.SQL("{} < 0").format(c))),
        ]
        if fence is not None:
            low, high = (sql.Literal(f) for f in fence)
            condition = sql.SQL("{0} < {1} or {0} > {2}").format(c, low, high)
            items.append(("out", count_if(condition)))
    elif col.kind in ("date", "timestamp"):
        now = {"date": "current_date", "timestamptz": "now()"}.get(col.typname, "localtimestamp")
        items += [
            ("min", sql.SQL("min({})::text").format(c)),
            ("max", sql.SQL("max({})::text").format(c)),
            ("future", count_if(sql.SQL("{} > {}").format(c, sql.SQL(now)))),
        ]
    return [(f"{index}:{key}", expr) for key, expr in items]


def _sample_text_branch(index: int, col: ColumnInfo) -> sql.Composable:
    """A text column of the sample: values grouped, then each tested once (n rows).

    A column named like an email, URL or phone is tested for that pattern only; any
    other for every pattern (what it holds is decided from the counts) and letter case.
    """
    v = sql.Identifier("v")
    conditions = pattern_conditions(v)
    frequent = sql.SQL("n >= {}").format(sql.Literal(FREQUENT_IN_SAMPLE))
    items: list[tuple[str, sql.Composable]] = [
        ("nn", sql.SQL("sum(n)")),
        ("nd", sql.SQL("count(*)")),
        ("f1", sql.SQL("count(*) filter (where n = 1)")),
        ("frequent_values", sql.SQL("count(*) filter (where {})").format(frequent)),
        ("frequent_rows", _weighted(frequent)),
    ]
    by_name = patterns.pattern_by_name(col.name)
    if by_name:
        items += [
            (by_name, _weighted(conditions[by_name])),
            ("untrimmed", _weighted(sql.SQL("v <> btrim(v)"))),
        ]
        return sql.SQL(
            "select {}, {} from (select {} as v, count(*) as n from s"
            " where {} is not null group by 1) as g"
        ).format(
            sql.Literal(index), _jsonb(items), sql.Identifier(col.name), sql.Identifier(col.name)
        )
    items += [
        *((key, _weighted(condition)) for key, condition in conditions.items()),
        (
            "iso_future",
            _weighted(
                sql.SQL("{} and left(v, 10) > to_char(current_date, {})").format(
                    conditions["fmt_iso"], sql.Literal("YYYY-MM-DD")
                )
            ),
        ),
        ("untrimmed", _weighted(sql.SQL("v <> btrim(v)"))),
        ("cased", _weighted(sql.SQL("l <> u"))),
        ("lower", _weighted(sql.SQL("v = l and v <> u"))),
        ("upper", _weighted(sql.SQL("v = u and v <> l"))),
        ("title", _weighted(sql.SQL("v = t and v <> l and v <> u"))),
        ("ndl", sql.SQL('count(distinct l collate "C")')),
    ]
    return sql.SQL(
        "select {}, {} from (select v, n, lower(v) as l, upper(v) as u, initcap(v) as t"
        " from (select {} as v, count(*) as n from s where {} is not null group by 1) as g0)"
        " as g"
    ).format(sql.Literal(index), _jsonb(items), sql.Identifier(col.name), sql.Identifier(col.name))


def _sample_statement(
    schema: str,
    table: str,
    columns: list[ColumnInfo],
    pairs: list[tuple[str, str]],
    percent: float,
    fences: dict[int, tuple[float, float]],
) -> sql.Composable:
    """One statement over one sample of about ``percent`` % of the rows.

    Its rows: (-1, counts taken row by row, keyed "column index:what", outliers against
    ``fences``) and (column index, counts) for each plain text column.
    """
    profiled = [(i, c) for i, c in enumerate(columns) if c.kind != "other"]
    wanted = sorted({c.name for _, c in profiled} | {name for pair in pairs for name in pair})
    pages = min(100.0, percent * PAGES_PER_SAMPLED_ROW)
    ctes = [
        sql.SQL(
            "s as materialized (select {} from {} tablesample system ({}) repeatable (0) {})"
        ).format(
            sql.SQL(", ").join(sql.Identifier(name) for name in wanted) or sql.SQL("1 as one"),
            sql.Identifier(schema, table),
            sql.Literal(round(pages, 4)),
            sql.SQL("where random() < {}").format(sql.Literal(round(percent / pages, 6)))
            if percent < pages
            else sql.SQL(""),
        )
    ]
    row_items: list[tuple[str, sql.Composable]] = [("rows", sql.SQL("count(*)"))]
    row_items += [
        (
            f"pair:{j}",
            count_if(sql.SQL("{} < {}").format(sql.Identifier(later), sql.Identifier(earlier))),
        )
        for j, (earlier, later) in enumerate(pairs)
    ]
    for i, col in profiled:
        if not _grouped_text(col):
            row_items += _sample_row_items(i, col, fences.get(i))
    branches = [sql.SQL("select -1, {} from s").format(_jsonb(row_items))]
    branches += [_sample_text_branch(i, c) for i, c in profiled if _grouped_text(c)]
    return sql.SQL("with {} {}").format(
        sql.SQL(", ").join(ctes), sql.SQL(" union all ").join(branches)
    )


def _null_pass(
    conn: psycopg.Connection, schema: str, table: str, columns: list[ColumnInfo]
) -> dict[str, Any]:
    """The one full pass of the sampled profile: rows and non-missing values per column."""
    exprs = [("rows", sql.SQL("count(*)"))] + [
        (f"{i}:missing", count_if(sql.SQL("{} is null").format(sql.Identifier(c.name))))
        for i, c in enumerate(columns)
    ]
    raw = run_aggregates(conn, schema, table, exprs)
    rows = int(raw["rows"])
    return {
        "rows": rows,
        **{f"{i}:nn": rows - int(raw[f"{i}:missing"]) for i in range(len(columns))},
    }


def _scale_sample(
    columns: list[ColumnInfo],
    exact: dict[str, Any],
    found: dict[int, dict[str, Any]],
    planner: dict[str, PlannerStats],
    pairs: list[tuple[str, str]],
) -> dict[str, Any]:
    """The sample's counts as estimates for the whole table, keyed like the exact pass."""
    raw: dict[str, Any] = dict(exact)
    rows, sample_rows = int(exact["rows"]), int(found[-1]["rows"])
    for j in range(len(pairs)):
        raw[f"pair:{j}"] = round(int(found[-1][f"pair:{j}"]) * rows / sample_rows)
    for i, col in enumerate(columns):
        if col.kind == "other":
            continue
        nn = int(exact[f"{i}:nn"])
        got = {**column_stats(found[-1], i), **found.get(i, {})}
        nn_sample = int(got.get("nn") or 0)
        factor = nn / nn_sample if nn_sample else 0.0
        if col.kind == "text":  # grouped in the sample: estimated from it
            distinct = estimate_distinct(
                nn,
                nn_sample,
                int(got.get("nd") or 0),
                int(got.get("f1") or 0),
                (int(got.get("frequent_values") or 0), int(got.get("frequent_rows") or 0)),
            )
        else:
            distinct = planner_distinct_count(planner.get(col.name), rows)
        nd = max(min(nn, 1), min(nn, distinct))
        raw[f"{i}:nd"] = nd
        for key, value in got.items():
            if key in SAMPLE_COUNT_KEYS:
                raw[f"{i}:{key}"] = round(float(value) * factor)
            elif key in ("min", "max", "mean"):
                raw[f"{i}:{key}"] = value
        if col.kind == "numeric":
            for key in ("min", "max", "mean"):
                raw.setdefault(f"{i}:{key}", None)
            raw.setdefault(f"{i}:neg", 0)
        elif col.kind in ("date", "timestamp"):
            for key in ("min", "max"):
                raw.setdefault(f"{i}:{key}", None)
            raw.setdefault(f"{i}:future", 0)
        elif col.kind == "text":
            for key in SAMPLE_COUNT_KEYS:
                raw.setdefault(f"{i}:{key}", 0)
            nd_sample = int(got.get("nd") or 0)
            ndl_sample = int(got.get("ndl") or 0)
            # only "fewer lower-cased values than values" matters: keep it when seen
            raw[f"{i}:ndl"] = (
                max(0, min(nd - 1, round(nd * ndl_sample / nd_sample)))
                if ndl_sample < nd_sample
                else nd
            )
            detected = scoring.detect_text_kind(col.name, nn, column_stats(raw, i))[0]
            raw[f"{i}:detected"] = detected
            if detected in VALID_KEYS:
                raw[f"{i}:valid"] = raw[f"{i}:{VALID_KEYS[detected]}"]
    return raw


def sampled_stats(
    conn: psycopg.Connection, schema: str, table: str, columns: list[ColumnInfo]
) -> tuple[dict[str, Any], dict[int, list[float]], int, dict[str, Any]] | None:
    """(raw, percentiles, full passes, sample facts), or None for an empty table."""
    exact = _null_pass(conn, schema, table, columns)
    rows = int(exact["rows"])
    if rows == 0:
        return None
    pairs = date_pairs(columns)
    planner, analyzed = read_planner_stats(conn, schema, table, columns, rows)
    percentiles = {
        i: quartiles
        for i, col in enumerate(columns)
        if col.kind == "numeric" and col.name in planner
        if (quartiles := planner_quartiles(planner[col.name])) is not None
    }
    fences = {i: iqr_fences(p[0], p[2]) for i, p in percentiles.items()}
    percent = min(100.0, round(100.0 * SAMPLED_ROWS / rows, 4))
    while True:
        statement = _sample_statement(schema, table, columns, pairs, percent, fences)
        found = {int(index): stats for index, stats in conn.execute(statement).fetchall()}
        sample_rows = int(found[-1]["rows"])
        # a small table can hand back too few rows: widen the sample
        if sample_rows >= min(rows, SAMPLED_ROWS // 4) or percent >= 100.0:
            break
        percent = min(100.0, percent * 4)
    if sample_rows == 0:  # the table emptied in between
        return None
    raw = _scale_sample(columns, exact, found, planner, pairs)
    facts = {"sample_rows": sample_rows, "sample_percent": percent, "analyzed": analyzed}
    return raw, percentiles, 1, facts
