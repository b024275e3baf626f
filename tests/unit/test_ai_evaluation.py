"""Execution accuracy's comparison of result sets (dra.ai.evaluation)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from dra.ai.evaluation import ResultSet, accuracy, compare_results
from dra.modeling.executor import QueryResult

GOLD = ResultSet(["country", "revenue"], [("DE", 120), ("FR", 80), ("US", 40)])


def rows(*data, columns=None):
    width = len(data[0]) if data else 0
    return ResultSet(columns or [f"c{i}" for i in range(width)], [tuple(r) for r in data])


def test_the_same_result_matches():
    verdict = compare_results(GOLD, rows(("DE", 120), ("FR", 80), ("US", 40)))
    assert verdict.match and verdict.reason == "" and verdict.column_map == (0, 1)


def test_columns_are_matched_by_their_values_not_their_names_or_places():
    verdict = compare_results(GOLD, rows((40, "US"), (120, "DE"), (80, "FR")))
    assert verdict.match and verdict.column_map == (1, 0)


def test_row_order_is_ignored_unless_asked_for():
    shuffled = rows(("US", 40), ("DE", 120), ("FR", 80))
    assert compare_results(GOLD, shuffled).match
    verdict = compare_results(GOLD, shuffled, ordered=True)
    assert not verdict.match and "another order" in verdict.reason
    assert compare_results(GOLD, rows(("DE", 120), ("FR", 80), ("US", 40)), ordered=True)


def test_ordered_with_columns_permuted():
    assert compare_results(GOLD, rows((120, "DE"), (80, "FR"), (40, "US")), ordered=True)


def test_duplicates_count():
    gold = rows(("a",), ("a",), ("b",))
    assert compare_results(gold, rows(("a",), ("b",), ("a",))).match
    assert not compare_results(gold, rows(("a",), ("b",), ("b",))).match
    verdict = compare_results(gold, rows(("a",), ("b",)))  # DISTINCT where none was asked
    assert not verdict.match and verdict.reason == "2 row(s), expected 3"


def test_different_row_counts_and_widths_are_named():
    assert compare_results(GOLD, rows(("DE", 120))).reason == "1 row(s), expected 3"
    verdict = compare_results(GOLD, rows(("DE", 120, 1), ("FR", 80, 1), ("US", 40, 1)))
    assert not verdict.match and verdict.reason == "3 column(s), expected 2"


def test_floats_within_tolerance_match_and_beyond_do_not():
    assert compare_results(rows((0.3,)), rows((0.1 + 0.2,))).match
    assert compare_results(rows((1 / 3,)), rows((Decimal("0.3333333333"),))).match
    assert not compare_results(rows((1.0,)), rows((1.001,))).match
    assert not compare_results(rows((12.35,)), rows((12.3,))).match  # rounded is different


def test_numbers_compare_by_value_whatever_their_type():
    gold = rows((Decimal("120.00"), 3), (Decimal("80.50"), 2))
    assert compare_results(gold, rows((120, 3.0), (80.5, Decimal(2)))).match
    assert not compare_results(rows((True,)), rows((1,))).match  # a boolean is not a number
    assert not compare_results(rows(("1",)), rows((1,))).match  # nor is text


def test_nulls_equal_nulls_only():
    assert compare_results(rows((None, 1), ("x", 2)), rows((2, "x"), (1, None))).match
    verdict = compare_results(rows((None,)), rows((0,)))
    assert not verdict.match and "no column holds" in verdict.reason
    nan = float("nan")
    assert compare_results(rows((nan,)), rows((Decimal("NaN"),))).match


def test_columns_that_hold_the_right_values_but_pair_them_wrongly_do_not_match():
    verdict = compare_results(rows(("a", 1), ("b", 2)), rows(("a", 2), ("b", 1)))
    assert not verdict.match and "pair them otherwise" in verdict.reason


def test_columns_with_the_same_values_are_tried_every_way():
    gold = rows((1, 2), (2, 1), (3, 3), columns=["orders", "customers"])
    swapped = rows((2, 1), (1, 2), (3, 3))  # both columns hold {1, 2, 3}
    assert compare_results(gold, swapped).match
    cycle = rows((1, 2), (2, 3), (3, 1))  # the first assignment tried pairs them wrongly
    assert compare_results(cycle, rows((2, 1), (3, 2), (1, 3))).match
    assert not compare_results(cycle, rows((1, 2), (3, 2), (2, 1))).match


def test_timestamps_at_midnight_equal_their_dates_and_time_zones_are_compared_in_utc():
    month = datetime(2026, 9, 1, tzinfo=UTC)
    assert compare_results(rows((month, 5)), rows((date(2026, 9, 1), 5))).match
    cet = timezone(timedelta(hours=1))
    assert compare_results(rows((month,)), rows((datetime(2026, 9, 1, 1, tzinfo=cet),))).match
    later = datetime(2026, 9, 1, 12, tzinfo=UTC)
    assert not compare_results(rows((later,)), rows((date(2026, 9, 1),))).match


def test_empty_results_match_when_as_wide():
    assert compare_results(rows(columns=["a", "b"]), rows(columns=["x", "y"])).match
    assert not compare_results(rows(columns=["a"]), rows(columns=["x", "y"])).match
    assert not compare_results(GOLD, rows(columns=["a", "b"])).match


def test_a_cut_result_is_not_compared():
    cut = ResultSet(["a"], [(1,)], truncated=True)
    verdict = compare_results(rows((1,)), cut)
    assert not verdict.match and "cut" in verdict.reason


def test_query_results_and_plain_rows_are_accepted():
    result = QueryResult(
        columns=[{"name": "revenue", "type": "numeric"}, {"name": "country", "type": "text"}],
        rows=[[Decimal(40), "US"], [Decimal(120), "DE"], [Decimal(80), "FR"]],
    )
    assert compare_results(GOLD, result).match
    assert compare_results([("DE", 120), ("FR", 80), ("US", 40)], GOLD).match


def test_accuracy_is_the_share_of_matches():
    verdicts = [compare_results(GOLD, GOLD), compare_results(GOLD, rows(("DE", 120)))]
    assert accuracy(verdicts) == 0.5
    assert accuracy([]) == 1.0
