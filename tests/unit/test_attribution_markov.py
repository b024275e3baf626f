"""The Markov removal-effect model: hand-computed chains, and the channelattribution
package on hypothesis-drawn journeys.

The package computes transition probabilities exactly and removal effects by simulation,
so the comparison is in two exact steps: our transition probabilities equal the
package's to 1e-9, and our removal effects, credits and values equal an exact solve (in
fractions, below) of the package's own matrix to 1e-9. One larger case is also compared
with the package's simulated credits, within its sampling error.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dra.attribution.journeys import Journey
from dra.attribution.markov import markov_credits, states_of, transition_chain
from dra.attribution.shapley import shapley_credits
from dra.errors import DraError
from tests.support import channelattribution as ca
from tests.support.journeys import J, journey_strategy

CONVERSION, NULL = ca.CONVERSION, ca.NULL


def test_three_paths_by_hand():
    # start->a 3, start->b 2; a->b 1, a->conv 1, a->null 1; b->conv 1, b->null 2
    # P(conv) = 3/5 * (1/3 + 1/3 * 1/3) + 2/5 * 1/3 = 2/5; without a: 2/15; without b: 1/5
    # value: a converts worth 10 (1 of 3 leaving a), b worth 30 (1 of 3): E = 8;
    # without a: 4, without b: 2
    got = markov_credits([J("a > b", 1, 0, 30.0), J("a", 1, 1, 10.0), J("b", 0, 2)])
    assert got["a"]["removal_effect"] == pytest.approx(2 / 3, abs=1e-12)
    assert got["b"]["removal_effect"] == pytest.approx(1 / 2, abs=1e-12)
    assert got["a"]["credits"] == pytest.approx(8 / 7, abs=1e-12)  # 2 x (4/15) / (7/15)
    assert got["b"]["credits"] == pytest.approx(6 / 7, abs=1e-12)
    assert got["a"]["value"] == pytest.approx(16.0, abs=1e-12)  # 40 x 4 / (4 + 6)
    assert got["b"]["value"] == pytest.approx(24.0, abs=1e-12)


def test_a_channel_only_in_failed_journeys_gets_nothing():
    journeys = [J("a", 2, 1), J("a > c", 0, 2), J("c", 0, 3), J("c > c", 0, 1)]
    markov, shapley = markov_credits(journeys), shapley_credits(journeys)
    assert markov["c"] == {"credits": 0.0, "value": 0.0, "removal_effect": 0.0}
    assert markov["a"]["credits"] == pytest.approx(2.0) and markov["a"]["removal_effect"] == 1.0
    assert shapley["c"] == {"credits": 0.0, "value": 0.0}
    assert shapley["a"]["credits"] == pytest.approx(2.0)


def test_two_channels_always_together_share_equally():
    # in one order only: without either, no walk through them converts
    one_order = [J("a > b", 3, 2, 90.0), J("c", 1, 4), J("c > a > b", 0, 1)]
    # in both orders, as often: swapping a and b changes nothing
    both_orders = [
        J("a > b", 3, 2, 90.0),
        J("b > a", 3, 2, 90.0),
        J("c", 1, 4, 7.0),
        J("c > a > b", 0, 1),
        J("c > b > a", 0, 1),
    ]
    for journeys in (one_order, both_orders):
        conversions = sum(j.conversions for j in journeys)
        value = sum(j.value for j in journeys)
        for got in (
            markov_credits(journeys),
            markov_credits(journeys, order=2),
            shapley_credits(journeys),
        ):
            assert got["a"]["credits"] == pytest.approx(got["b"]["credits"], abs=1e-12)
            assert got["a"]["value"] == pytest.approx(got["b"]["value"], abs=1e-12)
            assert got["c"]["credits"] > 0
            assert sum(c["credits"] for c in got.values()) == pytest.approx(conversions)
            assert sum(c["value"] for c in got.values()) == pytest.approx(value)


def test_states_are_sliding_windows_with_repeats_kept():
    assert states_of(("a", "a", "b"), 1) == [("a",), ("b",)]
    assert states_of(("a", "a", "a", "b"), 2) == [("a", "a"), ("a", "b")]
    assert states_of(("a",), 3) == [("a",)]
    assert states_of(("a", "b", "a", "b"), 2) == [("a", "b"), ("b", "a"), ("a", "b")]


def test_no_conversion_no_credit_and_the_order_is_checked():
    assert markov_credits([J("a", 0, 3)]) == {}
    assert markov_credits([]) == {}
    for order in (0, 5, "2", True):
        with pytest.raises(DraError) as err:
            markov_credits([J("a", 1)], order=order)
        assert err.value.field == "markov_order"
        assert err.value.message == "The Markov order must be between 1 and 4."


# ---- against the channelattribution package --------------------------------------------


def _solve(a: list[list[Fraction]], b: list[Fraction]) -> list[Fraction]:
    """Gauss-Jordan elimination in exact fractions."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = next(r for r in range(col, n) if m[r][col] != 0)
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(n):
            if r != col and m[r][col] != 0:
                f = m[r][col] / m[col][col]
                m[r] = [x - f * y for x, y in zip(m[r], m[col], strict=True)]
    return [m[i][n] / m[i][i] for i in range(n)]


