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
        (row[0],)).fetchall()
    return [ColumnInfo(name, type_, typname) for name, type_, typname in rows]


def _count_if(condition: sql.Composable) -> sql.Composable:
    return sql.SQL("count(*) filter (where {})").format(condition)


def _regex(col: sql.Composable, pattern: str) -> sql.Composable:
    return sql.SQL("{} ~ {}").format(col, sql.Literal(pattern))


def _percentile_exprs(columns: list[ColumnInfo]) -> list[tuple[str, sql.Composable]]:
    return [
        (f"{i}:pct", sql.SQL(
            "percentile_cont(array[0.25, 0.5, 0.75]) within group (order by {}::float8)"
        ).format(sql.Identifier(c.name)))
        for i, c in enumerate(columns) if c.kind == "numeric"
    ]


def _text_exprs(c: sql.Composable) -> list[tuple[str, sql.Composable]]:
    exprs: list[tuple[str, sql.Composable]] = [
        ("int", _count_if(_regex(c, patterns.INTEGER_RE))),
        ("dec", _count_if(_regex(c, patterns.DECIMAL_RE))),
        ("bool", _count_if(sql.SQL("lower(btrim({})) = any({})").format(
            c, sql.Literal(list(patterns.BOOLEAN_WORDS))))),
        ("email", _count_if(_regex(c, patterns.EMAIL_RE))),
        ("url", _count_if(_regex(c, patterns.URL_RE))),
        ("phone", _count_if(sql.SQL("{} and {}").format(
            _regex(c, patterns.PHONE_RE), _regex(c, patterns.PHONE_DIGITS_RE)))),
    ]
    exprs += [(f"fmt_{name}", _count_if(_regex(c, rx)))
              for name, rx in patterns.DATE_FORMATS.items()]
    exprs += [
        ("iso_future", _count_if(sql.SQL("{} and left({}, 10) > to_char(current_date, {})")
                                 .format(_regex(c, patterns.DATE_FORMATS["iso"]), c,
                                         sql.Literal("YYYY-MM-DD")))),
        ("ndl", sql.SQL("count(distinct lower({}))").format(c)),
        ("cased", _count_if(sql.SQL("lower({0}) <> upper({0})").format(c))),
        ("lower", _count_if(sql.SQL("{0} = lower({0}) and {0} <> upper({0})").format(c))),
        ("upper", _count_if(sql.SQL("{0} = upper({0}) and {0} <> lower({0})").format(c))),
        ("title", _count_if(sql.SQL(
            "{0} = initcap({0}) and {0} <> lower({0}) and {0} <> upper({0})").format(c))),
        ("untrimmed", _count_if(sql.SQL("{0} <> btrim({0})").format(c))),
    ]
    return exprs


def _aggregate_exprs(columns: list[ColumnInfo], fences: dict[int, tuple[float, float]],
                     pairs: list[tuple[str, str]]) -> list[tuple[str, sql.Composable]]:
    exprs: list[tuple[str, sql.Composable]] = [("rows", sql.SQL("count(*)"))]
    for i, col in enumerate(columns):
        c = sql.Identifier(col.name)
        exprs.append((f"{i}:nn", sql.SQL("count({})").format(c)))
        if col.kind == "other":
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
                exprs.append((f"{i}:out", _count_if(sql.SQL("{0} < {1} or {0} > {2}").format(
                    c, sql.Literal(low), sql.Literal(high)))))
        elif col.kind in ("date", "timestamp"):
            now = {"date": "current_date", "timestamptz": "now()"}.get(
                col.typname, "localtimestamp")
            exprs += [
                (f"{i}:min", sql.SQL("min({})::text").format(c)),
                (f"{i}:max", sql.SQL("max({})::text").format(c)),
                (f"{i}:future", _count_if(sql.SQL("{} > {}").format(c, sql.SQL(now)))),
            ]
        elif col.kind == "text":
            exprs += [(f"{i}:{key}", expr) for key, expr in _text_exprs(c)]
    for j, (earlier, later) in enumerate(pairs):
        exprs.append((f"pair:{j}", _count_if(sql.SQL("{} < {}").format(
            sql.Identifier(later), sql.Identifier(earlier)))))
    return exprs


def _run(conn: psycopg.Connection, schema: str, table: str,
         exprs: list[tuple[str, sql.Composable]]) -> dict[str, Any]:
    """One scan of the table computing every expression; {key: value}."""
    select = sql.SQL(", ").join(sql.SQL("{} as {}").format(e, sql.Identifier(f"e{n}"))
                                for n, (_, e) in enumerate(exprs))
    row = conn.execute(sql.SQL("select {} from {}").format(
        select, sql.Identifier(schema, table))).fetchone()
    assert row is not None
    return {key: value for (key, _), value in zip(exprs, row, strict=True)}


