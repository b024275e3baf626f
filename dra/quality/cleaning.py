"""Cleaning rules: build ``clean_p<project>.<model table>`` from the model's table.

The source table is only read. The cleaned table is built as a new table and swapped in
within one transaction, so readers see the previous cleaned table or the new one, never
a half-built one. Each rule runs in its own savepoint: a rule that is invalid, or that
PostgreSQL refuses, is skipped with its reason and the others are applied.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import select
from sqlalchemy.orm import Session

from dra.db import Database
from dra.ingestion.loader import analyze_table, ensure_schema, swap_in
from dra.ingestion.naming import clean_schema
from dra.models import QualityRule
from dra.models.quality import QualityRuleKind
from dra.quality import patterns
from dra.quality.profiling import ColumnInfo, TableNotFound, table_columns
from dra.quality.reports import ModelTable, QualityError, model_table

RULE_TYPES = (
    "fill_nulls",
    "remove_duplicates",
    "normalize_text",
    "standardize_dates",
    "drop_outliers",
    "cast",
)
FILL_STRATEGIES = ("median", "mean", "mode", "constant")
CASES = ("none", "lower", "upper", "title")
CAST_TYPES = {
    "integer": ("bigint", patterns.INTEGER_RE),
    "numeric": ("numeric", patterns.DECIMAL_RE),
    "boolean": ("boolean", None),
    "date": ("date", patterns.DATE_FORMATS["iso"]),
    "timestamp": ("timestamptz", patterns.DATE_FORMATS["iso"]),
    "text": ("text", None),
}
BOOLEAN_INPUTS = ("true", "false", "t", "f", "yes", "no", "y", "n", "on", "off", "1", "0")


@dataclass
class CleaningOutcome:
    schema: str
    table: str
    rows_before: int = 0
    rows_after: int = 0
    applied: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": f"{self.schema}.{self.table}",
            "rows_before": self.rows_before,
            "rows_after": self.rows_after,
            "applied": self.applied,
            "skipped": self.skipped,
        }


def _column(
    rule: Mapping[str, Any], columns: Mapping[str, ColumnInfo], kinds: tuple[str, ...] | None = None
) -> str | None:
    """Reason the rule's ``column`` is unusable, or None."""
    name = rule.get("column")
    if not isinstance(name, str) or not name:
        return "Choose a column."
    if name not in columns:
        return f"Column {name!r} does not exist in the model."
    if kinds and columns[name].kind not in kinds:
        return (
            f"Column {name!r} is {columns[name].type}; this rule needs a "
            + " or ".join(kinds)
            + " column."
        )
    return None


def validate_rule(rule: object, columns: Mapping[str, ColumnInfo]) -> str | None:
    """Why the rule cannot be applied to a table with these columns (None when it can)."""
    if not isinstance(rule, Mapping):
        return "A rule must be an object."
    kind = rule.get("type")
    if kind not in RULE_TYPES:
        return f"Unknown rule type {kind!r}; expected one of {', '.join(RULE_TYPES)}."
    if kind == "fill_nulls":
        strategy = rule.get("strategy")
        if strategy not in FILL_STRATEGIES:
            return (
                f"Unknown fill strategy {strategy!r}; expected one of {', '.join(FILL_STRATEGIES)}."
            )
        if strategy in ("median", "mean"):
            return _column(rule, columns, ("numeric",))
        if strategy == "constant" and (rule.get("value") is None or rule.get("value") == ""):
            return "A constant fill needs a value."
        return _column(rule, columns)
    if kind == "remove_duplicates":
        chosen = rule.get("columns") or []
        if not isinstance(chosen, list) or not all(isinstance(c, str) for c in chosen):
            return "Duplicates are removed on a list of column names."
        missing = [c for c in chosen if c not in columns]
        return f"Unknown column(s): {', '.join(missing)}." if missing else None
    if kind == "normalize_text":
        if rule.get("case", "none") not in CASES:
            return f"Unknown case {rule.get('case')!r}; expected one of {', '.join(CASES)}."
        return _column(rule, columns, ("text",))
    if kind == "standardize_dates":
        return _column(rule, columns, ("text",))
    if kind == "drop_outliers":
        factor = rule.get("factor", 1.5)
        if isinstance(factor, bool) or not isinstance(factor, int | float) or factor <= 0:
            return "The outlier factor must be a positive number (1.5 is usual)."
        return _column(rule, columns, ("numeric",))
    if rule.get("to") not in CAST_TYPES:
        return f"Unknown target type {rule.get('to')!r}; expected one of {', '.join(CAST_TYPES)}."
    return _column(rule, columns)


