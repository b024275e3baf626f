"""Profile a table in SQL, exactly or from a sample, without loading its rows.

``profile_table`` returns a JSON-ready report: per-column completeness, uniqueness,
validity, consistency, IQR outliers, key columns with their duplicates, graded issues and
the overall score (see dra.quality.scoring for the rules).
"""

from __future__ import annotations

import bisect
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql

from dra.quality import patterns, scoring

NUMERIC_TYPES = frozenset({"int2", "int4", "int8", "numeric", "float4", "float8"})
TEXT_TYPES = frozenset({"text", "varchar", "bpchar", "citext", "name"})
KIND_BY_TYPE = {
    **{t: "numeric" for t in NUMERIC_TYPES},
    **{t: "text" for t in TEXT_TYPES},
    "bool": "boolean",
    "date": "date",
    "timestamp": "timestamp",
    "timestamptz": "timestamp",
    "uuid": "uuid",
}


class TableNotFound(LookupError):
    """The table to profile does not exist."""


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    type: str
    """The SQL type as PostgreSQL prints it (``character varying(40)``)."""
    typname: str

    @property
    def kind(self) -> str:
        return KIND_BY_TYPE.get(self.typname, "other")


def table_columns(conn: psycopg.Connection, schema: str, table: str) -> list[ColumnInfo]:
    """Columns of ``schema.table`` in order; raises TableNotFound."""
    qualified = sql.Identifier(schema, table).as_string(conn)
    row = conn.execute("select to_regclass(%s)::oid", (qualified,)).fetchone()
    if row is None or row[0] is None:
        raise TableNotFound(f"Table {schema}.{table} does not exist.")
    rows = conn.execute(
        "select a.attname, format_type(a.atttypid, a.atttypmod), t.typname"
        " from pg_attribute a join pg_type t on t.oid = a.atttypid"
        " where a.attrelid = %s and a.attnum > 0 and not a.attisdropped order by a.attnum",
        (row[0],),
    ).fetchall()
    return [ColumnInfo(name, type_, typname) for name, type_, typname in rows]


def _count_if(condition: sql.Composable) -> sql.Composable:
    return sql.SQL("count(*) filter (where {})").format(condition)


def _regex(col: sql.Composable, pattern: str) -> sql.Composable:
    return sql.SQL("{} ~ {}").format(col, sql.Literal(pattern))


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


def _pattern_conditions(c: sql.Composable) -> dict[str, sql.Composable]:
    """What a text value may look like, each as a condition on the column."""
    conditions: dict[str, sql.Composable] = {
        "int": _regex(c, patterns.INTEGER_RE),
        "dec": _regex(c, patterns.DECIMAL_RE),
        "bool": sql.SQL("lower(btrim({})) = any({})").format(
            c, sql.Literal(list(patterns.BOOLEAN_WORDS))
        ),
        # cheap tests first: most values fail them and skip the regex
        "email": sql.SQL("strpos({}, '@') > 0 and {}").format(c, _regex(c, patterns.EMAIL_RE)),
        "url": sql.SQL("({0} like 'http%' or {0} like 'www.%') and {1}").format(
            c, _regex(c, patterns.URL_RE)
        ),
        "phone": sql.SQL("{} and {}").format(
            _regex(c, patterns.PHONE_RE), _regex(c, patterns.PHONE_DIGITS_RE)
        ),
    }
    for name, rx in patterns.DATE_FORMATS.items():
        conditions[f"fmt_{name}"] = _regex(c, rx)
    return conditions


VALID_KEYS = {
    "email": "email",
    "url": "url",
    "phone": "phone",
    "integer": "int",
    "decimal": "dec",
    "boolean": "bool",
}


def _derived(index: int, what: str) -> sql.Identifier:
    """A value computed once per row in the main pass's inner query (see _main_source)."""
    return sql.Identifier(f"__dq_{what}_{index}")


CASE_FUNCTIONS = {"l": "lower", "u": "upper", "i": "initcap"}


