"""Facts about a data model's table, computed in SQL as the project's role (UC-INS-01).

The table is never loaded into Python: the statements below run in one read-only
transaction narrowed to the project's database role with the statement timeout
(``dra.modeling.executor.readonly_cursor``, as dashboard widgets run) and return
aggregates only. Two passes over the table at most:

1. **series** (when the table has a time column): one ``GROUP BY day`` for every measure,
   rolled up in the same statement to a grain chosen from the span (day up to 92 days,
   ISO week up to 731 days, else month); per measure the last complete period against
   the one before (``lag``), the least-squares trend over the complete periods
   (``regr_slope``, ``regr_r2``) and each period's modified z-score against the median
   and the median absolute deviation (``percentile_cont``; the mean absolute deviation
   x 1.2533 when the MAD is 0).
2. **dimensions** (when the table has low-cardinality text columns): one ``GROUP BY``
   over the compared period and every dimension together, rolled up per dimension in the
   same statement: each value's share of rows and of the main measure (concentration of
   the top 1 / 3 / 10 values) and its change between the two compared periods (the
   drivers of the biggest changes).

Columns: measures are numeric columns that are not keys or calendar parts (``id``,
``customer_id``, ``year``...), summed, or averaged when their name says they are not
additive (price, rate, ratio, score...); the rows themselves are one more measure
(``rows``). The time column is the first date or timestamp column named like a date
(date, created, occurred, ordered, day), else the first one. Dimensions are text and
boolean columns with 2 to ``DIMENSION_MAX_VALUES`` distinct values (from the planner
statistics of the table, analyzed when built; a bounded sample otherwise).

Each fact has a stable id (``size``, ``quality``, ``change:amount:week``,
``trend:amount``, ``anomaly:amount:2026-11-03``, ``driver:amount:country=DE``,
``concentration:country``, ``distribution:amount``), its numbers, a plain sentence
(what the offline insights show; every number in it is one of the fact's numbers) and
the SQL that produced it. Size, quality and distribution come from the model's row and
its latest quality report (the profile's quartiles), read by the caller.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql

from dra.db import Database
from dra.ingestion.naming import models_schema
from dra.modeling.catalog import NUMERIC
from dra.modeling.executor import readonly_cursor
from dra.models.base import stored_time

MAX_MEASURES = 8
MAX_DIMENSIONS = 6
DIMENSION_MAX_VALUES = 50
COMBINATIONS_MAX = 200_000
"""Above this many (value, value...) combinations, dimensions are grouped one by one."""
MAD_THRESHOLD = 3.5
"""A period is an anomaly when its modified z-score is beyond this (Iglewicz and Hoaglin)."""
MIN_ANOMALY_DEVIATION = 0.05
"""...and at least this far from the median, relative to it (a near-constant series has a
tiny spread: 9,590 rows against a median of 9,589 is no anomaly)."""
MAX_ANOMALIES = 3
"""Per measure, the strongest ones."""
MIN_TREND_PERIODS = 4
DRIVER_MEASURES = 2
"""Drivers are looked for in the measures with the largest relative change."""
MIN_DRIVER_CHANGE_PCT = 5.0
"""Smaller changes are noise: their drivers are not looked for."""
MIN_DRIVER_SHARE = 20.0
"""A value is a driver when it accounts for at least this % of the measure's change."""
MAX_DRIVERS = 3
DAY_SPAN_MAX = 92
WEEK_SPAN_MAX = 731
STALE_AFTER_PERIODS = 2
"""The latest date is stale when the build came more than this many periods after it."""
RANK = {"critical": 3, "warning": 2, "info": 1}

TEXT_TYPES = frozenset({"text", "character varying", "character", "citext", "boolean"})
TIME_TYPES = {
    "date": "date",
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamptz",
}
NOT_MEASURE_WORDS = frozenset(
    {
        "id", "key", "code", "no", "nr", "number", "num", "zip", "postcode", "postal", "phone",
        "year", "month", "week", "day", "hour", "quarter", "lat", "latitude", "lon", "lng",
        "longitude", "uuid", "version",
    }
)  # fmt: skip
AVERAGE_WORDS = frozenset(
    {
        "price", "rate", "ratio", "pct", "percent", "percentage", "avg", "average", "mean",
        "score", "age", "margin", "share", "temperature", "rating",
    }
)  # fmt: skip
TIME_NAME = re.compile(r"date|created|occurred|ordered|day", re.IGNORECASE)
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


class NoData(Exception):
    """The model's table is missing or has no rows."""


# ----------------------------------------------------------------------------- data shapes


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    type: str
    role: str = "other"
    """measure, dimension, time or other."""
    aggregate: str | None = None
    """sum or avg for measures."""
    distinct: int | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type, "role": self.role}
        if self.aggregate:
            out["aggregate"] = self.aggregate
        if self.distinct is not None:
            out["distinctValues"] = self.distinct
        return out


@dataclass
class Fact:
    id: str
    kind: str
    sentence: str
    numbers: dict[str, Any]
    sql: str
    severity: str = "info"
    score: float = 0.0
    """How much it matters (for ranking the offline insights)."""

    def as_dict(self, *, with_sql: bool = True) -> dict[str, Any]:
        out = {
            "id": self.id,
            "kind": self.kind,
            "severity": self.severity,
            "sentence": self.sentence,
            "numbers": self.numbers,
            "score": self.score,
        }
        if with_sql:
            out["sql"] = self.sql
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fact:
        return cls(
            id=data["id"],
            kind=data.get("kind", ""),
            sentence=data.get("sentence", ""),
            numbers=data.get("numbers") or {},
            sql=data.get("sql", ""),
            severity=data.get("severity", "info"),
            score=float(data.get("score") or 0),
        )


