"""Shapley values on conversion rates: hand-computed cases and the textbook definitions
(every order of the players; every coalition) on hypothesis-drawn journeys."""

from __future__ import annotations

from itertools import combinations, permutations
from math import factorial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dra.attribution.shapley import channel_sets, rate_shapley, shapley_credits
from tests.support.journeys import J, journey_strategy


def test_rates_by_hand():
    # rates: {a} 1/10, {a, b} 4/10, {b} 0/20. On {a, b}: phi_a = (0.1 + 0.4) / 2 = 0.25,
    # phi_b = (0 + 0.3) / 2 = 0.15; {a, b}'s 4 conversions split 2.5 / 1.5, {a}'s 1 to a
    journeys = [J("a", 1, 9, 10.0), J("a > b", 4, 6, 80.0), J("b > a", 0, 0), J("b", 0, 20)]
    assert rate_shapley({frozenset("a"): 0.1, frozenset("ab"): 0.4}, frozenset("ab")) == {
        "a": pytest.approx(0.25),
        "b": pytest.approx(0.15),
    }
    got = shapley_credits(journeys)
    assert got["a"] == {"credits": pytest.approx(3.5), "value": pytest.approx(10 + 50.0)}
    assert got["b"] == {"credits": pytest.approx(1.5), "value": pytest.approx(30.0)}


def test_order_and_repeats_do_not_matter_and_non_converters_count():
    same = [J("a > b", 2, 3), J("c > a > b", 1, 0), J("b > c > b > c", 0, 1), J("a", 1, 4)]
    assert channel_sets(same) == {
        frozenset("ab"): (5, 2, 2.0),
        frozenset("abc"): (1, 1, 1.0),
        frozenset("bc"): (1, 0, 0.0),
        frozenset("a"): (5, 1, 1.0),
    }
    more_failures = [*same, J("a", 0, 50)]  # a alone converts less: a earns less of {a, b}
    assert shapley_credits(more_failures)["a"]["credits"] < shapley_credits(same)["a"]["credits"]


def test_a_channel_that_lowers_the_rate_gets_no_share():
    # {a} converts half the time, {a, b} a tenth: phi_b = (0 + 0.1 - 0.5) / 2 < 0
    got = shapley_credits([J("a", 5, 5), J("a > b", 1, 9, 7.0)])
    assert got["b"] == {"credits": 0.0, "value": 0.0}
    assert got["a"] == {"credits": pytest.approx(6.0), "value": pytest.approx(12.0)}


def _by_orders(rates: dict[frozenset[str], float], players: frozenset[str]) -> dict[str, float]:
    """The definition: the mean marginal contribution over every order of the players."""
    phi = dict.fromkeys(players, 0.0)
    orders = list(permutations(sorted(players)))
    for order in orders:
        before: frozenset[str] = frozenset()
        for p in order:
            phi[p] += rates.get(before | {p}, 0.0) - rates.get(before, 0.0)
            before = before | {p}
    return {p: v / len(orders) for p, v in phi.items()}


def _by_coalitions(rates: dict[frozenset[str], float], players: frozenset[str]) -> dict[str, float]:
    """The definition over every coalition without the player, weighted |S|!(n-|S|-1)!/n!."""
    n = len(players)
    phi = {}
    for p in players:
        rest = sorted(players - {p})
        phi[p] = sum(
            factorial(k)
            * factorial(n - k - 1)
            / factorial(n)
            * (rates.get(frozenset(s) | {p}, 0.0) - rates.get(frozenset(s), 0.0))
            for k in range(n)
            for s in combinations(rest, k)
        )
    return phi


@settings(max_examples=200, deadline=None)
@given(st.lists(journey_strategy, min_size=1, max_size=15))
def test_credits_equal_the_definition_over_every_order(journeys):
    sets: dict[frozenset[str], tuple[int, int, float]] = {}
    for j in journeys:
        n, c, v = sets.get(frozenset(j.channels), (0, 0, 0.0))
        sets[frozenset(j.channels)] = (n + j.journeys, c + j.conversions, v + j.value)
    rates = {s: c / n for s, (n, c, _v) in sets.items()}
    expected: dict[str, dict[str, float]] = {
        c: {"credits": 0.0, "value": 0.0} for s in sets for c in s
    }
    for players, (_n, conversions, value) in sets.items():
        if conversions:
            phi = {p: max(v, 0.0) for p, v in _by_orders(rates, players).items()}
            for p, v in phi.items():
                expected[p]["credits"] += conversions * v / sum(phi.values())
                expected[p]["value"] += value * v / sum(phi.values())
    got = shapley_credits(journeys)
    assert got.keys() == expected.keys()
    for channel, cell in expected.items():
        assert got[channel]["credits"] == pytest.approx(cell["credits"], abs=1e-9)
        assert got[channel]["value"] == pytest.approx(cell["value"], abs=1e-9)
    converted = sum(j.conversions for j in journeys)
    assert sum(c["credits"] for c in got.values()) == pytest.approx(converted, abs=1e-9)


def test_exact_above_a_dozen_channels():
    players = frozenset(f"c{i:02d}" for i in range(14))
    ordered = sorted(players)
    rates = {frozenset(ordered[i : i + k]): (i + 2 * k) / 100 for k in (1, 3, 5) for i in range(10)}
    rates[players] = 0.9
    got = rate_shapley(rates, players)
    expected = _by_coalitions(rates, players)
    assert got == pytest.approx(expected, abs=1e-12)
    assert sum(got.values()) == pytest.approx(0.9)  # efficiency: v(all) - v(none)
