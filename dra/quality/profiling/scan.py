"""One scan of a table computing many aggregates, and the SQL pieces both profiles share.

A scan's result is a dict keyed by what was counted: "rows" and "pair:<j>" for the
table, "<column index>:<what>" for a column (column_stats reads one column's back).
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from dra.quality import patterns


def count_if(condition: sql.Composable) -> sql.Composable:
    """How many rows meet ``condition``."""
    return sql.SQL("count(*) filter (where {})").format(condition)


def _regex(col: sql.Composable, pattern: str) -> sql.Composable:
    return sql.SQL("{} ~ {}").format(col, sql.Literal(pattern))


def pattern_conditions(c: sql.Composable) -> dict[str, sql.Composable]:
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
    # what a text column was detected to hold: the pattern condition its values must meet
    "email": "email",
    "url": "url",
    "phone": "phone",
    "integer": "int",
    "decimal": "dec",
    "boolean": "bool",
}


def run_aggregates(
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


def iqr_fences(q1: float, q3: float) -> tuple[float, float]:
    """The outlier fences: 1.5 interquartile ranges below Q1 and above Q3."""
    iqr = q3 - q1
    return q1 - 1.5 * iqr, q3 + 1.5 * iqr


def column_stats(raw: dict[str, Any], index: int) -> dict[str, Any]:
    """One column's entries of a scan's result, keyed by what was counted."""
    prefix = f"{index}:"
    return {k[len(prefix) :]: v for k, v in raw.items() if k.startswith(prefix)}