@dataclass
class FactSet:
    model_id: int
    model_name: str
    model_version: int
    table: str
    rows: int
    columns: list[ColumnInfo]
    facts: list[Fact]
    time_column: str | None = None
    grain: str | None = None
    computed_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    elapsed_ms: float = 0.0
    statements: int = 0
    """Statements run on the model's table (each a pass over it at most)."""
    timings: dict[str, float] = field(default_factory=dict)
    """Milliseconds: reading the columns, then each statement (series, dimensions...)."""

    def get(self, fact_id: str) -> Fact | None:
        return next((f for f in self.facts if f.id == fact_id), None)

    @property
    def ids(self) -> list[str]:
        return [f.id for f in self.facts]

    def ranked(self) -> list[Fact]:
        """Most important first: severity, then score, then their order here."""
        order = {f.id: i for i, f in enumerate(self.facts)}
        return sorted(self.facts, key=lambda f: (-RANK.get(f.severity, 0), -f.score, order[f.id]))

    def as_dict(self, *, with_sql: bool = True) -> dict[str, Any]:
        return {
            "modelId": self.model_id,
            "modelName": self.model_name,
            "modelVersion": self.model_version,
            "table": self.table,
            "rows": self.rows,
            "timeColumn": self.time_column,
            "grain": self.grain,
            "columns": [c.as_dict() for c in self.columns],
            "computedAt": self.computed_at.isoformat(),
            "elapsedMs": round(self.elapsed_ms, 1),
            "statements": self.statements,
            "timings": self.timings,
            "facts": [f.as_dict(with_sql=with_sql) for f in self.facts],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FactSet:
        return cls(
            model_id=int(data.get("modelId") or 0),
            model_name=data.get("modelName", ""),
            model_version=int(data.get("modelVersion") or 0),
            table=data.get("table", ""),
            rows=int(data.get("rows") or 0),
            columns=[
                ColumnInfo(
                    c["name"],
                    c.get("type", ""),
                    c.get("role", "other"),
                    c.get("aggregate"),
                    c.get("distinctValues"),
                )
                for c in data.get("columns", [])
            ],
            facts=[Fact.from_dict(f) for f in data.get("facts", [])],
            time_column=data.get("timeColumn"),
            grain=data.get("grain"),
            computed_at=stored_time(data.get("computedAt")) or datetime.now(UTC),
            elapsed_ms=float(data.get("elapsedMs") or 0),
            statements=int(data.get("statements") or 0),
            timings=dict(data.get("timings") or {}),
        )


@dataclass(frozen=True)
class ModelSnapshot:
    """What the facts need to know of the model (read by the caller from app tables)."""

    id: int
    project_id: int
    name: str
    version: int
    table: str | None
    row_count: int | None
    built_at: datetime | None


@dataclass(frozen=True)
class QualitySnapshot:
    """The model's latest quality report (None when it has none)."""

    id: int
    score: float
    created_at: datetime
    row_count: int | None
    report: dict[str, Any]


@dataclass(frozen=True)
class Measure:
    label: str
    column: ColumnInfo | None  # None: the rows themselves
    aggregate: str  # count, sum, avg

    @property
    def additive(self) -> bool:
        return self.aggregate in ("count", "sum")


def fact(
    kind: str,
    key: str | None,
    sentence: str,
    numbers: dict[str, Any],
    sql: str,
    *,
    severity: str = "info",
    score: float = 0.0,
) -> Fact:
    """A fact whose id is its kind, then ``:key`` when there are several of the kind."""
    fact_id = kind if key is None else f"{kind}:{key}"
    return Fact(fact_id, kind, sentence, numbers, sql, severity, score)


# ----------------------------------------------------------------------------- helpers


def words(name: str) -> list[str]:
    """Lower-case words of a column name (``customerId``, ``customer_id`` -> customer, id)."""
    return [w.lower() for part in re.split(r"[^A-Za-z0-9]+", name) for w in _WORDS.findall(part)]


def classify(columns: list[tuple[str, str, int | None]]) -> list[ColumnInfo]:
    """Roles of the table's columns, from (name, type, distinct values or None)."""
    out: list[ColumnInfo] = []
    temporal = [name for name, typ, _ in columns if typ in TIME_TYPES]
    named = [name for name in temporal if TIME_NAME.search(name)]
    time_column = (named or temporal or [None])[0]
    measures = dimensions = 0
    for name, typ, distinct in columns:
        ws = words(name)
        if name == time_column:
            out.append(ColumnInfo(name, typ, "time", distinct=distinct))
        elif (
            typ in NUMERIC
            and ws
            and ws[-1] not in NOT_MEASURE_WORDS
            and name.lower() != "rows"
            and measures < MAX_MEASURES
        ):
            aggregate = "avg" if AVERAGE_WORDS.intersection(ws) else "sum"
            out.append(ColumnInfo(name, typ, "measure", aggregate, distinct))
            measures += 1
        elif (
            typ in TEXT_TYPES
            and distinct is not None
            and 2 <= distinct <= DIMENSION_MAX_VALUES
            and dimensions < MAX_DIMENSIONS
        ):
            out.append(ColumnInfo(name, typ, "dimension", distinct=distinct))
            dimensions += 1
        else:
            out.append(ColumnInfo(name, typ, "other", distinct=distinct))
    return out


def clean(value: Any, digits: int = 4) -> Any:
    """A number as JSON keeps it: ints stay ints, floats rounded to ``digits`` decimals."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        rounded = round(value, digits)
        if rounded == int(rounded) and abs(rounded) < 2**53:
            return int(rounded)
        return rounded
    return value


def fmt(value: float | int | None, decimals: int | None = None) -> str:
    """A number for a sentence: thousands separators, at most 2 decimals (less when large)."""
    if value is None:
        return "n/a"
    v = float(value)
    if decimals is None:
        decimals = 0 if abs(v) >= 1000 else (1 if abs(v) >= 100 else 2)
    text = f"{v:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def signed(value: float | int | None, decimals: int | None = None) -> str:
    if value is None:
        return "n/a"
    return ("+" if value > 0 else "") + fmt(value, decimals)


def pct(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{fmt(value, 1 if abs(value) >= 0.1 or value == 0 else 2)}%"


def period_label(start: date, grain: str) -> str:
    if grain == "month":
        return start.strftime("%B %Y")
    if grain == "week":
        return f"the week of {start.isoformat()}"
    return start.isoformat()


def _day(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    return value


def _per(grain: str) -> str:
    return {"day": "per day", "week": "per week", "month": "per month"}[grain]


# ----------------------------------------------------------------------------- statements


def _day_expr(column: ColumnInfo) -> sql.Composable:
    """The column's day as a date (the facts' transaction runs with time zone UTC)."""
    ident = sql.Identifier(column.name)
    if TIME_TYPES[column.type] == "date":
        return ident
    return sql.SQL("{}::date").format(ident)


SERIES_COLUMNS = {
    "v": "v",
    "s": "s",
    "n": "c",
    "d": "d",
    "pc": "pc",
    "slope": "slope",
    "r2": "r2_",
    "avg": "avg",
    "med": "med",
    "mad": "mad",
    "meanad": "meanad",
    "z": "z",
}
"""Per measure j, the series statement's column names: ``{key}`` -> ``"{prefix}{j}"``."""


