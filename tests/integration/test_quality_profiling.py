"""Profiling against the real PostgreSQL, on hand-built tables whose answers are known."""

from __future__ import annotations

import pytest
from psycopg import sql

from dra.quality.profiling import TableNotFound, profile_table

SCHEMA = "models_p900001"

ROWS = [
    # id, email, amount, signup (text), created_on, updated_on, status, tags
    (1, "a1@x.io", 10, "2024-01-01", "2024-01-01", "2024-01-02", "active", None),
    (2, "a2@x.io", 11, "2024-01-02", "2024-01-01", "2024-01-02", "active", None),
    (3, "a3@x.io", 12, "2024-01-03", "2024-01-01", "2024-01-02", "active", None),
    (4, "a4@x.io", 13, "2024-01-04", "2024-01-01", "2024-01-02", "active", None),
    (5, "a5@x.io", 14, "2024-01-05", "2024-01-01", "2024-01-02", "active", None),
    (6, "a6@x.io", 15, "2024-01-06", "2024-01-01", "2024-01-02", "active", "{}"),
    (7, "a7@x.io", 16, "2024-01-07", "2024-01-03", "2024-01-02", "Active", None),
    (8, "a8@x.io", 17, "01/05/2024", "2999-01-01", None, "Active", None),
    (9, "not-an-email", -1, "01/06/2024", None, None, "inactive", None),
    (9, None, 500, None, None, None, "inactive", None),
]


@pytest.fixture
def conn(database):
    raw = database.system_engine.raw_connection()
    connection = raw.driver_connection
    connection.autocommit = True
    connection.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(SCHEMA)))
    yield connection
    raw.close()


def make_table(conn, name: str, ddl: str, rows: list[tuple]) -> None:
    table = sql.Identifier(SCHEMA, name)
    conn.execute(sql.SQL("create table {} ({})").format(table, sql.SQL(ddl)))
    if rows:
        marks = sql.SQL(", ").join(sql.Placeholder() * len(rows[0]))
        with conn.cursor() as cur:
            cur.executemany(sql.SQL("insert into {} values ({})").format(table, marks), rows)


@pytest.fixture
def report(conn):
    make_table(
        conn,
        "customers",
        "id int, email text, amount numeric, signup text, "
        "created_on date, updated_on date, status text, tags jsonb",
        ROWS,
    )
    return profile_table(conn, SCHEMA, "customers")


def column(report, name):
    return next(c for c in report["columns"] if c["name"] == name)


def test_per_column_metrics_match_hand_computed_values(report):
    expected = {  # completeness, uniqueness, validity, consistency
        "id": (100.0, 90.0, 100.0, 100.0),
        "email": (90.0, 100.0, 88.89, 100.0),
        "amount": (100.0, 100.0, 100.0, 90.0),
        "signup": (90.0, 100.0, 100.0, 77.78),
        "created_on": (80.0, 37.5, 100.0, 87.5),
        "updated_on": (70.0, 14.29, 100.0, 85.71),
        "status": (100.0, 30.0, 100.0, 80.0),
    }
    for name, values in expected.items():
        col = column(report, name)
        got = (col["completeness"], col["uniqueness"], col["validity"], col["consistency"])
        assert got == values, name
    assert column(report, "email")["detected"] == "email"
    assert column(report, "signup")["detected"] == "date"


def test_table_metrics_and_overall_score(report):
    assert report["status"] == "ok"
    assert report["row_count"] == 10
    assert report["metrics"] == {
        "completeness": 90.0,
        "validity": 98.41,
        "uniqueness": 96.67,  # the key columns id, amount and email only
        "consistency": 88.71,
    }
    assert report["uniqueness_columns"] == ["id", "email", "amount"]
    assert column(report, "status")["uniqueness_note"] == "n/a: not a key"
    # 90*0.35 + 98.41*0.30 + 96.67*0.20 + 88.71*0.15 = 93.66
    assert report["score"] == 94
    # small table: text kinds detected on all rows; percentiles; aggregates; and, as status
    # has values in two letter cases, the count of its distinct lower-cased values
    assert report["passes"] == 4 and report["detection_sample_rows"] is None


def test_outliers_use_iqr_fences(report):
    amount = column(report, "amount")
    assert (amount["q1"], amount["median"], amount["q3"]) == (11.25, 13.5, 15.75)
    assert (amount["lower_fence"], amount["upper_fence"]) == (4.5, 22.5)
    assert amount["outlier_count"] == 2


def test_keys_and_duplicates(report):
    assert report["keys"] == ["id", "amount", "email"]
    assert report["duplicates"] == {"id": 1, "amount": 0, "email": 0}