def _expected(journeys: list[Journey], order: int) -> dict[str, dict[str, float]]:
    """Credits from an exact solve of the package's transition matrix."""
    matrix = {k: Fraction(p) for k, p in ca.transitions(journeys, order).items()}
    states = sorted({s for pair in matrix for s in pair if isinstance(s, tuple)}, key=repr)
    # mean value of the conversions leaving each (last) state, from the journeys themselves
    ends: dict[tuple, list[Fraction]] = {}
    for j in journeys:
        last = j.channels if len(j.channels) <= order else j.channels[-order:]
        cell = ends.setdefault(last, [Fraction(0), Fraction(0)])
        cell[0] += j.conversions
        cell[1] += Fraction(j.value)
    total_conversions = sum(j.conversions for j in journeys)
    total_value = sum(Fraction(j.value) for j in journeys)

    def absorbed(kept: list[tuple], value: bool) -> Fraction:
        a = [[Fraction(int(s == t)) - matrix.get((s, t), 0) for t in kept] for s in kept]
        b = []
        for s in kept:
            p = matrix.get((s, CONVERSION), Fraction(0))
            if value and p:
                p *= ends[s][1] / ends[s][0]
            b.append(p)
        return _solve(a, b)[kept.index(())]

    channels = sorted({c for s in states for c in s})
    out = {}
    for value in (False, True):
        full = absorbed(states, value)
        lost = {c: full - absorbed([s for s in states if c not in s], value) for c in channels}
        total = sum(lost.values())
        for c in channels:
            cell = out.setdefault(c, {})
            if value:
                cell["value"] = float(total_value * lost[c] / total) if total else 0.0
            else:
                cell["credits"] = float(total_conversions * lost[c] / total)
                cell["removal_effect"] = float(lost[c] / full)
    return out


journey_sets = st.lists(journey_strategy, min_size=1, max_size=12).filter(
    lambda js: any(j.conversions for j in js)
)


@settings(max_examples=150, deadline=None)
@given(journey_sets, st.sampled_from([1, 1, 2, 3]))
def test_transition_probabilities_equal_the_package(journeys, order):
    chain = transition_chain(journeys, order)
    got = {}
    for i, s in enumerate(chain.states):
        for k, t in enumerate(chain.states):
            if chain.q[i, k]:
                got[(s, t)] = float(chain.q[i, k])
        if chain.rewards[i, 0]:
            got[(s, CONVERSION)] = float(chain.rewards[i, 0])
        null = 1.0 - chain.q[i].sum() - chain.rewards[i, 0]
        if null > 1e-12:
            got[(s, NULL)] = float(null)
    expected = ca.transitions(journeys, order)
    assert got.keys() == expected.keys()
    for key, p in expected.items():
        assert got[key] == pytest.approx(p, abs=1e-9), key


@settings(max_examples=150, deadline=None)
@given(journey_sets, st.sampled_from([1, 1, 1, 2]))
def test_removal_effects_equal_an_exact_solve_of_the_package_matrix(journeys, order):
    got = markov_credits(journeys, order=order)
    expected = _expected(journeys, order)
    assert got.keys() == expected.keys()
    for channel, cell in expected.items():
        for key, number in cell.items():
            assert got[channel][key] == pytest.approx(number, abs=1e-9), (channel, key)


def test_close_to_the_package_simulation():
    journeys = [
        J("paid > email > paid", 30, 170, 2400.0),
        J("paid", 20, 380, 900.0),
        J("social > paid", 12, 88, 700.0),
        J("email", 25, 75, 1500.0),
        J("social", 2, 198, 50.0),
        J("organic > email > social", 9, 41, 400.0),
        J("organic", 6, 94, 120.0),
    ]
    got = markov_credits(journeys)
    simulated = ca.markov_model(
        journeys, nsim_start=300_000, max_step=500, conv_par=0.01, seed=1, ncore=1
    )
    for row in simulated.itertuples():
        assert got[row.channel_name]["credits"] == pytest.approx(row.total_conversions, rel=0.03)
        assert got[row.channel_name]["value"] == pytest.approx(row.total_conversion_value, rel=0.03)