def series_statement(
    table: sql.Composable, time_column: ColumnInfo, measures: list[Measure]
) -> sql.Composed:
    """Pass 1: the measures per period, with change, trend and robust spread in SQL."""
    daily, rolled, numbered, stats, spread, out = [], [], [], [], [], []
    for j, m in enumerate(measures):
        ids = {key: sql.Identifier(f"{prefix}{j}") for key, prefix in SERIES_COLUMNS.items()}
        if m.aggregate == "count":
            rolled.append(sql.SQL("sum(daily.n)::float8 as {v}").format(**ids))
        else:
            col = sql.Identifier(m.column.name)  # type: ignore[union-attr]
            if m.aggregate == "sum":
                daily.append(sql.SQL("sum({c})::float8 as {s}").format(c=col, **ids))
                rolled.append(sql.SQL("sum({s})::float8 as {v}").format(**ids))
            else:  # an average needs its count
                daily.append(
                    sql.SQL("sum({c})::float8 as {s}, count({c}) as {n}").format(c=col, **ids)
                )
                rolled.append(sql.SQL("sum({s}) / nullif(sum({n}), 0) as {v}").format(**ids))
        numbered.append(
            sql.SQL(
                "{v} - lag({v}) over w as {d}, "
                "100 * ({v} - lag({v}) over w) / nullif(abs(lag({v}) over w), 0) as {pc}"
            ).format(**ids)
        )
        stats.append(
            sql.SQL(
                "regr_slope({v}, i) as {slope}, regr_r2({v}, i) as {r2}, avg({v}) as {avg}, "
                "percentile_cont(0.5) within group (order by {v}) as {med}"
            ).format(**ids)
        )
        spread.append(
            sql.SQL(
                "percentile_cont(0.5) within group (order by abs({v} - {med})) as {mad}, "
                "avg(abs({v} - {med})) as {meanad}"
            ).format(**ids)
        )
        out.append(
            sql.SQL(
                "{v}, {d}, {pc}, {slope}, {r2}, {avg}, {med}, {mad}, "
                "case when {mad} > 0 then 0.6745 * ({v} - {med}) / {mad}"
                " when {meanad} > 0 then ({v} - {med}) / (1.253314 * {meanad}) end as {z}"
            ).format(**ids)
        )
    comma = sql.SQL(", ")
    template = """with daily as (
  select {day} as d, count(*) as n{daily}
  from {table}
  group by 1
),
span as (
  select min(d) as lo, max(d) as hi, coalesce(sum(n), 0) as total,
         coalesce(sum(n) filter (where d is null), 0) as undated
  from daily
),
grain as (
  select lo, hi, total, undated,
         case when hi - lo <= {day_max} then 'day'
              when hi - lo <= {week_max} then 'week'
              else 'month' end as g
  from span
),
series as (
  select date_trunc(grain.g, daily.d::timestamp) as p, {rolled}
  from daily cross join grain
  where daily.d is not null
  group by 1
),
numbered as (
  select series.*, row_number() over w as i,
         series.p + ('1 ' || grain.g)::interval <= (grain.hi + 1)::timestamp as complete,
         {numbered}
  from series cross join grain
  window w as (order by series.p)
),
stats as (
  select count(*) as k, {stats}
  from numbered where complete
),
spread as (
  select {spread}
  from numbered cross join stats where complete
)
select grain.g, grain.lo, grain.hi, grain.total, grain.undated, stats.k,
       numbered.p, numbered.i, numbered.complete, {out}
from grain
left join (numbered cross join stats cross join spread) on true
order by numbered.p"""
    return sql.SQL(
        template.replace("{day_max}", str(DAY_SPAN_MAX)).replace("{week_max}", str(WEEK_SPAN_MAX))
    ).format(
        day=_day_expr(time_column),
        daily=sql.SQL("").join(sql.SQL(", ") + d for d in daily) if daily else sql.SQL(""),
        table=table,
        rolled=comma.join(rolled),
        numbered=comma.join(numbered),
        stats=comma.join(stats),
        spread=comma.join(spread),
        out=comma.join(out),
    )


def _bound(value: datetime, column: ColumnInfo) -> sql.Composable:
    """A period boundary typed like the time column (compared without a cast per row)."""
    kind = TIME_TYPES[column.type]
    if kind == "date":
        return sql.Literal(value.date())
    if kind == "timestamptz":
        return sql.Literal(value.replace(tzinfo=UTC))
    return sql.Literal(value)