def _text_exprs(index: int, c: sql.Composable, detected: str) -> list[tuple[str, sql.Composable]]:
    """Exact counts for a text column, given what it was detected to hold."""
    conditions = _pattern_conditions(c)
    exprs: list[tuple[str, sql.Composable]] = [
        ("nd", sql.SQL('count(distinct {} collate "C")').format(c)),
        ("untrimmed", _count_if(sql.SQL("{0} <> btrim({0})").format(c))),
    ]
    if detected in VALID_KEYS:
        exprs.append(("valid", _count_if(conditions[VALID_KEYS[detected]])))
    elif detected == "date":
        exprs += [
            (f"fmt_{name}", _count_if(conditions[f"fmt_{name}"])) for name in patterns.DATE_FORMATS
        ]
        exprs.append(
            (
                "iso_future",
                _count_if(
                    sql.SQL("{} and left({}, 10) > to_char(current_date, {})").format(
                        conditions["fmt_iso"], c, sql.Literal("YYYY-MM-DD")
                    )
                ),
            )
        )
    else:
        low, up, cap = (_derived(index, k) for k in CASE_FUNCTIONS)
        exprs += [
            ("cased", _count_if(sql.SQL("{} <> {}").format(low, up))),
            ("lower", _count_if(sql.SQL("{0} = {1} and {0} <> {2}").format(c, low, up))),
            ("upper", _count_if(sql.SQL("{0} = {2} and {0} <> {1}").format(c, low, up))),
            (
                "title",
                _count_if(
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
        st = _stats(raw, i)
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
        exprs += [(f"{i}:{key}", _count_if(cond)) for key, cond in _pattern_conditions(c).items()]
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
                (f"{i}:neg", _count_if(sql.SQL("{} < 0").format(c))),
            ]
            if i in fences:
                low, high = fences[i]
                exprs.append(
                    (
                        f"{i}:out",
                        _count_if(
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
                (f"{i}:future", _count_if(sql.SQL("{} > {}").format(c, sql.SQL(now)))),
            ]
    for j, (earlier, later) in enumerate(pairs):
        exprs.append(
            (
                f"pair:{j}",
                _count_if(
                    sql.SQL("{} < {}").format(sql.Identifier(later), sql.Identifier(earlier))
                ),
            )
        )
    return exprs


def _run(
    conn: psycopg.Connection,
    schema: str,
    table: str,
    exprs: list[tuple[str, sql.Composable]],
    sample: sql.Composable | None = None,
    source: sql.Composable | None = None,
) -> dict[str, Any]:
    """One scan of the table (or of a sample) computing every expression; {key: value}."""
    select = sql.SQL(", ").join(
        sql.SQL("{} as {}").format(e, sql.Identifier(f"e{n}")) for n, (_, e) in enumerate(exprs)
    )
    row = conn.execute(
        sql.SQL("select {} from {} {}").format(
            select, source or sql.Identifier(schema, table), sample or sql.SQL("")
        )
    ).fetchone()
    assert row is not None
    return {key: value for (key, _), value in zip(exprs, row, strict=True)}


def _fences(q1: float, q3: float) -> tuple[float, float]:
    iqr = q3 - q1
    return q1 - 1.5 * iqr, q3 + 1.5 * iqr


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
        raw = _run(conn, schema, table, exprs, sample) if sample is not None else None
        if raw is None or raw["rows"] < DETECTION_SAMPLE_ROWS // 10:
            raw = _run(conn, schema, table, exprs)
        else:
            sampled = int(raw["rows"])
        for i in detected:
            if not detected[i]:
                stats = _stats(raw, i)
                detected[i] = scoring.detect_text_kind(columns[i].name, stats["nn"], stats)[0]
    return detected, sampled


SAMPLE_ABOVE_BYTES = 32 * 1024 * 1024
"""Tables larger than this on disk get the sampled profile unless exact is asked for."""

MODES = ("exact", "sampled")

SAMPLED_ROWS = 5_000
"""The sampled profile studies about this many rows besides its one full pass."""

PAGES_PER_SAMPLED_ROW = 8
"""Sampled rows come from this many times as many pages' worth of rows, a few rows from
each page: rows stored next to each other are often alike (loaded in order, periodic),
and whole pages would make the sample look like a few clusters."""


def _table_bytes(conn: psycopg.Connection, schema: str, table: str) -> int:
    row = conn.execute(
        "select pg_relation_size(to_regclass(%s))",
        (sql.Identifier(schema, table).as_string(conn),),
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _exact_stats(
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
        for key, value in _run(conn, schema, table, pct_exprs).items():
            if value is not None:
                percentiles[int(key.split(":")[0])] = [float(v) for v in value]
    fences = {i: _fences(p[0], p[2]) for i, p in percentiles.items()}
    pairs = _pairs(columns)
    raw = _run(
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
        raw.update(_run(conn, schema, table, exprs))
    for i, kind in detected.items():
        raw[f"{i}:detected"] = kind
    return raw, percentiles, passes, sampled


def _pairs(columns: list[ColumnInfo]) -> list[tuple[str, str]]:
    return patterns.ordered_pairs([c.name for c in columns if c.kind in ("date", "timestamp")])


# --- the sampled profile --------------------------------------------------------------
#
# One full pass counts rows and missing values exactly (PostgreSQL may run it in
# parallel). Everything else is read from a sample of about SAMPLED_ROWS rows, a few
# from each of PAGES_PER_SAMPLED_ROW times as many pages (TABLESAMPLE SYSTEM, then a
# random share of each page's rows). Text columns of the sample are grouped by value
# first, so patterns and letter case are tested once per distinct value and weighted by
# its count, and their distinct counts are estimated from the sample (estimate_distinct).
# Quartiles, and the distinct counts of other columns, come from PostgreSQL's planner
# statistics (ANALYZE samples rows), refreshed when they are missing or the table's row
# count has moved away from them; outliers are counted in the sample against the fences.
# Counts found in the sample are scaled to the column's exact number of non-missing values.

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
            ("neg", _count_if(sql.SQL("{} < 0").format(c))),
        ]
        if fence is not None:
            low, high = (sql.Literal(f) for f in fence)
            condition = sql.SQL("{0} < {1} or {0} > {2}").format(c, low, high)
            items.append(("out", _count_if(condition)))
    elif col.kind in ("date", "timestamp"):
        now = {"date": "current_date", "timestamptz": "now()"}.get(col.typname, "localtimestamp")
        items += [
            ("min", sql.SQL("min({})::text").format(c)),
            ("max", sql.SQL("max({})::text").format(c)),
            ("future", _count_if(sql.SQL("{} > {}").format(c, sql.SQL(now)))),
        ]
    return [(f"{index}:{key}", expr) for key, expr in items]


def _sample_text_branch(index: int, col: ColumnInfo) -> sql.Composable:
    """A text column of the sample: values grouped, then each tested once (n rows).

    A column named like an email, URL or phone is tested for that pattern only; any
    other for every pattern (what it holds is decided from the counts) and letter case.
    """
    v = sql.Identifier("v")
    conditions = _pattern_conditions(v)
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
            _count_if(sql.SQL("{} < {}").format(sql.Identifier(later), sql.Identifier(earlier))),
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
        (f"{i}:missing", _count_if(sql.SQL("{} is null").format(sql.Identifier(c.name))))
        for i, c in enumerate(columns)
    ]
    raw = _run(conn, schema, table, exprs)
    rows = int(raw["rows"])
    return {
        "rows": rows,
        **{f"{i}:nn": rows - int(raw[f"{i}:missing"]) for i in range(len(columns))},
    }


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


def _planner_stats(
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


def _planner_distinct_count(stats: PlannerStats | None, rows: int) -> int:
    if stats is None:
        return 0
    return round(stats.n_distinct if stats.n_distinct >= 0 else -stats.n_distinct * rows)


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
        got = {**_stats(found[-1], i), **found.get(i, {})}
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
            distinct = _planner_distinct_count(planner.get(col.name), rows)
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
            detected = scoring.detect_text_kind(col.name, nn, _stats(raw, i))[0]
            raw[f"{i}:detected"] = detected
            if detected in VALID_KEYS:
                raw[f"{i}:valid"] = raw[f"{i}:{VALID_KEYS[detected]}"]
    return raw


def _sampled_stats(
    conn: psycopg.Connection, schema: str, table: str, columns: list[ColumnInfo]
) -> tuple[dict[str, Any], dict[int, list[float]], int, dict[str, Any]] | None:
    """(raw, percentiles, full passes, sample facts), or None for an empty table."""
    exact = _null_pass(conn, schema, table, columns)
    rows = int(exact["rows"])
    if rows == 0:
        return None
    pairs = _pairs(columns)
    planner, analyzed = _planner_stats(conn, schema, table, columns, rows)
    percentiles = {
        i: quartiles
        for i, col in enumerate(columns)
        if col.kind == "numeric" and col.name in planner
        if (quartiles := planner_quartiles(planner[col.name])) is not None
    }
    fences = {i: _fences(p[0], p[2]) for i, p in percentiles.items()}
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


def profile_table(
    conn: psycopg.Connection, schema: str, table: str, *, mode: str | None = None
) -> dict[str, Any]:
    """The quality report of ``schema.table`` (a JSON-ready dict).

    ``mode`` "exact" counts every statistic over every row (distinct counts and
    quartiles sort each column); "sampled" counts rows and missing values exactly in one
    pass and estimates the rest from a sample of about SAMPLED_ROWS rows and the planner
    statistics (see above). By default tables up to SAMPLE_ABOVE_BYTES are profiled
    exactly, larger ones sampled.
    """
    started = time.perf_counter()
    columns = table_columns(conn, schema, table)
    if mode is None:
        mode = "sampled" if _table_bytes(conn, schema, table) > SAMPLE_ABOVE_BYTES else "exact"
    if mode not in MODES:
        raise ValueError(f"unknown profile mode {mode!r}")
    sampled = _sampled_stats(conn, schema, table, columns) if mode == "sampled" else None
    if sampled is None:  # exact asked, or nothing to sample
        mode = "exact"
        raw, percentiles, passes, detection_rows = _exact_stats(conn, schema, table, columns)
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
    fences = {i: _fences(p[0], p[2]) for i, p in percentiles.items()}
    report = build_report(columns, raw, percentiles, fences, _pairs(columns))
    report.update(
        table=f"{schema}.{table}",
        passes=passes,
        mode=mode,
        **facts,
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    return report


def _stats(raw: dict[str, Any], index: int) -> dict[str, Any]:
    prefix = f"{index}:"
    return {k[len(prefix) :]: v for k, v in raw.items() if k.startswith(prefix)}


def _column(
    info: ColumnInfo,
    stats: dict[str, Any],
    rows: int,
    percentiles: list[float] | None,
    fence: tuple[float, float] | None,
    order: dict[str, int],
) -> dict[str, Any]:
    nn = int(stats["nn"])
    col: dict[str, Any] = {
        "name": info.name,
        "type": info.type,
        "pg_type": info.typname,
        "kind": info.kind,
        "status": "profiled",
        "non_null": nn,
        "null_count": rows - nn,
        "null_pct": scoring.pct(rows - nn, rows),
        "completeness": scoring.pct(nn, rows),
        "distinct_count": None,
        "uniqueness": None,
        "validity": None,
        "consistency": None,
        "detected": info.kind,
        "invalid_count": 0,
        "consistency_findings": [],
        "is_key": False,
        "duplicate_count": 0,
    }
    if info.kind == "other":
        col.update(
            status="skipped", skip_reason=f"type {info.type} is not supported by the quality checks"
        )
        return col
    nd = int(stats["nd"])
    col["distinct_count"] = nd
    if info.kind in ("numeric", "date", "timestamp"):
        col.update(min=stats["min"], max=stats["max"])
    if info.kind == "numeric":
        col["mean"] = None if stats["mean"] is None else round(stats["mean"], 4)
        if percentiles is not None and fence is not None:
            q1, median, q3 = percentiles
            col.update(
                q1=q1,
                median=median,
                q3=q3,
                lower_fence=fence[0],
                upper_fence=fence[1],
                outlier_count=int(stats.get("out", 0)),
            )
    valid = nn
    if info.kind == "text":
        detected = stats["detected"]
        col["detected"] = detected
        if detected in VALID_KEYS:
            valid = int(stats["valid"])
        elif detected == "date":
            valid = sum(int(stats[f"fmt_{f}"]) for f in patterns.DATE_FORMATS)
    if nn:
        col["uniqueness"] = scoring.pct(nd, nn)
        col["invalid_count"] = nn - valid
        col["validity"] = scoring.pct(valid, nn)
        findings = scoring.consistency_findings(col, stats, order)
        col["consistency_findings"] = findings
        inconsistent = min(nn, sum(f["count"] for f in findings))
        col["consistency"] = scoring.pct(nn - inconsistent, nn)
    return col


def build_report(
    columns: list[ColumnInfo],
    raw: dict[str, Any],
    percentiles: dict[int, list[float]],
    fences: dict[int, tuple[float, float]],
    pairs: list[tuple[str, str]],
) -> dict[str, Any]:
    """Assemble the report from the two passes' results."""
    rows = int(raw["rows"])
    order: dict[str, dict[str, int]] = {}
    for j, (earlier, later) in enumerate(pairs):
        order.setdefault(later, {})[earlier] = int(raw[f"pair:{j}"])
    cols = [
        _column(
            info, _stats(raw, i), rows, percentiles.get(i), fences.get(i), order.get(info.name, {})
        )
        for i, info in enumerate(columns)
    ]
    keys = scoring.choose_keys(cols)
    for col in cols:
        if col["name"] in keys:
            col["is_key"] = True
            col["duplicate_count"] = col["non_null"] - col["distinct_count"]
        col["uniqueness_judged"] = scoring.uniqueness_judged(col)
        col["uniqueness_note"] = scoring.uniqueness_note(col)
    if rows == 0:
        metrics = {name: 0.0 for name in scoring.WEIGHTS}
        issues = [
            {
                "column": None,
                "kind": "empty",
                "count": 0,
                "pct": 100.0,
                "severity": "critical",
                "message": "The table has no rows.",
            }
        ]
        score = 0
    else:
        metrics = scoring.table_metrics(cols)
        issues = scoring.sort_issues([i for c in cols for i in scoring.column_issues(c, rows)])
        score = scoring.overall_score(metrics)
    return {
        "status": "empty" if rows == 0 else "ok",
        "row_count": rows,
        "column_count": len(cols),
        "score": score,
        "metrics": metrics,
        "keys": keys,
        "uniqueness_columns": [c["name"] for c in cols if c["uniqueness_judged"]],
        "duplicates": {c["name"]: c["duplicate_count"] for c in cols if c["is_key"]},
        "columns": cols,
        "issues": issues,
        "skipped_columns": [c["name"] for c in cols if c["status"] == "skipped"],
    }
