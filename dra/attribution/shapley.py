"""Shapley values on conversion rates: converting and non-converting journeys compared.

Journeys are grouped by their **set** of channels (order and repeats ignored). The
conversion rate of a set S is the conversions of the journeys whose channel set is
exactly S divided by the number of those journeys, converting or not (0 for a set no
journey had). For each channel set P that converted, the game on P's channels has the
worth v(S) = rate(S) for every S within P (v of no channel is 0); P's conversions and
their value are shared among its channels in proportion to their Shapley values in that
game (a negative value counts 0; the values sum to rate(P) > 0, so some share is
positive). A channel present only in journeys that never converted gets nothing.

Computed exactly for any number of channels: only sets that some journey had have a
non-zero worth, so the Shapley sum over the 2^|P| coalitions reduces to a sum over the
observed subsets T of P, each weighted by (|T|-1)!(|P|-|T|)!/|P|! for its members and
-|T|!(|P|-|T|-1)!/|P|! for the others. No sampling is needed (the cost grows with
the number of distinct channel sets, at most 127 with the platform's 7 channels).

This replaces the earlier "data-driven" game (worth of S = conversions whose channels
all lie in S): a sum of unanimity games whose values are each conversion split evenly
among its channels, a popularity count blind to journeys that did not convert.
"""

from __future__ import annotations

from collections.abc import Iterable
from math import comb

import numpy as np

from dra.attribution.journeys import Journey


def channel_sets(journeys: Iterable[Journey]) -> dict[frozenset[str], tuple[int, int, float]]:
    """Channel set -> (journeys, conversions, value)."""
    sets: dict[frozenset[str], tuple[int, int, float]] = {}
    for j in journeys:
        if not j.channels or j.journeys == 0:
            continue
        key = frozenset(j.channels)
        n, c, v = sets.get(key, (0, 0, 0.0))
        sets[key] = (n + j.journeys, c + j.conversions, v + j.value)
    return sets


def rate_shapley(rates: dict[frozenset[str], float], players: frozenset[str]) -> dict[str, float]:
    """Shapley values of the game v(S) = rates.get(S, 0) over the subsets S of ``players``."""
    order = sorted(players)
    m = len(order)
    inside = [(s, r) for s, r in rates.items() if r and s <= players]
    phi = dict.fromkeys(order, 0.0)
    if not inside:
        return phi
    members = np.array([[c in s for c in order] for s, _ in inside])
    worth = np.array([r for _, r in inside])
    sizes = members.sum(axis=1)
    # (s-1)!(m-s)!/m! = 1 / (m * C(m-1, s-1)) for members, s!(m-s-1)!/m! for the others
    as_member = np.array([1.0 / (m * comb(m - 1, s - 1)) if s else 0.0 for s in sizes])
    as_other = np.array([1.0 / (m * comb(m - 1, s)) if s < m else 0.0 for s in sizes])
    values = (worth * as_member) @ members - (worth * as_other) @ ~members
    return dict(zip(order, values.tolist(), strict=True))


def shapley_credits(journeys: Iterable[Journey]) -> dict[str, dict[str, float]]:
    """Channel -> {credits, value} of Shapley values on conversion rates."""
    sets = channel_sets(journeys)
    rates = {s: c / n for s, (n, c, _v) in sets.items()}
    totals = {c: {"credits": 0.0, "value": 0.0} for s in sets for c in s}
    for players, (_n, conversions, value) in sets.items():
        if conversions == 0:
            continue
        phi = rate_shapley(rates, players)
        positive = {c: max(v, 0.0) for c, v in phi.items()}
        total = sum(positive.values())
        for c, v in positive.items():
            totals[c]["credits"] += conversions * v / total
            totals[c]["value"] += value * v / total
    return totals