def dimensions_statement(
    table: sql.Composable,
    dimensions: list[ColumnInfo],
    sums: list[Measure],
    *,
    time_column: ColumnInfo | None,
    compared: tuple[datetime, datetime, datetime] | None,
    together: bool = True,
) -> sql.Composed:
    """Pass 2: per dimension value, its rows and sums overall and in the two compared
    periods (FILTER aggregates: ``_prev``, ``_last``), ranked with cumulative shares.

    ``together``: one ``GROUP BY`` of every dimension at once, rolled up per dimension
    (one pass); otherwise one ``GROUP BY`` per dimension (when their combinations are
    too many to hash)."""
    comma = sql.SQL(", ")
    filters: dict[str, sql.Composable] = {}
    if compared is not None and time_column is not None:
        prev, last, end = (_bound(v, time_column) for v in compared)
        t = sql.Identifier(time_column.name)
        filters = {
            "prev": sql.SQL("{t} >= {a} and {t} < {b}").format(t=t, a=prev, b=last),
            "last": sql.SQL("{t} >= {a} and {t} < {b}").format(t=t, a=last, b=end),
        }

    def aggregates() -> list[sql.Composable]:
        """count and sums, overall and filtered to each compared period."""
        out: list[sql.Composable] = [sql.SQL("count(*) as n")]
        for name in ("prev", "last"):
            out.append(
                sql.SQL("count(*) filter (where {}) as {}").format(
                    filters[name], sql.Identifier(f"n_{name}")
                )
                if filters
                else sql.SQL("null::bigint as {}").format(sql.Identifier(f"n_{name}"))
            )
        for j, m in enumerate(sums):
            col = sql.Identifier(m.column.name)  # type: ignore[union-attr]
            out.append(sql.SQL("sum({})::float8 as {}").format(col, sql.Identifier(f"s{j}")))
            for name in ("prev", "last"):
                alias = sql.Identifier(f"s{j}_{name}")
                out.append(
                    sql.SQL("sum({}) filter (where {})::float8 as {}").format(
                        col, filters[name], alias
                    )
                    if filters
                    else sql.SQL("null::float8 as {}").format(alias)
                )
        return out

    rolled = [sql.SQL("sum(n) as n, sum(n_prev) as n_prev, sum(n_last) as n_last")] + [
        sql.SQL("sum({s}) as {s}, sum({p}) as {p}, sum({la}) as {la}").format(
            s=sql.Identifier(f"s{j}"),
            p=sql.Identifier(f"s{j}_prev"),
            la=sql.Identifier(f"s{j}_last"),
        )
        for j in range(len(sums))
    ]
    if together:
        keys = [
            sql.SQL("{}::text as {}").format(sql.Identifier(d.name), sql.Identifier(f"k{i}"))
            for i, d in enumerate(dimensions)
        ]
        combos = sql.SQL(
            "combos as (\n  select {keys}, {aggs}\n  from {table}\n  group by {groups}\n)"
        ).format(
            keys=comma.join(keys),
            aggs=comma.join(aggregates()),
            table=table,
            groups=comma.join(sql.SQL(str(i + 1)) for i in range(len(dimensions))),
        )
        per_value = sql.SQL("\n  union all\n").join(
            sql.SQL(
                "  select {i} as dim, {k} as value, {rolled}\n  from combos group by {k}"
            ).format(i=sql.Literal(i), k=sql.Identifier(f"k{i}"), rolled=comma.join(rolled))
            for i in range(len(dimensions))
        )
        head = sql.SQL("with {combos},\nper_value as (\n{per_value}\n)").format(
            combos=combos, per_value=per_value
        )
    else:
        per_value = sql.SQL("\n  union all\n").join(
            sql.SQL(
                "  select {i} as dim, {d}::text as value, {aggs}\n  from {table} group by 2"
            ).format(
                i=sql.Literal(i),
                d=sql.Identifier(d.name),
                aggs=comma.join(aggregates()),
                table=table,
            )
            for i, d in enumerate(dimensions)
        )
        head = sql.SQL("with per_value as (\n{per_value}\n)").format(per_value=per_value)
    main = sql.Identifier("s0") if sums else sql.SQL("null::float8")
    tail = sql.SQL(
        """
select per_value.*,
       count(*) over (partition by dim) as distinct_values,
       row_number() over (partition by dim order by n desc, value) as rank_n,
       100.0 * sum(n) over (partition by dim order by n desc, value
                            rows between unbounded preceding and current row)
             / nullif(sum(n) over (partition by dim), 0) as cum_n,
       row_number() over (partition by dim order by {main} desc nulls last, value) as rank_s,
       100.0 * sum({main}) over (partition by dim order by {main} desc nulls last, value
                                 rows between unbounded preceding and current row)
             / nullif(sum({main}) over (partition by dim), 0) as cum_s
from per_value
order by dim, rank_n"""
    ).format(main=main)
    return head + tail


# ----------------------------------------------------------------------------- reading


def _columns(cur: psycopg.Cursor, schema: str, table: str) -> list[tuple[str, str, int | None]]:
    """(name, type, distinct values) of each column; distinct from the planner statistics,
    else counted on a bounded sample for text columns (None when unknown)."""
    cur.execute(
        "select a.attname::text, format_type(a.atttypid, null), s.n_distinct,"
        " c.reltuples::bigint"
        " from pg_catalog.pg_attribute a"
        " join pg_catalog.pg_class c on c.oid = a.attrelid"
        " left join pg_catalog.pg_stats s on s.schemaname = %(schema)s::text"
        "  and s.tablename = %(table)s::text and s.attname = a.attname"
        " where a.attrelid = pg_catalog.to_regclass(pg_catalog.format('%%I.%%I',"
        " %(schema)s::text, %(table)s::text)) and a.attnum > 0 and not a.attisdropped"
        " order by a.attnum",
        {"schema": schema, "table": table},
    )
    rows = cur.fetchall()
    out = []
    for name, typ, n_distinct, reltuples in rows:
        distinct: int | None = None
        if n_distinct is not None:
            n = float(n_distinct)
            distinct = int(n) if n >= 0 else int(round(-n * max(int(reltuples or 0), 0)))
        out.append((name, typ, distinct))
    missing = [name for name, typ, d in out if d is None and typ in TEXT_TYPES]
    if missing:
        cur.execute(
            sql.SQL("select {} from (select * from {} limit 20000) as sample").format(
                sql.SQL(", ").join(
                    sql.SQL("count(distinct {})").format(sql.Identifier(n)) for n in missing
                ),
                sql.Identifier(schema, table),
            )
        )
        counted = dict(zip(missing, cur.fetchone(), strict=True))
        out = [(n, t, counted.get(n, d)) for n, t, d in out]
    return out


def _table_exists(cur: psycopg.Cursor, schema: str, table: str) -> bool:
    cur.execute(
        "select pg_catalog.to_regclass(pg_catalog.format('%%I.%%I', %s::text, %s::text))"
        " is not null",
        (schema, table),
    )
    return bool(cur.fetchone()[0])


