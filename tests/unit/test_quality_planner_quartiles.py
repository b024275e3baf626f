"""Quartiles of a numeric column from PostgreSQL's planner statistics (sampled profile)."""

from __future__ import annotations

import pytest

from dra.quality.profiling import PlannerStats, planner_quartiles


def stats(null_frac=0.0, common=(), bounds=()):
    values = [v for v, _ in common]
    freqs = [f for _, f in common]
    return PlannerStats(-1.0, null_frac, values, freqs, list(bounds))


def test_an_even_histogram_gives_its_quarter_points():
    got = planner_quartiles(stats(bounds=range(0, 101)))
    assert got == pytest.approx([25, 50, 75], abs=1e-6)


def test_missing_values_do_not_count():
    got = planner_quartiles(stats(null_frac=0.5, bounds=range(0, 101)))
    assert got == pytest.approx([25, 50, 75], abs=1e-6)


def test_common_values_are_points_with_their_share():
    common = [(1.0, 0.25), (2.0, 0.25), (3.0, 0.25), (4.0, 0.25)]
    assert planner_quartiles(stats(common=common)) == pytest.approx([1, 2, 3])


def test_common_values_and_histogram_together():
    # half the rows are 0; the other half spread evenly between 10 and 20
    got = planner_quartiles(stats(common=[(0.0, 0.5)], bounds=[10, 12.5, 15, 17.5, 20]))
    assert got == pytest.approx([0, 0, 15], abs=1e-6)


def test_no_values_no_quartiles():
    assert planner_quartiles(stats(null_frac=1.0)) is None
    assert planner_quartiles(stats()) is None


def test_distinct_estimate_of_a_unique_column_with_a_placeholder():
    from dra.quality.profiling import estimate_distinct

    # 1,000,000 emails, 1 % of them "unknown", the rest unique; a 5,000-row sample holds
    # "unknown" 50 times and 4,950 other values once each
    got = estimate_distinct(1_000_000, 5_000, 4_951, 4_950, (1, 50))
    assert got == pytest.approx(990_001, rel=0.001)


def test_distinct_estimate_keeps_small_sets_and_whole_samples_exact():
    from dra.quality.profiling import estimate_distinct

    # five statuses, each seen often: the frequent values are the answer
    assert estimate_distinct(1_000_000, 5_000, 5, 0, (5, 5_000)) == 5
    # the sample is the column: what it holds
    assert estimate_distinct(300, 300, 120, 40, (10, 100)) == 120
    assert estimate_distinct(300, 0, 0, 0, (0, 0)) == 0