def _fill_nulls(rule, col: ColumnInfo, t: sql.Composable) -> tuple[sql.Composable, tuple]:
    c = sql.Identifier(col.name)
    strategy = rule["strategy"]
    if strategy == "constant":
        return (
            sql.SQL("update {t} set {c} = %s::{type} where {c} is null").format(
                t=t, c=c, type=sql.SQL(col.type)
            ),
            (str(rule["value"]),),
        )
    value = {
        "median": sql.SQL("percentile_cont(0.5) within group (order by {}::float8)").format(c),
        "mean": sql.SQL("avg({})").format(c),
        "mode": sql.SQL("mode() within group (order by {})").format(c),
    }[strategy]
    return (
        sql.SQL("update {t} set {c} = (select {v} from {t})::{type} where {c} is null").format(
            t=t, c=c, v=value, type=sql.SQL(col.type)
        ),
        (),
    )


def _remove_duplicates(rule, columns: Mapping[str, ColumnInfo], t: sql.Composable):
    chosen = rule.get("columns") or list(columns)
    keys = sql.SQL(", ").join(sql.Identifier(c) for c in chosen)
    return (
        sql.SQL(
            "delete from {t} a using (select ctid,"
            " row_number() over (partition by {k} order by ctid) as n from {t}) d"
            " where a.ctid = d.ctid and d.n > 1"
        ).format(t=t, k=keys),
        (),
    )


def _normalize_text(rule, col: ColumnInfo, t: sql.Composable):
    c = sql.Identifier(col.name)
    value = sql.SQL("btrim({})").format(c) if rule.get("trim", True) else c
    case = rule.get("case", "none")
    if case != "none":
        value = sql.SQL("{}({})").format(
            sql.SQL({"lower": "lower", "upper": "upper", "title": "initcap"}[case]), value
        )
    return (
        sql.SQL("update {t} set {c} = {v} where {c} is distinct from {v}").format(
            t=t, c=c, v=value
        ),
        (),
    )


def _date_expression(c: sql.Composable, day_first: bool) -> sql.Composable:
    slash = "DD/MM" if day_first else "MM/DD"
    f = patterns.DATE_FORMATS
    cases = [
        (f["iso"], sql.SQL("substr({}, 1, 10)::date").format(c)),
        (
            r"^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}$",
            sql.SQL("to_date({}, {})").format(c, sql.Literal(f"{slash}/YYYY")),
        ),
        (
            r"^[0-9]{1,2}/[0-9]{1,2}/[0-9]{2}$",
            sql.SQL("to_date({}, {})").format(c, sql.Literal(f"{slash}/YY")),
        ),
        (f["dot"], sql.SQL("to_date({}, 'DD.MM.YYYY')").format(c)),
        (f["dash_dmy"], sql.SQL("to_date({}, 'DD-MM-YYYY')").format(c)),
        (r"^[A-Za-z]{3}\.? ", sql.SQL("to_date(replace({}, '.', ''), 'Mon DD, YYYY')").format(c)),
        (r"^[A-Za-z]{4,9} ", sql.SQL("to_date({}, 'Month DD, YYYY')").format(c)),
        (
            r"^[0-9]{1,2} [A-Za-z]{3}\.? ",
            sql.SQL("to_date(replace({}, '.', ''), 'DD Mon YYYY')").format(c),
        ),
        (r"^[0-9]{1,2} [A-Za-z]{4,9} ", sql.SQL("to_date({}, 'DD Month YYYY')").format(c)),
    ]
    whens = sql.SQL(" ").join(
        sql.SQL("when {} ~ {} then {}").format(c, sql.Literal(rx), expr) for rx, expr in cases
    )
    return sql.SQL("case {} else null end").format(whens)


def _standardize_dates(rule, col: ColumnInfo, t: sql.Composable):
    c = sql.Identifier(col.name)
    expr = _date_expression(sql.SQL("btrim({})").format(c), bool(rule.get("day_first")))
    return (
        sql.SQL("alter table {t} alter column {c} type date using ({e})").format(t=t, c=c, e=expr),
        (),
    )


def _drop_outliers(rule, col: ColumnInfo, t: sql.Composable):
    c = sql.Identifier(col.name)
    k = sql.Literal(float(rule.get("factor", 1.5)))
    return (
        sql.SQL(
            "delete from {t} using (select"
            " percentile_cont(0.25) within group (order by {c}::float8) as q1,"
            " percentile_cont(0.75) within group (order by {c}::float8) as q3 from {t}) f"
            " where {c}::float8 < f.q1 - {k} * (f.q3 - f.q1)"
            " or {c}::float8 > f.q3 + {k} * (f.q3 - f.q1)"
        ).format(t=t, c=c, k=k),
        (),
    )