def compute_facts(
    database: Database,
    model: ModelSnapshot,
    quality: QualitySnapshot | None,
    *,
    timeout_ms: int = 15000,
) -> FactSet:
    """The facts of ``model``'s table (NoData when it is missing or empty)."""
    if not model.table:
        raise NoData(model.id)
    started = time.perf_counter()
    schema = models_schema(model.project_id)
    table = sql.Identifier(schema, model.table)
    facts: list[Fact] = []
    timings: dict[str, float] = {}

    def run(name: str, stmt: sql.Composable) -> str:
        began = time.perf_counter()
        cur.execute(stmt)
        timings[name] = (time.perf_counter() - began) * 1000
        return stmt.as_string(cur)

    with readonly_cursor(database, model.project_id, timeout_ms) as cur:
        cur.execute("set local timezone = 'UTC'")  # days of timestamptz columns, in UTC
        if not _table_exists(cur, schema, model.table):
            raise NoData(model.id)
        columns = classify(_columns(cur, schema, model.table))
        timings["columns"] = (time.perf_counter() - started) * 1000
        time_col = next((c for c in columns if c.role == "time"), None)
        measures = [Measure("rows", None, "count")] + [
            Measure(c.name, c, c.aggregate or "sum") for c in columns if c.role == "measure"
        ]
        dims = [c for c in columns if c.role == "dimension"]
        main = next((m for m in measures if m.aggregate == "sum"), None)
        series: SeriesResult | None = None
        changes: list[Fact] = []
        if time_col is not None:
            text = run("series", series_statement(table, time_col, measures))
            series = SeriesResult.read(cur, measures, text)
            rows = series.total
        elif not dims:
            count_sql = run("count", sql.SQL("select count(*) from {}").format(table))
            rows = int(cur.fetchone()[0])
        if series is not None and series.grain is not None:
            for j, m in enumerate(measures):
                change = series.change_fact(j, m)
                if change is not None:
                    changes.append(change)
                    facts.append(change)
                trend = series.trend_fact(j, m)
                if trend is not None:
                    facts.append(trend)
                facts.extend(series.anomaly_facts(j, m))
        per_dim: dict[int, list[DimValue]] = {}
        if dims:
            drivers_for = _driver_measures(changes, measures)
            sums = list(dict.fromkeys([*([main] if main else []), *drivers_for]))
            sums = [m for m in sums if m.aggregate == "sum"]
            compared = series.compared_bounds() if series is not None and changes else None
            together = _combinations(dims) <= COMBINATIONS_MAX
            dims_sql = run(
                "dimensions",
                dimensions_statement(
                    table, dims, sums, time_column=time_col, compared=compared, together=together
                ),
            )
            per_dim = _read_dimensions(cur, dims, sums)
            if time_col is None:  # the rows, counted by the same pass
                rows = sum(v.n for v in per_dim.get(0, []))
            for i, d in enumerate(dims):
                fact = concentration_fact(d, per_dim.get(i, []), main, dims_sql)
                if fact is not None:
                    facts.append(fact)
            facts.extend(driver_facts(dims, per_dim, drivers_for, sums, changes, series, dims_sql))
    if rows == 0:
        raise NoData(model.id)
    counted_by = series.sql if series is not None else (dims_sql if dims else count_sql)
    size = size_fact(model, columns, rows, time_col, series, counted_by)
    head = [size, quality_fact(quality, model)]
    facts = head + facts + distribution_facts(quality, columns)
    return FactSet(
        model_id=model.id,
        model_name=model.name,
        model_version=model.version,
        table=f"{schema}.{model.table}",
        rows=rows,
        columns=columns,
        facts=facts,
        time_column=time_col.name if time_col else None,
        grain=series.grain if series else None,
        elapsed_ms=(time.perf_counter() - started) * 1000,
        statements=len([k for k in timings if k != "columns"]),
        timings={k: round(v, 1) for k, v in timings.items()},
    )


def _combinations(dims: list[ColumnInfo]) -> int:
    product = 1
    for d in dims:
        product *= (d.distinct or DIMENSION_MAX_VALUES) + 1  # NULL is a value too
    return product


def _driver_measures(changes: list[Fact], measures: list[Measure]) -> list[Measure]:
    """The additive measures with the largest relative change (nonzero), largest first."""
    by_label = {m.label: m for m in measures}
    moving = [
        f
        for f in changes
        if by_label[f.numbers["measure"]].additive
        and f.numbers.get("change")
        and f.numbers.get("change_pct") is not None
        and abs(f.numbers["change_pct"]) >= MIN_DRIVER_CHANGE_PCT
    ]
    moving.sort(key=lambda f: -abs(f.numbers["change_pct"]))
    return [by_label[f.numbers["measure"]] for f in moving[:DRIVER_MEASURES]]


@dataclass
class DimValue:
    value: str | None
    n: int
    n_prev: int
    n_last: int
    sums: dict[str, tuple[float | None, float | None, float | None]]
    """measure label -> (total, previous period, last period)."""
    distinct_values: int
    rank_n: int
    cum_n: float | None
    rank_s: int
    cum_s: float | None


def _read_dimensions(
    cur: psycopg.Cursor, dims: list[ColumnInfo], sums: list[Measure]
) -> dict[int, list[DimValue]]:
    names = [d.name for d in cur.description or []]
    out: dict[int, list[DimValue]] = {}
    for row in cur.fetchall():
        r = dict(zip(names, row, strict=True))
        values = {
            m.label: (
                _f(r.get(f"s{j}")),
                _f(r.get(f"s{j}_prev")),
                _f(r.get(f"s{j}_last")),
            )
            for j, m in enumerate(sums)
        }
        out.setdefault(int(r["dim"]), []).append(
            DimValue(
                value=r["value"],
                n=int(r["n"] or 0),
                n_prev=int(r["n_prev"] or 0),
                n_last=int(r["n_last"] or 0),
                sums=values,
                distinct_values=int(r["distinct_values"]),
                rank_n=int(r["rank_n"]),
                cum_n=_f(r["cum_n"]),
                rank_s=int(r["rank_s"]),
                cum_s=_f(r["cum_s"]),
            )
        )
    return out


def _f(value: Any) -> float | None:
    return None if value is None else float(value)


# ----------------------------------------------------------------------------- series facts


