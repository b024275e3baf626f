"""Plain-Python reference of every attribution model (the dbt marts must equal it).

For each conversion (an event whose type is one of ``conversion_types``) its
touchpoints are the same user's other, non-conversion events of the same project in
``[conversion - lookback, conversion]``, ordered by (time, event id). Weights per model
sum to 1 over a conversion's touchpoints; attributed value = weight x the conversion's
value (1 when it has none). Conversions without touchpoints get no credit rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

DEFAULT_CONVERSION_TYPES = ("conversion", "purchase")
DEFAULT_LOOKBACK_DAYS = 30
HALF_LIFE_HOURS = 168.0
SQL_MODELS = ("first_touch", "last_touch", "linear", "time_decay", "position_based")
JOURNEY_MODELS = ("markov", "shapley")  # computed in Python from grouped journeys
MODELS = (*SQL_MODELS, *JOURNEY_MODELS)
OLD_MODELS = ("data_driven",)  # only in reports stored before the journey models
MODEL_LABELS = {
    "first_touch": "First touch",
    "last_touch": "Last touch",
    "linear": "Linear",
    "time_decay": "Time decay (7-day half-life)",
    "position_based": "U-shaped (40/40/20)",
    "markov": "Markov removal effect",
    "shapley": "Shapley on conversion rates",
    "data_driven": "Popularity split (earlier reports)",
}
# What each model assumes, in one line (stored with every report, shown beside it).
MODEL_ASSUMPTIONS = {
    "first_touch": "All credit to the first touchpoint in the lookback window.",
    "last_touch": "All credit to the last touchpoint before the conversion.",
    "linear": "Every touchpoint in the lookback window counts the same.",
    "time_decay": "A touchpoint counts half as much for every 7 days before the conversion.",
    "position_based": "40% to the first and to the last touchpoint, 20% shared by those between.",
    "markov": "Journeys, converting or not, are first-order Markov chains of channels; a"
    " channel earns in proportion to the conversions the chain loses without it.",
    "shapley": "A channel set's conversion rate (non-converting journeys included) is what"
    " its channels earn together; each set's conversions are split by Shapley values.",
    "data_driven": "Each conversion split among its channels by how many conversions each"
    " appeared in; journeys that did not convert were ignored.",
}


def shown_models(stored: Mapping[str, Any]) -> list[str]:
    """The models a stored report holds, in display order (``data_driven`` in older ones)."""
    return [m for m in (*MODELS, *OLD_MODELS) if m in stored]


@dataclass(frozen=True)
class Event:
    event_id: int
    project_id: int
    user_identifier: str
    event_type: str
    channel: str | None
    value: float | None
    occurred_at: datetime


@dataclass(frozen=True)
class Touchpoint:
    conversion_id: int
    project_id: int
    conversion_at: datetime
    conversion_value: float
    touchpoint_id: int
    touchpoint_at: datetime
    channel: str
    position: int  # 1-based
    touchpoint_count: int

    @property
    def hours_before(self) -> float:
        return (self.conversion_at - self.touchpoint_at).total_seconds() / 3600.0


@dataclass(frozen=True)
class Credit:
    conversion_id: int
    touchpoint_id: int
    model: str
    channel: str
    weight: float
    attributed_value: float


def touchpoints(
    events: Iterable[Event],
    *,
    conversion_types: Sequence[str] = DEFAULT_CONVERSION_TYPES,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
) -> list[Touchpoint]:
    """Every conversion's touchpoints within its lookback window."""
    by_user: dict[tuple[int, str], list[Event]] = defaultdict(list)
    for e in events:
        by_user[(e.project_id, e.user_identifier)].append(e)
    window = timedelta(days=lookback_days)
    out: list[Touchpoint] = []
    for user_events in by_user.values():
        user_events.sort(key=lambda e: (e.occurred_at, e.event_id))
        others = [e for e in user_events if e.event_type not in conversion_types]
        for conv in (e for e in user_events if e.event_type in conversion_types):
            tps = [
                e for e in others if conv.occurred_at - window <= e.occurred_at <= conv.occurred_at
            ]
            value = 1.0 if conv.value is None else float(conv.value)
            out.extend(
                Touchpoint(
                    conv.event_id,
                    conv.project_id,
                    conv.occurred_at,
                    value,
                    t.event_id,
                    t.occurred_at,
                    t.channel or "direct",
                    i + 1,
                    len(tps),
                )
                for i, t in enumerate(tps)
            )
    return out


