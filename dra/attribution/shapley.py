"""The data-driven model: Shapley values over channels, computed in Python.

The game (Zhao et al., 2018, "Shapley Value Methods for Attribution Modeling in
Online Advertising"): the worth of a set of channels S is the value of conversions
whose touchpoint channels all lie in S. Exact over all coalitions up to
``EXACT_LIMIT`` channels; above that, the mean marginal contribution over
``SAMPLES`` random channel orders (seeded, so a report is reproducible).
Each conversion's value is then shared among its own channels in proportion to
their Shapley values, and a channel's share evenly among its touchpoints.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from itertools import combinations
from math import factorial

from dra.attribution.reference import Credit, Touchpoint

EXACT_LIMIT = 6
SAMPLES = 2000
SEED = 20261125


def _worth(paths: Mapping[frozenset[str], float]):
    cache: dict[frozenset[str], float] = {}

    def worth(coalition: frozenset[str]) -> float:
        if coalition not in cache:
            cache[coalition] = sum(v for path, v in paths.items() if path <= coalition)
        return cache[coalition]

    return worth


def shapley_values(
    paths: Mapping[frozenset[str], float],
    *,
    exact_limit: int = EXACT_LIMIT,
    samples: int = SAMPLES,
    seed: int = SEED,
) -> dict[str, float]:
    """Channel -> Shapley value of the game above (``paths``: channel set -> value)."""
    channels = sorted(set().union(*paths) if paths else set())
    worth = _worth(paths)
    n = len(channels)
    values = dict.fromkeys(channels, 0.0)
    if n <= exact_limit:
        for c in channels:
            rest = [x for x in channels if x != c]
            for size in range(n):
                coef = factorial(size) * factorial(n - size - 1) / factorial(n)
                for combo in combinations(rest, size):
                    s = frozenset(combo)
                    values[c] += coef * (worth(s | {c}) - worth(s))
        return values
    rng = random.Random(seed)  # noqa: S311 - reproducible sampling, not a secret
    for _ in range(samples):
        order = channels[:]
        rng.shuffle(order)
        coalition: frozenset[str] = frozenset()
        before = 0.0
        for c in order:
            coalition = coalition | {c}
            after = worth(coalition)
            values[c] += after - before
            before = after
    return {c: v / samples for c, v in values.items()}


def data_driven_credits(groups: Mapping[int, Sequence[Touchpoint]]) -> list[Credit]:
    """Credits of the data-driven model for conversions grouped by id."""
    paths: dict[frozenset[str], float] = defaultdict(float)
    for group in groups.values():
        paths[frozenset(t.channel for t in group)] += 1.0
    phi = shapley_values(paths)
    out: list[Credit] = []
    for group in groups.values():
        channels = {t.channel for t in group}
        total = sum(max(phi[c], 0.0) for c in channels)
        per_channel = {
            c: (max(phi[c], 0.0) / total if total > 0 else 1.0 / len(channels)) for c in channels
        }
        counts = defaultdict(int)
        for t in group:
            counts[t.channel] += 1
        for t in group:
            w = per_channel[t.channel] / counts[t.channel]
            out.append(
                Credit(
                    t.conversion_id,
                    t.touchpoint_id,
                    "data_driven",
                    t.channel,
                    w,
                    w * t.conversion_value,
                )
            )
    return out


def data_driven_totals(
    paths: Mapping[frozenset[str], tuple[int, float]],
) -> dict[str, dict[str, float]]:
    """Channel -> {credits, value} of the data-driven model from grouped conversions.

    ``paths``: channel set -> (conversions, their summed value). Equals summing
    :func:`data_driven_credits` per channel: a conversion's share per channel depends
    only on its channel set, so conversions can be grouped by it first (fast on
    millions of touchpoints).
    """
    phi = shapley_values({path: float(n) for path, (n, _v) in paths.items()})
    totals: dict[str, dict[str, float]] = {}
    for path, (count, value) in paths.items():
        total = sum(max(phi[c], 0.0) for c in path)
        for c in path:
            share = max(phi[c], 0.0) / total if total > 0 else 1.0 / len(path)
            cell = totals.setdefault(c, {"credits": 0.0, "value": 0.0})
            cell["credits"] += share * count
            cell["value"] += share * value
    return totals