@dataclass
class SeriesResult:
    sql: str
    measures: list[Measure]
    grain: str | None
    first: date | None
    last: date | None
    total: int
    undated: int
    complete_periods: int
    rows: list[dict[str, Any]]

    @classmethod
    def read(cls, cur: psycopg.Cursor, measures: list[Measure], text: str) -> SeriesResult:
        names = [d.name for d in cur.description or []]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        head = rows[0] if rows else {}
        periods = [r for r in rows if r.get("p") is not None]
        return cls(
            sql=text,
            measures=measures,
            grain=head.get("g") if periods else None,
            first=_day(head.get("lo")),
            last=_day(head.get("hi")),
            total=int(head.get("total") or 0),
            undated=int(head.get("undated") or 0),
            complete_periods=int(head.get("k") or 0),
            rows=periods,
        )

    @property
    def complete(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["complete"]]

    def compared(self) -> tuple[dict[str, Any], dict[str, Any]] | None:
        done = self.complete
        return (done[-2], done[-1]) if len(done) >= 2 else None

    def compared_bounds(self) -> tuple[datetime, datetime, datetime] | None:
        pair = self.compared()
        if pair is None or self.grain is None:
            return None
        prev, last = pair
        later = [r for r in self.rows if r["p"] > last["p"]]
        end = later[0]["p"] if later else _next_period(last["p"], self.grain)
        return prev["p"], last["p"], end

    def change_fact(self, j: int, m: Measure) -> Fact | None:
        pair = self.compared()
        if pair is None or self.grain is None:
            return None
        prev, last = pair
        value, before = _f(last[f"v{j}"]), _f(prev[f"v{j}"])
        if value is None or before is None:
            return None
        change, change_pct = _f(last[f"d{j}"]), _f(last[f"pc{j}"])
        period, previous = _day(last["p"]), _day(prev["p"])
        numbers = {
            "measure": m.label,
            "aggregate": m.aggregate,
            "grain": self.grain,
            "period": period.isoformat(),
            "previous_period": previous.isoformat(),
            "value": clean(value),
            "previous": clean(before),
            "change": clean(change),
            "change_pct": clean(change_pct),
        }
        moved = "up" if (change or 0) > 0 else ("down" if (change or 0) < 0 else "unchanged")
        what = _measure_words(m)
        sentence = (
            f"{what} was {fmt(numbers['value'])} in {period_label(period, self.grain)}, {moved}"
        )
        if change:
            sentence += (
                f" {pct(abs(numbers['change_pct']))}" if change_pct is not None else ""
            ) + f" ({signed(numbers['change'])})"
        sentence += (
            f" from {fmt(numbers['previous'])} in {period_label(previous, self.grain)} "
            f"(the last complete {self.grain} against the one before)."
        )
        severity = "warning" if change_pct is not None and abs(change_pct) >= 20 else "info"
        return fact(
            "change",
            f"{m.label}:{self.grain}",
            sentence,
            numbers,
            self.sql,
            severity=severity,
            score=min(abs(change_pct or 0) / 10, 10),
        )

    def trend_fact(self, j: int, m: Measure) -> Fact | None:
        done = self.complete
        if len(done) < MIN_TREND_PERIODS or self.grain is None:
            return None
        head = done[0]
        slope, r2, mean = _f(head[f"slope{j}"]), _f(head[f"r2_{j}"]), _f(head[f"avg{j}"])
        if slope is None or mean is None:
            return None
        slope_pct = 100 * slope / abs(mean) if mean else None
        numbers = {
            "measure": m.label,
            "aggregate": m.aggregate,
            "grain": self.grain,
            "periods": len(done),
            "first_period": _day(done[0]["p"]).isoformat(),
            "last_period": _day(done[-1]["p"]).isoformat(),
            "slope": clean(slope),
            "slope_pct": clean(slope_pct),
            "r2": clean(r2),
            "mean": clean(mean),
        }
        what = _measure_words(m)
        fit = numbers["r2"]
        if not numbers["slope"]:
            sentence = (
                f"{what} stayed flat at {fmt(numbers['mean'])} {_per(self.grain)} over "
                f"{numbers['periods']} complete {self.grain}s from {numbers['first_period']} "
                f"to {numbers['last_period']}."
            )
        elif r2 is not None and r2 >= 0.3:
            direction = "rose" if slope > 0 else "fell"
            sentence = (
                f"{what} {direction} by about {fmt(abs(numbers['slope']))} {_per(self.grain)} "
                f"({pct(abs(numbers['slope_pct']) if slope_pct is not None else None)} of the "
                f"average of {fmt(numbers['mean'])}) over {numbers['periods']} complete "
                f"{self.grain}s from {numbers['first_period']} to {numbers['last_period']} "
                f"(least-squares fit, R² {fmt(fit)})."
            )
        else:
            sentence = (
                f"{what} shows no clear trend over {numbers['periods']} complete "
                f"{self.grain}s from {numbers['first_period']} to {numbers['last_period']} "
                f"(average {fmt(numbers['mean'])}, R² of a straight line {fmt(fit)})."
            )
        score = abs(slope_pct or 0) * (r2 or 0)
        return fact("trend", m.label, sentence, numbers, self.sql, score=min(score, 10))

    def anomaly_facts(self, j: int, m: Measure) -> list[Fact]:
        if self.grain is None or self.complete_periods < MIN_TREND_PERIODS:
            return []
        found = [
            r
            for r in self.complete
            if r[f"z{j}"] is not None
            and abs(float(r[f"z{j}"])) > MAD_THRESHOLD
            and abs(float(r[f"v{j}"]) - float(r[f"med{j}"]))
            >= MIN_ANOMALY_DEVIATION * abs(float(r[f"med{j}"]))
        ]
        found.sort(key=lambda r: -abs(float(r[f"z{j}"])))
        out = []
        for r in found[:MAX_ANOMALIES]:
            period = _day(r["p"])
            z = float(r[f"z{j}"])
            numbers = {
                "measure": m.label,
                "aggregate": m.aggregate,
                "grain": self.grain,
                "period": period.isoformat(),
                "value": clean(_f(r[f"v{j}"])),
                "median": clean(_f(r[f"med{j}"])),
                "mad": clean(_f(r[f"mad{j}"])),
                "z": clean(z, 2),
                "threshold": MAD_THRESHOLD,
            }
            side = "above" if z > 0 else "below"
            on = "in" if self.grain == "month" else ("in" if self.grain == "week" else "on")
            sentence = (
                f"{_measure_words(m)} was {fmt(numbers['value'])} {on} "
                f"{period_label(period, self.grain)}, far {side} the median of "
                f"{fmt(numbers['median'])} {_per(self.grain)} (modified z-score "
                f"{fmt(numbers['z'])}, threshold {fmt(MAD_THRESHOLD)})."
            )
            out.append(
                fact(
                    "anomaly",
                    f"{m.label}:{period.isoformat()}",
                    sentence,
                    numbers,
                    self.sql,
                    severity="warning",
                    score=min(abs(z), 10),
                )
            )
        return out