def _fences(q1: float, q3: float) -> tuple[float, float]:
    iqr = q3 - q1
    return q1 - 1.5 * iqr, q3 + 1.5 * iqr


def profile_table(conn: psycopg.Connection, schema: str, table: str) -> dict[str, Any]:
    """The quality report of ``schema.table`` (a JSON-ready dict)."""
    started = time.perf_counter()
    columns = table_columns(conn, schema, table)
    passes = 0
    percentiles: dict[int, list[float]] = {}
    pct_exprs = _percentile_exprs(columns)
    if pct_exprs:
        passes += 1
        for key, value in _run(conn, schema, table, pct_exprs).items():
            if value is not None:
                percentiles[int(key.split(":")[0])] = [float(v) for v in value]
    fences = {i: _fences(p[0], p[2]) for i, p in percentiles.items()}
    dates = [c.name for c in columns if c.kind in ("date", "timestamp")]
    pairs = patterns.ordered_pairs(dates)
    raw = _run(conn, schema, table, _aggregate_exprs(columns, fences, pairs))
    passes += 1
    report = build_report(columns, raw, percentiles, fences, pairs)
    report.update(table=f"{schema}.{table}", passes=passes,
                  duration_ms=round((time.perf_counter() - started) * 1000, 1),
                  generated_at=datetime.now(UTC).isoformat(timespec="seconds"))
    return report


def _stats(raw: dict[str, Any], index: int) -> dict[str, Any]:
    prefix = f"{index}:"
    return {k[len(prefix):]: v for k, v in raw.items() if k.startswith(prefix)}


def _column(info: ColumnInfo, stats: dict[str, Any], rows: int, percentiles: list[float] | None,
            fence: tuple[float, float] | None, order: dict[str, int]) -> dict[str, Any]:
    nn = int(stats["nn"])
    col: dict[str, Any] = {
        "name": info.name, "type": info.type, "pg_type": info.typname, "kind": info.kind,
        "status": "profiled", "non_null": nn, "null_count": rows - nn,
        "null_pct": scoring.pct(rows - nn, rows), "completeness": scoring.pct(nn, rows),
        "distinct_count": None, "uniqueness": None, "validity": None, "consistency": None,
        "detected": info.kind, "invalid_count": 0, "consistency_findings": [],
        "is_key": False, "duplicate_count": 0,
    }
    if info.kind == "other":
        col.update(status="skipped",
                   skip_reason=f"type {info.type} is not supported by the quality checks")
        return col
    nd = int(stats["nd"])
    col["distinct_count"] = nd
    if info.kind in ("numeric", "date", "timestamp"):
        col.update(min=stats["min"], max=stats["max"])
    if info.kind == "numeric":
        col["mean"] = None if stats["mean"] is None else round(stats["mean"], 4)
        if percentiles is not None and fence is not None:
            q1, median, q3 = percentiles
            col.update(q1=q1, median=median, q3=q3, lower_fence=fence[0], upper_fence=fence[1],
                       outlier_count=int(stats.get("out", 0)))
    valid = nn
    if info.kind == "text":
        detected, valid = scoring.detect_text_kind(info.name, nn, stats)
        col["detected"] = detected
    if nn:
        col["uniqueness"] = scoring.pct(nd, nn)
        col["invalid_count"] = nn - valid
        col["validity"] = scoring.pct(valid, nn)
        findings = scoring.consistency_findings(col, stats, order)
        col["consistency_findings"] = findings
        inconsistent = min(nn, sum(f["count"] for f in findings))
        col["consistency"] = scoring.pct(nn - inconsistent, nn)
    return col


def build_report(columns: list[ColumnInfo], raw: dict[str, Any],
                 percentiles: dict[int, list[float]], fences: dict[int, tuple[float, float]],
                 pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Assemble the report from the two passes' results."""
    rows = int(raw["rows"])
    order: dict[str, dict[str, int]] = {}
    for j, (earlier, later) in enumerate(pairs):
        order.setdefault(later, {})[earlier] = int(raw[f"pair:{j}"])
    cols = [_column(info, _stats(raw, i), rows, percentiles.get(i), fences.get(i),
                    order.get(info.name, {})) for i, info in enumerate(columns)]
    keys = scoring.choose_keys(cols)
    for col in cols:
        if col["name"] in keys:
            col["is_key"] = True
            col["duplicate_count"] = col["non_null"] - col["distinct_count"]
    if rows == 0:
        metrics = {name: 0.0 for name in scoring.WEIGHTS}
        issues = [{"column": None, "kind": "empty", "count": 0, "pct": 100.0,
                   "severity": "critical", "message": "The table has no rows."}]
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
