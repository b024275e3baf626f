"""Cleaning rules build clean_p<project>.<table> from a model table, never touching it."""

from __future__ import annotations

import datetime as dt

import pytest
from psycopg import sql

from dra.quality.cleaning import apply_rules, validate_rule
from dra.quality.profiling import ColumnInfo
from dra.quality.reports import ModelTable, QualityError

PROJECT = 900002
SCHEMA = f"models_p{PROJECT}"
CLEAN = f"clean_p{PROJECT}"
ROWS = [
    (1, " A@X.io ", 10, "Active ", "2024-01-05", "5", "x"),
    (2, "b@x.io", None, "active", "01/06/2024", "6", None),
    (2, "b@x.io", 30, "ACTIVE", "Jan 7, 2024", "7", "z"),
    (3, "c@x.io", 20, None, None, "seven", None),
    (4, "d@x.io", 1000, "inactive", "7 Jan 2024", "9", None),
]


@pytest.fixture
def conn(database):
    raw = database.system_engine.raw_connection()
    connection = raw.driver_connection
    connection.autocommit = True
    connection.execute(sql.SQL("create schema {}").format(sql.Identifier(SCHEMA)))
    yield connection
    raw.close()


def make_source(conn, name: str, ddl: str, rows: list[tuple]) -> ModelTable:
    table = sql.Identifier(SCHEMA, name)
    conn.execute(sql.SQL("create table {} ({})").format(table, sql.SQL(ddl)))
    marks = sql.SQL(", ").join(sql.Placeholder() * len(rows[0]))
    with conn.cursor() as cur:
        cur.executemany(sql.SQL("insert into {} values ({})").format(table, marks), rows)
    return ModelTable(model_id=0, project_id=PROJECT, name=name, schema=SCHEMA, table=name)


def rows_of(conn, schema: str, table: str) -> list[tuple]:
    return conn.execute(
        sql.SQL("select * from {} order by 1, 2").format(sql.Identifier(schema, table))
    ).fetchall()


def test_rules_applied_in_order_invalid_ones_skipped(database, conn):
    source = make_source(
        conn,
        "orders",
        "id int, email text, amount int, status text, signup text, qty text, note text",
        ROWS,
    )
    rules = [
        {"type": "remove_duplicates", "columns": ["id"]},
        {"type": "fill_nulls", "column": "amount", "strategy": "median"},
        {"type": "normalize_text", "column": "status", "case": "lower"},
        {"type": "normalize_text", "column": "email", "case": "lower"},
        {"type": "standardize_dates", "column": "signup"},
        {"type": "cast", "column": "qty", "to": "integer"},
        {"type": "drop_outliers", "column": "amount"},
        {"type": "fill_nulls", "column": "email", "strategy": "mean"},
        {"type": "explode"},
        {"type": "fill_nulls", "column": "note", "strategy": "constant", "value": "n/a"},
    ]
    outcome = apply_rules(database, source, rules)

    assert outcome.rows_before == 5 and outcome.rows_after == 3
    assert [a["position"] for a in outcome.applied] == [1, 2, 3, 4, 5, 6, 7, 10]
    assert outcome.applied[0]["rows_changed"] == 1
    assert outcome.applied[5]["values_unparseable"] == 1
    assert [(s["position"], s["reason"]) for s in outcome.skipped] == [
        (8, "Column 'email' is text; this rule needs a numeric column."),
        (
            9,
            "Unknown rule type 'explode'; expected one of fill_nulls, remove_duplicates, "
            "normalize_text, standardize_dates, drop_outliers, cast.",
        ),
    ]
    assert rows_of(conn, CLEAN, "orders") == [
        (1, "a@x.io", 10, "active", dt.date(2024, 1, 5), 5, "x"),
        (2, "b@x.io", 20, "active", dt.date(2024, 1, 6), 6, "n/a"),
        (3, "c@x.io", 20, None, None, None, "n/a"),
    ]
    assert rows_of(conn, SCHEMA, "orders") == sorted(ROWS, key=lambda r: (r[0], r[1]))


def test_rule_postgres_refuses_is_skipped_and_rest_applied(database, conn):
    source = make_source(
        conn,
        "events",
        "id int, day text, kind text",
        [(1, "2024-02-30", "A"), (2, "2024-03-01", "b")],
    )
    outcome = apply_rules(
        database,
        source,
        [
            {"type": "standardize_dates", "column": "day"},
            {"type": "normalize_text", "column": "kind", "case": "upper"},
        ],
    )
    assert outcome.skipped[0]["position"] == 1
    assert "out of range" in outcome.skipped[0]["reason"]
    assert rows_of(conn, CLEAN, "events") == [(1, "2024-02-30", "A"), (2, "2024-03-01", "B")]


def test_rebuild_replaces_the_cleaned_table(database, conn):
    source = make_source(conn, "items", "id int, name text", [(1, " a "), (1, " a ")])
    apply_rules(database, source, [{"type": "normalize_text", "column": "name"}])
    assert rows_of(conn, CLEAN, "items") == [(1, "a"), (1, "a")]
    apply_rules(database, source, [{"type": "remove_duplicates", "columns": []}])
    assert rows_of(conn, CLEAN, "items") == [(1, " a ")]
    tables = conn.execute(
        "select tablename from pg_tables where schemaname = %s", (CLEAN,)
    ).fetchall()
    assert tables == [("items",)]


def test_no_rules_is_refused(database, conn):
    source = make_source(conn, "empty_cfg", "id int", [(1,)])
    with pytest.raises(QualityError, match="Cleaning configuration is required."):
        apply_rules(database, source, [])


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ("fill", "A rule must be an object."),
        ({"type": "fill_nulls", "column": "n", "strategy": "magic"}, "Unknown fill strategy"),
        ({"type": "fill_nulls", "column": "n", "strategy": "constant"}, "needs a value"),
        ({"type": "fill_nulls", "column": "zz", "strategy": "mode"}, "does not exist"),
        ({"type": "drop_outliers", "column": "n", "factor": -1}, "positive number"),
        ({"type": "cast", "column": "n", "to": "money"}, "Unknown target type"),
        ({"type": "remove_duplicates", "columns": ["n", "zz"]}, "Unknown column(s): zz."),
        ({"type": "normalize_text", "column": "n"}, "needs a text column"),
    ],
)
def test_validation_messages(rule, reason):
    columns = {"n": ColumnInfo("n", "integer", "int4"), "s": ColumnInfo("s", "text", "text")}
    assert reason in validate_rule(rule, columns)