def _next_period(start: datetime, grain: str) -> datetime:
    if grain == "day":
        return start + timedelta(days=1)
    if grain == "week":
        return start + timedelta(days=7)
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return start.replace(year=year, month=month, day=1)


def _measure_words(m: Measure) -> str:
    if m.aggregate == "count":
        return "The number of rows"
    if m.aggregate == "avg":
        return f"The average {m.label}"
    return f"The total {m.label}"


# ----------------------------------------------------------------------------- other facts


def size_fact(
    model: ModelSnapshot,
    columns: list[ColumnInfo],
    rows: int,
    time_col: ColumnInfo | None,
    series: SeriesResult | None,
    counted_by: str,
) -> Fact:
    built = model.built_at
    numbers: dict[str, Any] = {
        "rows": rows,
        "columns": len(columns),
        "built_at": built.isoformat() if built else None,
        "measures": [c.name for c in columns if c.role == "measure"],
        "dimensions": [c.name for c in columns if c.role == "dimension"],
        "time_column": time_col.name if time_col else None,
    }
    sentence = f"The model's table has {fmt(rows)} rows and {len(columns)} columns"
    sentence += f", built on {built.date().isoformat()}" if built else ""
    severity, score = "info", 0.0
    if series is not None and series.first is not None and series.last is not None:
        span = (series.last - series.first).days + 1
        numbers |= {
            "first": series.first.isoformat(),
            "last": series.last.isoformat(),
            "span_days": span,
            "grain": series.grain,
            "periods": len(series.rows),
            "undated_rows": series.undated,
        }
        sentence += (
            f"; {time_col.name} runs from {series.first.isoformat()} to "  # type: ignore[union-attr]
            f"{series.last.isoformat()} ({span} days, followed by {series.grain})"
        )
        if series.undated:
            sentence += f", {fmt(series.undated)} rows have no {time_col.name}"  # type: ignore[union-attr]
        if built is not None:
            age = (built.date() - series.last).days
            numbers["days_since_last"] = age
            period_days = {"day": 1, "week": 7, "month": 31}[series.grain or "day"]
            if age > STALE_AFTER_PERIODS * period_days and age > 1:
                sentence += (
                    f". The latest {time_col.name} is {age} days older than the build: "  # type: ignore[union-attr]
                    "the data may be stale"
                )
                severity, score = "warning", 3.0
    elif time_col is None:
        sentence += "; it has no date or timestamp column, so there is no trend to follow"
    return fact("size", None, sentence + ".", numbers, counted_by, severity=severity, score=score)


QUALITY_SQL = (
    "select score, row_count, created_at, report -> 'issues' as issues\n"
    "from app.quality_reports where id = {id}"
)


def quality_fact(quality: QualitySnapshot | None, model: ModelSnapshot) -> Fact:
    """The latest quality report's score and worst issues; whether the data is fit to trust."""
    if quality is None:
        return fact(
            "quality",
            None,
            "No quality report yet: run a quality check before relying on these numbers.",
            {"score": None, "report": None},
            (
                "select id, score, created_at from app.quality_reports\n"
                f"where data_model_id = {int(model.id)} order by created_at desc limit 1"
            ),
            severity="info",
        )
    issues = [i for i in quality.report.get("issues", []) if isinstance(i, dict)]
    worst = [
        {
            "column": i.get("column"),
            "severity": i.get("severity"),
            "pct": clean(i.get("pct")),
            "count": i.get("count"),
            "message": i.get("message"),
        }
        for i in issues[:3]
    ]
    counts = {s: sum(1 for i in issues if i.get("severity") == s) for s in ("critical", "high")}
    score = clean(float(quality.score), 2)
    numbers = {
        "score": score,
        "report_id": quality.id,
        "report_at": quality.created_at.isoformat(),
        "rows_profiled": quality.row_count,
        "critical_issues": counts["critical"],
        "high_issues": counts["high"],
        "worst_issues": worst,
    }
    before_build = model.built_at is not None and quality.created_at < model.built_at
    numbers["predates_build"] = before_build
    when = f"report of {quality.created_at.date().isoformat()}"
    if before_build:
        when += ", before the latest build"
    listed = "; ".join(
        f"{w['column'] or 'table'}: {w['message'] or w['severity']} ({pct(w['pct'])} of rows)"
        if w["pct"] is not None
        else f"{w['column'] or 'table'}: {w['message'] or w['severity']}"
        for w in worst
    )
    if score < 50 or counts["critical"]:
        severity = "critical"
        sentence = (
            f"The data is not fit to trust: its quality score is {fmt(score)}/100 ({when})"
            + (f"; worst issues: {listed}" if listed else "")
            + "."
        )
    elif score < 80 or counts["high"]:
        severity = "warning"
        sentence = (
            f"Check the data before relying on it: its quality score is {fmt(score)}/100 "
            f"({when})" + (f"; worst issues: {listed}" if listed else "") + "."
        )
    else:
        severity = "info"
        sentence = f"The data's quality score is {fmt(score)}/100 ({when})" + (
            f"; minor issues: {listed}." if listed else "; no issue found."
        )
    return fact(
        "quality",
        None,
        sentence,
        numbers,
        QUALITY_SQL.format(id=int(quality.id)),
        severity=severity,
        score=10.0 if severity != "info" else 0.0,
    )


