"""Profile a table in SQL: two passes (percentiles, then one aggregate query), no rows loaded.

``profile_table`` returns a JSON-ready report: per-column completeness, uniqueness,
validity, consistency, IQR outliers, key columns with their duplicates, graded issues and
the overall score (see dra.quality.scoring for the rules).
"""

from __future__ import annotations

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


def _text_exprs(
    index: int, c: sql.Composable, detected: str, fenced: bool = True
) -> list[tuple[str, sql.Composable]]:
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
        low, up, cap = (
            _derived(index, k) if fenced else sql.SQL("{}({})").format(sql.SQL(fn), c)
            for k, fn in CASE_FUNCTIONS.items()
        )
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
    distinct: bool = True,
) -> list[tuple[str, sql.Composable]]:
    exprs: list[tuple[str, sql.Composable]] = [("rows", sql.SQL("count(*)"))]
    for i, col in enumerate(columns):
        c = sql.Identifier(col.name)
        exprs.append((f"{i}:nn", sql.SQL("count({})").format(c)))
        if col.kind == "other":
            continue
        if col.kind == "text":
            exprs += [
                (f"{i}:{key}", expr)
                for key, expr in _text_exprs(i, c, detected[i], fenced=distinct)
                if distinct or key != "nd"
            ]
            continue
        if distinct:
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


SAMPLE_ROWS = 20_000
"""Text columns' kinds (email, date, number...) are decided on about this many rows; the
counts that follow from the decision (validity, formats, case) are exact."""


def _sample_clause(conn: psycopg.Connection, schema: str, table: str) -> sql.Composable | None:
    """A TABLESAMPLE of about SAMPLE_ROWS rows for large tables (None: read them all)."""
    row = conn.execute(
        "select reltuples from pg_class where oid = to_regclass(%s)",
        (sql.Identifier(schema, table).as_string(conn),),
    ).fetchone()
    estimate = float(row[0]) if row and row[0] is not None else -1.0
    if estimate < SAMPLE_ROWS * 5:
        return None
    percent = round(100.0 * SAMPLE_ROWS / estimate, 4)
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
        if raw is None or raw["rows"] < SAMPLE_ROWS // 10:
            raw = _run(conn, schema, table, exprs)
        else:
            sampled = int(raw["rows"])
        for i in detected:
            if not detected[i]:
                stats = _stats(raw, i)
                detected[i] = scoring.detect_text_kind(columns[i].name, stats["nn"], stats)[0]
    return detected, sampled


ESTIMATE_ABOVE_ROWS = 5_000_000
"""Tables estimated larger than this get the estimated profile unless exact is asked."""


def _row_estimate(conn: psycopg.Connection, schema: str, table: str) -> float:
    row = conn.execute(
        "select reltuples from pg_class where oid = to_regclass(%s)",
        (sql.Identifier(schema, table).as_string(conn),),
    ).fetchone()
    return float(row[0]) if row and row[0] is not None else -1.0


def _estimated_distinct(
    conn: psycopg.Connection,
    schema: str,
    table: str,
    columns: list[ColumnInfo],
    raw: dict[str, Any],
) -> None:
    """Distinct counts from PostgreSQL's own statistics (ANALYZE samples 30,000 rows)."""
    conn.execute(sql.SQL("analyze {}").format(sql.Identifier(schema, table)))
    stats = dict(
        conn.execute(
            "select attname, n_distinct from pg_stats where schemaname = %s and tablename = %s",
            (schema, table),
        ).fetchall()
    )
    rows = int(raw["rows"])
    for i, col in enumerate(columns):
        if col.kind == "other":
            continue
        nn = int(raw[f"{i}:nn"])
        n_distinct = float(stats.get(col.name) or 0)
        estimate = n_distinct if n_distinct >= 0 else -n_distinct * rows
        raw[f"{i}:nd"] = max(min(nn, 1), min(nn, round(estimate)))


def profile_table(
    conn: psycopg.Connection, schema: str, table: str, *, exact: bool | None = None
) -> dict[str, Any]:
    """The quality report of ``schema.table`` (a JSON-ready dict).

    ``exact`` (the default up to ESTIMATE_ABOVE_ROWS rows) counts distinct values and
    quartiles over every row, which sorts each column. The estimated profile reads the
    table once with aggregates PostgreSQL can run in parallel, takes distinct counts
    from ANALYZE and quartiles from a sample of about SAMPLE_ROWS rows; every other count
    (missing, invalid, inconsistent, outliers against the fences) stays exact.
    """
    started = time.perf_counter()
    columns = table_columns(conn, schema, table)
    if exact is None:
        exact = _row_estimate(conn, schema, table) <= ESTIMATE_ABOVE_ROWS
    detected, sampled = detect_text_columns(conn, schema, table, columns)
    # full scans: the detection reads a sample of a large table, all of a small one
    passes = 1 if sampled is None and _detection_exprs(columns) else 0
    sample = None if exact else _sample_clause(conn, schema, table)
    percentiles: dict[int, list[float]] = {}
    pct_exprs = _percentile_exprs(columns)
    if pct_exprs:
        passes += 1 if sample is None else 0
        for key, value in _run(conn, schema, table, pct_exprs, sample).items():
            if value is not None:
                percentiles[int(key.split(":")[0])] = [float(v) for v in value]
    fences = {i: _fences(p[0], p[2]) for i, p in percentiles.items()}
    dates = [c.name for c in columns if c.kind in ("date", "timestamp")]
    pairs = patterns.ordered_pairs(dates)
    raw = _run(
        conn,
        schema,
        table,
        _aggregate_exprs(columns, fences, pairs, detected, distinct=exact),
        # exact: sorts dominate, compute case functions once per row; estimated:
        # no subquery fence, so PostgreSQL may scan in parallel
        source=_main_source(schema, table, columns, detected) if exact else None,
    )
    passes += 1
    if not exact:
        _estimated_distinct(conn, schema, table, columns, raw)
    variants = _case_variant_columns(columns, detected, raw)
    for i in detected:
        raw[f"{i}:ndl"] = raw.get(f"{i}:nd")
    if variants:
        passes += 1 if sample is None else 0
        exprs = [
            (
                f"{i}:ndl",
                sql.SQL('count(distinct lower({}) collate "C")').format(
                    sql.Identifier(columns[i].name)
                ),
            )
            for i in variants
        ]
        if not exact:  # compared on the same sample
            exprs += [
                (
                    f"{i}:nd",
                    sql.SQL('count(distinct {} collate "C")').format(
                        sql.Identifier(columns[i].name)
                    ),
                )
                for i in variants
            ]
        found = _run(conn, schema, table, exprs, sample)
        for i in variants:
            if exact:
                raw[f"{i}:ndl"] = found[f"{i}:ndl"]
            elif found[f"{i}:ndl"] < found[f"{i}:nd"]:
                raw[f"{i}:ndl"] = raw[f"{i}:nd"] - 1  # variants seen in the sample
    for i, kind in detected.items():
        raw[f"{i}:detected"] = kind
    report = build_report(columns, raw, percentiles, fences, pairs)
    report.update(
        table=f"{schema}.{table}",
        passes=passes,
        detection_sample_rows=sampled,
        mode="exact" if exact else "estimated",
        estimated=[]
        if exact
        else ["distinct counts (uniqueness, key duplicates)", "quartiles and outlier fences"],
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
        "duplicates": {c["name"]: c["duplicate_count"] for c in cols if c["is_key"]},
        "columns": cols,
        "issues": issues,
        "skipped_columns": [c["name"] for c in cols if c["status"] == "skipped"],
    }