def grouped_journeys(
    events: Iterable[Event],
    lo: datetime,
    hi: datetime,
    *,
    conversion_types: Sequence[str] = DEFAULT_CONVERSION_TYPES,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
) -> dict[tuple[str, ...], tuple[int, int, float]]:
    """Channel sequence -> (conversions, non-conversions, value) of the journeys that
    ``dra.attribution.journeys`` computes in SQL, for conversions in ``[lo, hi)``."""
    window = timedelta(days=lookback_days)
    by_user: dict[tuple[int, str], list[Event]] = defaultdict(list)
    for e in events:
        by_user[(e.project_id, e.user_identifier)].append(e)
    out: dict[tuple[str, ...], tuple[int, int, float]] = {}

    def add(path: list[Event], conversions: int, value: float) -> None:
        key = tuple(e.channel or "direct" for e in path)
        c, n, v = out.get(key, (0, 0, 0.0))
        out[key] = (c + conversions, n + 1 - conversions, v + value)

    for user_events in by_user.values():
        user_events.sort(key=lambda e: (e.occurred_at, e.event_id))
        touches = [e for e in user_events if e.event_type not in conversion_types]
        conversions = [
            e for e in user_events if e.event_type in conversion_types and lo <= e.occurred_at < hi
        ]
        for conv in conversions:
            path = [
                t for t in touches if conv.occurred_at - window <= t.occurred_at <= conv.occurred_at
            ]
            if path:
                add(path, 1, 1.0 if conv.value is None else float(conv.value))
        in_window = [t for t in touches if lo <= t.occurred_at < hi]
        if in_window and not conversions:
            last = in_window[-1].occurred_at
            add([t for t in touches if last - window <= t.occurred_at <= last], 0, 0.0)
    return out


def weights(model: str, conversion: Sequence[Touchpoint]) -> list[float]:
    """The weights of one conversion's touchpoints (in position order) under ``model``."""
    n = len(conversion)
    if model == "first_touch":
        return [1.0 if t.position == 1 else 0.0 for t in conversion]
    if model == "last_touch":
        return [1.0 if t.position == n else 0.0 for t in conversion]
    if model == "linear":
        return [1.0 / n] * n
    if model == "time_decay":
        raw = [2.0 ** (-t.hours_before / HALF_LIFE_HOURS) for t in conversion]
        total = sum(raw)
        return [r / total for r in raw]
    if model == "position_based":
        if n == 1:
            return [1.0]
        if n == 2:
            return [0.5, 0.5]
        return [0.4 if t.position in (1, n) else 0.2 / (n - 2) for t in conversion]
    raise ValueError(f"unknown model {model!r}")


def by_conversion(tps: Iterable[Touchpoint]) -> dict[int, list[Touchpoint]]:
    groups: dict[int, list[Touchpoint]] = defaultdict(list)
    for t in tps:
        groups[t.conversion_id].append(t)
    for group in groups.values():
        group.sort(key=lambda t: t.position)
    return groups


def credits(tps: Iterable[Touchpoint], models: Sequence[str] = SQL_MODELS) -> list[Credit]:
    """One credit per conversion x touchpoint x model."""
    out: list[Credit] = []
    groups = by_conversion(tps)
    for model in models:
        for group in groups.values():
            for t, w in zip(group, weights(model, group), strict=True):
                out.append(
                    Credit(
                        t.conversion_id,
                        t.touchpoint_id,
                        model,
                        t.channel,
                        w,
                        w * t.conversion_value,
                    )
                )
    return out


def channel_totals(credit_rows: Iterable[Credit]) -> dict[str, dict[str, dict[str, float]]]:
    """model -> channel -> {credits, value}."""
    totals: dict[str, dict[str, dict[str, float]]] = defaultdict(
        lambda: defaultdict(lambda: {"credits": 0.0, "value": 0.0})
    )
    for c in credit_rows:
        cell = totals[c.model][c.channel]
        cell["credits"] += c.weight
        cell["value"] += c.attributed_value
    return {m: dict(ch) for m, ch in totals.items()}