def distribution_facts(quality: QualitySnapshot | None, columns: list[ColumnInfo]) -> list[Fact]:
    """Quartiles of each measure, from the latest quality profile."""
    if quality is None:
        return []
    measures = {c.name for c in columns if c.role == "measure"}
    out = []
    for col in quality.report.get("columns", []):
        name = col.get("name")
        if name not in measures or col.get("median") is None:
            continue
        numbers = {
            "measure": name,
            "min": clean(_f(col.get("min"))),
            "q1": clean(_f(col.get("q1"))),
            "median": clean(_f(col.get("median"))),
            "q3": clean(_f(col.get("q3"))),
            "max": clean(_f(col.get("max"))),
            "mean": clean(_f(col.get("mean"))),
            "outliers": col.get("outlier_count"),
            "report_id": quality.id,
        }
        sentence = (
            f"{name} ranges from {fmt(numbers['min'])} to {fmt(numbers['max'])}; half of the "
            f"rows lie between {fmt(numbers['q1'])} and {fmt(numbers['q3'])} (median "
            f"{fmt(numbers['median'])}, mean {fmt(numbers['mean'])})"
        )
        if numbers["outliers"]:
            sentence += f"; {fmt(numbers['outliers'])} rows are outliers beyond the IQR fences"
        out.append(
            fact(
                "distribution",
                name,
                sentence + ".",
                numbers,
                (
                    "select col from app.quality_reports,\n"
                    "  jsonb_array_elements(report -> 'columns') as col\n"
                    f"where id = {int(quality.id)} and col ->> 'name' = "
                    + "'"
                    + name.replace("'", "''")
                    + "'"
                ),
                score=0.1,
            )
        )
    return out


def _label(value: str | None) -> str:
    return "(empty)" if value is None else value


def concentration_fact(
    dim: ColumnInfo, values: list[DimValue], main: Measure | None, text: str
) -> Fact | None:
    if not values:
        return None
    by_rank_n = {v.rank_n: v for v in values}
    by_rank_s = {v.rank_s: v for v in values}
    distinct = values[0].distinct_values
    numbers: dict[str, Any] = {
        "dimension": dim.name,
        "distinct_values": distinct,
        "top_value": _label(by_rank_n[1].value),
    }
    for k in (1, 3, 10):
        if k == 1 or distinct > k:
            numbers[f"top{k}_pct"] = clean(by_rank_n[min(k, distinct)].cum_n)
    sentence = (
        f"{dim.name} has {distinct} values; the most frequent, {_label(by_rank_n[1].value)}, "
        f"holds {pct(numbers['top1_pct'])} of rows"
    )
    if "top3_pct" in numbers:
        sentence += f", the top 3 hold {pct(numbers['top3_pct'])}"
    if "top10_pct" in numbers:
        sentence += f", the top 10 hold {pct(numbers['top10_pct'])}"
    if main is not None and by_rank_s[1].cum_s is not None:
        numbers["measure"] = main.label
        numbers["top_value_by_measure"] = _label(by_rank_s[1].value)
        for k in (1, 3, 10):
            if k == 1 or distinct > k:
                numbers[f"top{k}_measure_pct"] = clean(by_rank_s[min(k, distinct)].cum_s)
        sentence += (
            f"; by {main.label}, {_label(by_rank_s[1].value)} holds "
            f"{pct(numbers['top1_measure_pct'])}"
        )
        if "top3_measure_pct" in numbers:
            sentence += f" and the top 3 {pct(numbers['top3_measure_pct'])}"
    top1 = numbers["top1_pct"] or 0
    return fact("concentration", dim.name, sentence + ".", numbers, text, score=top1 / 20)


def driver_facts(
    dims: list[ColumnInfo],
    per_dim: dict[int, list[DimValue]],
    drivers_for: list[Measure],
    sums: list[Measure],
    changes: list[Fact],
    series: SeriesResult | None,
    text: str,
) -> list[Fact]:
    """For the measures that changed most, the dimension values that made the change."""
    if series is None or series.grain is None:
        return []
    by_measure = {f.numbers["measure"]: f for f in changes}
    summed = {m.label for m in sums}
    out: list[Fact] = []
    for m in drivers_for:
        change = by_measure.get(m.label)
        if change is None or m.aggregate != "count" and m.label not in summed:
            continue
        total = float(change.numbers["change"] or 0)
        if not total:
            continue
        candidates = []
        for i, d in enumerate(dims):
            for v in per_dim.get(i, []):
                if m.aggregate == "count":
                    before, after = float(v.n_prev), float(v.n_last)
                else:
                    _, p, la = v.sums[m.label]
                    before, after = p or 0.0, la or 0.0
                delta = after - before
                share = 100 * delta / total
                if share >= MIN_DRIVER_SHARE:
                    candidates.append((share, d, v, before, after, delta))
        candidates.sort(key=lambda c: -c[0])
        for share, d, v, before, after, delta in candidates[:MAX_DRIVERS]:
            numbers = {
                "measure": m.label,
                "dimension": d.name,
                "value": _label(v.value),
                "grain": series.grain,
                "period": change.numbers["period"],
                "previous_period": change.numbers["previous_period"],
                "current": clean(after),
                "previous": clean(before),
                "change": clean(delta),
                "measure_change": change.numbers["change"],
                "share_of_change_pct": clean(share),
            }
            period = date.fromisoformat(numbers["period"])
            previous = date.fromisoformat(numbers["previous_period"])
            sentence = (
                f"{d.name} = {_label(v.value)} accounts for {pct(numbers['share_of_change_pct'])} "
                f"of the change in {_measure_words(m).lower().removeprefix('the ')} from "
                f"{period_label(previous, series.grain)} to {period_label(period, series.grain)}: "
                f"{fmt(numbers['previous'])} to {fmt(numbers['current'])} "
                f"({signed(numbers['change'])} of {signed(numbers['measure_change'])})."
            )
            out.append(
                fact(
                    "driver",
                    f"{m.label}:{d.name}={_label(v.value)}",
                    sentence,
                    numbers,
                    text,
                    severity=change.severity,
                    score=change.score * share / 100,
                )
            )
    return out