def test_consistency_findings(report):
    checks = {
        (c["name"], f["check"]): f["count"]
        for c in report["columns"]
        for f in c["consistency_findings"]
    }
    assert checks == {
        ("amount", "negative_values"): 1,
        ("signup", "mixed_date_formats"): 2,
        ("created_on", "future_dates"): 1,
        ("updated_on", "date_order"): 1,
        ("status", "mixed_case"): 2,
    }


def test_unsupported_columns_are_skipped(report):
    tags = column(report, "tags")
    assert tags["status"] == "skipped"
    assert "jsonb" in tags["skip_reason"]
    assert tags["completeness"] == 10.0
    assert report["skipped_columns"] == ["tags"]


def test_issues_are_graded_by_share_of_rows(report):
    grades = {(i["column"], i["kind"]): i["severity"] for i in report["issues"]}
    assert grades[("tags", "missing")] == "critical"
    assert grades[("updated_on", "missing")] == "high"
    assert grades[("created_on", "missing")] == "medium"
    assert grades[("id", "duplicates")] == "medium"
    assert report["issues"][0]["severity"] == "critical"


def test_empty_table_is_reported_as_empty(conn):
    make_table(conn, "nothing", "id int, name text", [])
    report = profile_table(conn, SCHEMA, "nothing")
    assert report["status"] == "empty"
    assert report["row_count"] == 0
    assert report["score"] == 0
    assert all(c["null_pct"] == 0.0 and c["completeness"] == 0.0 for c in report["columns"])
    assert report["issues"][0]["kind"] == "empty"


def test_patterns_detected_from_values_and_names(conn):
    make_table(
        conn,
        "contacts",
        "website text, home_phone text, ref text, score text",
        [
            ("https://a.example", "+1 (555) 010-2000", "x1@y.org", "1.5"),
            ("http://b.example/path?q=1", "555-0100-22", "x2@y.org", "2"),
            ("not a url", "call me", "x3@y.org", "n/a"),
            ("www.c.example", None, "nope", "3.25"),
        ],
    )
    report = profile_table(conn, SCHEMA, "contacts")
    assert column(report, "website")["detected"] == "url"
    assert column(report, "website")["validity"] == 75.0
    assert column(report, "home_phone")["detected"] == "phone"
    assert column(report, "home_phone")["validity"] == pytest.approx(66.67)
    assert column(report, "ref")["detected"] == "email"
    assert column(report, "ref")["invalid_count"] == 1
    assert column(report, "score")["detected"] == "decimal"
    assert column(report, "score")["validity"] == 75.0


def test_at_most_three_keys(conn):
    make_table(
        conn,
        "wide",
        "a_id int, b_id int, c_code text, sku text, n int",
        [(i, i, f"c{i}", f"s{i}", i) for i in range(5)],
    )
    report = profile_table(conn, SCHEMA, "wide")
    assert report["keys"] == ["a_id", "b_id", "c_code"]


def test_missing_table(conn):
    with pytest.raises(TableNotFound):
        profile_table(conn, SCHEMA, "absent")


def test_sampled_profile_matches_exact_when_the_sample_is_the_whole_table(conn):
    make_table(
        conn,
        "customers",
        "id int, email text, amount numeric, signup text, "
        "created_on date, updated_on date, status text, tags jsonb",
        ROWS,
    )
    exact = profile_table(conn, SCHEMA, "customers", mode="exact")
    sampled = profile_table(conn, SCHEMA, "customers", mode="sampled")
    assert (exact["mode"], sampled["mode"]) == ("exact", "sampled")
    assert sampled["estimated"] and not exact["estimated"]
    assert sampled["sample_rows"] == 10 and sampled["sample_percent"] == 100.0
    # no planner statistics yet: the profile analyzed the table first
    assert sampled["statistics_refreshed"] is True
    for key in ("score", "metrics", "keys", "duplicates", "issues", "skipped_columns"):
        assert sampled[key] == exact[key], key
    for got, want in zip(sampled["columns"], exact["columns"], strict=True):
        for key in ("null_count", "distinct_count", "validity", "consistency", "detected"):
            assert got[key] == want[key], (got["name"], key)
    again = profile_table(conn, SCHEMA, "customers", mode="sampled")
    assert again["statistics_refreshed"] is False


LARGE_ROWS = 200_000
LARGE = f"""
select i as id,
       case when i % 50 = 0 then 'broken' else 'user' || i || '@example.com' end as email,
       case when i % 100 = 0 then 10000 else (i % 200) + 0.5 end as amount,
       case when i % 4 = 0 then null else 'note ' || (i % 300) end as note,
       (array['paid', 'Paid', 'refunded', 'pending'])[(i % 4) + 1] as status,
       date '2025-01-01' + (i % 365) as ordered_on,
       date '2025-01-01' + (i % 365) + case when i % 100 = 0 then -3 else 2 end as shipped_on
from generate_series(1, {LARGE_ROWS}) as i
"""


