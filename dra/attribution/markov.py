"""Markov chain removal effect (Anderl et al., 2016), solved exactly.

Every journey, converting or not, is a walk ``(start) -> s1 -> ... -> sk -> (conversion)
or (null)``. With order 1 the states are channels; with order k (2..4) they are the
sliding windows of k channels of the sequence (a journey shorter than k is one state),
as in the ``channelattribution`` package. Consecutive equal states are merged (a
self-transition changes no absorption probability). Transition probabilities are the
observed transition counts over all journeys divided by each state's outgoing count.

The chain's conversion probability is the absorption probability in ``(conversion)``
from ``(start)``, solved from ``(I - Q) x = r`` with numpy (no simulation). The removal
effect of a channel is the share of that probability lost when every state holding the
channel leads to ``(null)`` instead: ``(P - P_without) / P``, which equals the
probability that a converting walk visits the channel. Conversions are shared among
channels in proportion to their removal effects. Value uses the same chain with each
conversion worth the mean value of the conversions that ended in that state (what the
package simulates): a channel's value is in proportion to the expected conversion value
lost without it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from dra.attribution.journeys import Journey
from dra.attribution.reference import MODEL_ASSUMPTIONS
from dra.errors import DraError

MAX_ORDER = 4
ORDER_NAMES = {1: "first-order", 2: "second-order", 3: "third-order", 4: "fourth-order"}

State = tuple[str, ...]


def states_of(channels: tuple[str, ...], order: int) -> list[State]:
    """The walk of one journey: sliding windows of ``order`` channels, equal neighbours
    merged."""
    if len(channels) <= order:
        windows = [channels]
    else:
        windows = [channels[i : i + order] for i in range(len(channels) - order + 1)]
    walk = [windows[0]]
    for w in windows[1:]:
        if w != walk[-1]:
            walk.append(w)
    return walk


@dataclass(frozen=True)
class Chain:
    """The transient states (index 0 is ``(start)``) and the transition probabilities."""

    states: list[State]
    q: np.ndarray  # transient -> transient
    rewards: np.ndarray  # columns: P(-> conversion), expected conversion value on leaving
    conversions: int
    value: float

    def absorbed(self, keep: np.ndarray | None = None) -> np.ndarray:
        """(conversion probability, expected value) from ``(start)``, through kept states
        only (a removed state leads to ``(null)``)."""
        q, r = (
            (self.q, self.rewards) if keep is None else (self.q[keep][:, keep], self.rewards[keep])
        )
        return np.linalg.solve(np.eye(len(q)) - q, r)[0]


def transition_chain(journeys: Iterable[Journey], order: int = 1) -> Chain:
    """The absorbing chain of all journeys (probabilities from counts)."""
    if isinstance(order, bool) or not isinstance(order, int) or not 1 <= order <= MAX_ORDER:
        raise DraError(f"The Markov order must be between 1 and {MAX_ORDER}.", field="markov_order")
    index: dict[State, int] = {(): 0}
    moves: dict[tuple[int, int], int] = {}
    ends: dict[int, list[float]] = {}  # state -> [conversions, non-conversions, value]
    conversions, value = 0, 0.0
    for j in journeys:
        if j.journeys == 0 or not j.channels:
            continue
        previous = 0
        for state in states_of(j.channels, order):
            current = index.setdefault(state, len(index))
            moves[(previous, current)] = moves.get((previous, current), 0) + j.journeys
            previous = current
        cell = ends.setdefault(previous, [0, 0, 0.0])
        cell[0] += j.conversions
        cell[1] += j.non_conversions
        cell[2] += j.value
        conversions += j.conversions
        value += j.value
    n = len(index)
    counts = np.zeros((n, n))
    if moves:
        rows, cols = zip(*moves, strict=True)
        counts[list(rows), list(cols)] = list(moves.values())
    absorbed = np.zeros((n, 3))
    for state, cell in ends.items():
        absorbed[state] = cell
    out = counts.sum(axis=1) + absorbed[:, 0] + absorbed[:, 1]
    out[out == 0] = 1.0  # only (start) of an empty chain
    states = [()] * n
    for state, i in index.items():
        states[i] = state
    return Chain(
        states=states,
        q=counts / out[:, None],
        rewards=np.column_stack((absorbed[:, 0], absorbed[:, 2])) / out[:, None],
        conversions=conversions,
        value=value,
    )


def _shares(lost: dict[str, float]) -> dict[str, float]:
    clipped = {c: max(v, 0.0) for c, v in lost.items()}
    total = sum(clipped.values())
    return {c: v / total for c, v in clipped.items()} if total > 0 else {}


def markov_credits(journeys: Iterable[Journey], *, order: int = 1) -> dict[str, dict[str, float]]:
    """Channel -> {credits, value, removal_effect} of the Markov model of ``order``."""
    chain = transition_chain(journeys, order)
    if chain.conversions == 0:
        return {}
    full = chain.absorbed()
    channels = sorted({c for state in chain.states for c in state})
    lost_conversions: dict[str, float] = {}
    lost_value: dict[str, float] = {}
    for channel in channels:
        keep = np.array([channel not in state for state in chain.states])
        without = chain.absorbed(keep)
        lost_conversions[channel] = float(full[0] - without[0])
        lost_value[channel] = float(full[1] - without[1])
    conversion_shares = _shares(lost_conversions)
    # negative event values can make the value chain meaningless: fall back to conversions
    value_shares = _shares(lost_value) or conversion_shares
    return {
        c: {
            "credits": chain.conversions * conversion_shares.get(c, 0.0),
            "value": chain.value * value_shares.get(c, 0.0),
            "removal_effect": max(lost_conversions[c], 0.0) / float(full[0]),
        }
        for c in channels
        if c in conversion_shares or c in value_shares
    }


def markov_assumption(order: int) -> str:
    """The model's one-line assumption for ``order`` (stored with a report)."""
    return MODEL_ASSUMPTIONS["markov"].replace(
        "first-order", ORDER_NAMES.get(order, f"order-{order}")
    )