def _cast(rule, col: ColumnInfo, t: sql.Composable):
    c = sql.Identifier(col.name)
    target, regex = CAST_TYPES[rule["to"]]
    value = sql.SQL("btrim({}::text)").format(c)
    if rule["to"] == "boolean":
        guard = sql.SQL("lower({}) = any({})").format(value, sql.Literal(list(BOOLEAN_INPUTS)))
    elif regex is not None:
        guard = sql.SQL("{} ~ {}").format(value, sql.Literal(regex))
    else:
        guard = sql.SQL("true")
    return (
        sql.SQL(
            "alter table {t} alter column {c} type {ty} using (case when {g} then {v}::{ty} end)"
        ).format(t=t, c=c, ty=sql.SQL(target), g=guard, v=value),
        (),
    )


def _statement(
    rule: Mapping[str, Any], columns: Mapping[str, ColumnInfo], t: sql.Composable
) -> tuple[sql.Composable, tuple]:
    if rule["type"] == "remove_duplicates":
        return _remove_duplicates(rule, columns, t)
    builders: dict[str, Callable] = {
        "fill_nulls": _fill_nulls,
        "normalize_text": _normalize_text,
        "standardize_dates": _standardize_dates,
        "drop_outliers": _drop_outliers,
        "cast": _cast,
    }
    return builders[rule["type"]](rule, columns[rule["column"]], t)


def _count(cur: psycopg.Cursor, t: sql.Composable, column: str | None = None) -> int:
    what = sql.SQL("count({})").format(sql.Identifier(column)) if column else sql.SQL("count(*)")
    row = cur.execute(sql.SQL("select {} from {}").format(what, t)).fetchone()
    return int(row[0]) if row else 0


def _apply(
    cur: psycopg.Cursor,
    rule: Mapping[str, Any],
    columns: Mapping[str, ColumnInfo],
    t: sql.Composable,
) -> dict[str, Any]:
    """Run one rule; what it changed."""
    statement, params = _statement(rule, columns, t)
    column = rule.get("column") if rule["type"] in ("standardize_dates", "cast") else None
    before = _count(cur, t, column) if column else None
    cur.execute(statement, params)
    if column:
        return {"rule": dict(rule), "values_unparseable": before - _count(cur, t, column)}
    return {"rule": dict(rule), "rows_changed": cur.rowcount}


def apply_rules(database: Database, source: ModelTable, rules: list[Any]) -> CleaningOutcome:
    """Build the cleaned table of ``source`` with ``rules`` (in order)."""
    if not rules:
        raise QualityError("Cleaning configuration is required.")
    schema = clean_schema(source.project_id)
    staging = f"{source.table[:40]}__clean_{secrets.token_hex(4)}"
    outcome = CleaningOutcome(schema=schema, table=source.table)
    t = sql.Identifier(schema, staging)
    with database.system_connection() as conn:
        with conn.transaction(), conn.cursor() as cur:
            if table_columns_or_none(conn, source.schema, source.table) is None:
                raise QualityError(
                    f"The table {source.schema}.{source.table} does not exist "
                    "yet: build the model first.",
                    status=409,
                )
            ensure_schema(cur, schema)
            cur.execute(
                sql.SQL("create table {} as select * from {}").format(
                    t, sql.Identifier(source.schema, source.table)
                )
            )
            outcome.rows_before = _count(cur, t)
            for position, rule in enumerate(rules, start=1):
                columns = {c.name: c for c in table_columns(conn, schema, staging)}
                reason = validate_rule(rule, columns)
                if reason is None:
                    try:
                        with conn.transaction():
                            outcome.applied.append(
                                {"position": position, **_apply(cur, rule, columns, t)}
                            )
                        continue
                    except psycopg.Error as exc:
                        reason = (
                            "PostgreSQL refused the rule: "
                            + (str(exc).strip().splitlines() or ["error"])[0]
                        )
                outcome.skipped.append({"position": position, "rule": rule, "reason": reason})
            outcome.rows_after = _count(cur, t)
            swap_in(cur, schema, staging, source.table)
            analyze_table(cur, schema, source.table)
        return outcome


def table_columns_or_none(
    conn: psycopg.Connection, schema: str, table: str
) -> list[ColumnInfo] | None:
    try:
        return table_columns(conn, schema, table)
    except TableNotFound:
        return None


def enabled_rules(session: Session, model_id: int) -> list[dict[str, Any]]:
    """The model's enabled cleaning rules in order."""
    rows = session.scalars(
        select(QualityRule)
        .where(
            QualityRule.data_model_id == model_id,
            QualityRule.kind == QualityRuleKind.CLEANING,
            QualityRule.enabled.is_(True),
        )
        .order_by(QualityRule.position, QualityRule.id)
    )
    return [dict(r.rule) for r in rows]


def clean_model(database: Database, model_id: int) -> CleaningOutcome:
    """Apply the model's stored rules to build its cleaned table."""
    with database.system_session() as s:
        source = model_table(s, model_id)
        rules = enabled_rules(s, model_id)
    return apply_rules(database, source, rules)