@pytest.fixture
def large(conn):
    conn.execute(sql.SQL("create table {} as " + LARGE).format(sql.Identifier(SCHEMA, "orders")))
    return "orders"


def test_sampled_profile_counts_rows_and_missing_values_exactly_and_estimates_the_rest(conn, large):
    exact = profile_table(conn, SCHEMA, large, mode="exact")
    sampled = profile_table(conn, SCHEMA, large, mode="sampled")
    assert sampled["mode"] == "sampled" and sampled["passes"] == 1
    assert 1_000 <= sampled["sample_rows"] <= 20_000 < LARGE_ROWS
    assert sampled["row_count"] == exact["row_count"] == LARGE_ROWS
    for got, want in zip(sampled["columns"], exact["columns"], strict=True):
        name = got["name"]
        assert got["null_count"] == want["null_count"], name
        assert got["detected"] == want["detected"], name
        for metric in ("validity", "consistency"):
            assert got[metric] == pytest.approx(want[metric], abs=1.5), (name, metric)
    by_name = {c["name"]: c for c in sampled["columns"]}
    assert by_name["id"]["distinct_count"] == LARGE_ROWS  # unique: the planner knows
    assert by_name["status"]["distinct_count"] == 4
    assert by_name["amount"]["q1"] == pytest.approx(50.5, abs=5)
    # 1 % outliers: about 50 in the sample, scaled (a rarer issue can be missed by a sample)
    assert by_name["amount"]["outlier_count"] == pytest.approx(2_000, rel=0.4)
    kinds = {(i["column"], i["kind"]) for i in sampled["issues"]}
    assert kinds == {(i["column"], i["kind"]) for i in exact["issues"]}
    assert {
        ("note", "missing"),
        ("email", "invalid"),
        ("status", "mixed_case"),
        ("shipped_on", "date_order"),
        ("amount", "outliers"),
    } <= kinds
    assert abs(sampled["score"] - exact["score"]) <= 1


def test_large_tables_are_sampled_by_default_and_exact_on_request(conn, large, monkeypatch):
    from dra.quality import profiling

    assert profile_table(conn, SCHEMA, large)["mode"] == "exact"  # about 15 MB
    monkeypatch.setattr(profiling, "SAMPLE_ABOVE_BYTES", 1024 * 1024)
    assert profile_table(conn, SCHEMA, large)["mode"] == "sampled"
    assert profile_table(conn, SCHEMA, large, mode="exact")["mode"] == "exact"
    with pytest.raises(ValueError):
        profile_table(conn, SCHEMA, large, mode="guess")


def test_a_sampled_empty_table_is_reported_as_empty(conn):
    make_table(conn, "nothing", "id int, name text", [])
    report = profile_table(conn, SCHEMA, "nothing", mode="sampled")
    assert report["status"] == "empty" and report["mode"] == "exact"


CLEAN_ROWS = [
    (i, f"c{i}@shop.example", ("paid", "shipped", "refunded")[i % 3], ("FR", "DE")[i % 2], i % 7)
    for i in range(1, 201)
]


@pytest.mark.parametrize("mode", ["exact", "sampled"])
def test_clean_table_with_low_cardinality_columns_scores_100(conn, mode):
    make_table(
        conn, "clean", "id int, email text, status text, country text, customer_id int", CLEAN_ROWS
    )
    report = profile_table(conn, SCHEMA, "clean", mode=mode)
    assert report["mode"] == mode
    assert report["score"] == 100
    assert report["metrics"]["uniqueness"] == 100.0
    assert report["uniqueness_columns"] == ["id", "email"]
    judged = {c["name"]: c["uniqueness_note"] for c in report["columns"]}
    assert judged == {
        "id": None,
        "email": None,
        "status": "n/a: not a key",
        "country": "n/a: not a key",
        "customer_id": "n/a: a reference to another table's key, repeats by design",
    }
    # a reference key repeating is not reported as duplicates
    assert not [i for i in report["issues"] if i["kind"] == "duplicates"]


def test_table_without_a_key_scores_on_the_other_metrics(conn):
    make_table(conn, "tags", "status text, country text", [("a", "FR")] * 8 + [(None, "DE")] * 2)
    report = profile_table(conn, SCHEMA, "tags")
    assert report["uniqueness_columns"] == [] and report["metrics"]["uniqueness"] is None
    # completeness 90, validity 100, consistency 100: (31.5 + 30 + 15) / 0.8 = 95.6
    assert report["score"] == 96
