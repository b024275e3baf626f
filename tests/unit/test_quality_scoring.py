"""The profiling rules that need no database: grades, score, keys, name heuristics."""

from __future__ import annotations

import pytest

from dra.quality import patterns, scoring


@pytest.mark.parametrize(
    ("percent", "grade"),
    [
        (50.01, "critical"),
        (50.0, "high"),
        (20.01, "high"),
        (20.0, "medium"),
        (5.01, "medium"),
        (5.0, "low"),
        (0.0, "low"),
    ],
)
def test_severity_thresholds(percent, grade):
    assert scoring.severity(percent) == grade


def test_overall_score_is_the_weighted_composite():
    metrics = {"completeness": 100, "validity": 50, "uniqueness": 0, "consistency": 10}
    assert scoring.overall_score(metrics) == round(35 + 15 + 0 + 1.5)  # 51.5 -> 52
    assert scoring.overall_score({k: 100 for k in scoring.WEIGHTS}) == 100


def _col(name, uniqueness, null_pct, status="profiled"):
    return {
        "name": name,
        "uniqueness": uniqueness,
        "null_pct": null_pct,
        "status": status,
        "non_null": 10,
    }


def test_key_rules():
    cols = [
        _col("notes", 95.0, 2.0),  # distinct enough: key by statistics
        _col("customer_id", 10.0, 0.0),  # named id: key by name
        _col("zone", 80.0, 0.0),  # exactly 80 % is not over 80 %
        _col("token", 99.0, 10.0),  # 10 % null is not under 10 %
        _col("sku", 100.0, 0.0),  # both: ranked first
        _col("blob_id", None, 0.0, status="skipped"),
    ]
    assert scoring.choose_keys(cols) == ["sku", "notes", "customer_id"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("id", True),
        ("customer_id", True),
        ("userId", True),
        ("email_address", True),
        ("promo_code", True),
        ("SKU", True),
        ("idea", False),
        ("width", False),
    ],
)
def test_key_by_name(name, expected):
    assert patterns.key_by_name(name) is expected


def test_name_heuristics():
    assert patterns.amount_like("unit_price") and patterns.amount_like("order_qty")
    assert not patterns.amount_like("balance_change") and not patterns.amount_like("score")
    assert patterns.future_allowed("due_date") and not patterns.future_allowed("order_date")
    assert patterns.pattern_by_name("contactEmail") == "email"
    assert patterns.pattern_by_name("mobile_number") == "phone"
    assert patterns.pattern_by_name("website") == "url"


def test_ordered_pairs():
    cols = ["created_at", "updated_at", "start_date", "end_date", "birthday"]
    assert patterns.ordered_pairs(cols) == [
        ("created_at", "updated_at"),
        ("start_date", "end_date"),
    ]


def test_table_metrics_skip_columns_without_values():
    cols = [
        {
            "status": "profiled",
            "completeness": 100.0,
            "validity": 90.0,
            "uniqueness": 50.0,
            "uniqueness_judged": True,
            "consistency": 100.0,
        },
        {
            "status": "profiled",
            "completeness": 0.0,
            "validity": None,
            "uniqueness": None,
            "consistency": None,
        },
        {
            "status": "skipped",
            "completeness": 10.0,
            "validity": None,
            "uniqueness": None,
            "consistency": None,
        },
    ]
    assert scoring.table_metrics(cols) == {
        "completeness": 50.0,
        "validity": 90.0,
        "uniqueness": 50.0,
        "consistency": 100.0,
    }


def _judged(name, uniqueness, is_key=True, status="profiled", non_null=10):
    return {
        "name": name,
        "uniqueness": uniqueness,
        "is_key": is_key,
        "status": status,
        "non_null": non_null,
    }


@pytest.mark.parametrize(
    ("col", "judged"),
    [
        (_judged("order_id", 100.0), True),  # a distinct key
        (_judged("notes", 85.0), True),  # key by its values
        (_judged("id", 40.0), True),  # the table's own id: its repeats are a defect
        (_judged("customer_id", 12.0), False),  # a reference: repeats by design
        (_judged("status", 0.3, is_key=False), False),  # low cardinality, not a key
        (_judged("country", 100.0, is_key=False), False),  # not among the keys
        (_judged("blob", None, status="skipped"), False),
        (_judged("id", None, non_null=0), False),
    ],
)
def test_uniqueness_is_judged_on_key_columns_only(col, judged):
    assert scoring.uniqueness_judged(col) is judged


def test_uniqueness_mean_covers_judged_columns_only():
    def col(uniqueness, judged):
        return {
            "status": "profiled",
            "completeness": 100.0,
            "validity": 100.0,
            "uniqueness": uniqueness,
            "uniqueness_judged": judged,
            "consistency": 100.0,
        }

    metrics = scoring.table_metrics([col(100.0, True), col(0.4, False), col(90.0, True)])
    assert metrics["uniqueness"] == 95.0
    none_judged = scoring.table_metrics([col(0.4, False)])
    assert none_judged["uniqueness"] is None


def test_score_without_a_key_column_renormalises_the_other_weights():
    metrics = {"completeness": 100.0, "validity": 80.0, "uniqueness": None, "consistency": 60.0}
    # (100*0.35 + 80*0.30 + 60*0.15) / 0.80 = 85
    assert scoring.overall_score(metrics) == 85
    assert scoring.overall_score({**metrics, "uniqueness": 100.0}) == round(68 + 20)
