"""The plain-Python reference of the rule-based models."""

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from dra.attribution.reference import (
    SQL_MODELS,
    Event,
    by_conversion,
    credits,
    touchpoints,
    weights,
)

T = datetime(2026, 10, 1, tzinfo=UTC)


def ev(i, user, hours, kind="page_view", channel=None, value=None, project=1):
    return Event(i, project, user, kind, channel, value, T + timedelta(hours=hours))


def test_touchpoints_window_and_order():
    events = [
        ev(1, "a", 0, channel="paid"),
        ev(2, "a", 24 * 31, channel="email"),
        ev(3, "a", 24 * 31 + 5, channel="social"),
        ev(4, "a", 24 * 32, "purchase", value=50.0),
        ev(5, "a", 24 * 33, channel="organic"),  # after the conversion
        ev(6, "b", 24 * 32, channel="paid", project=2),
    ]  # another project
    tps = touchpoints(events)
    assert [(t.touchpoint_id, t.position, t.touchpoint_count) for t in tps] == [
        (2, 1, 2),
        (3, 2, 2),
    ]  # event 1 is 32 days before: outside the 30-day window
    assert tps[0].conversion_value == 50.0 and tps[1].hours_before == pytest.approx(19.0)
    assert touchpoints([ev(1, "a", 0, "conversion")]) == []


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("first_touch", [1, 0, 0, 0]),
        ("last_touch", [0, 0, 0, 1]),
        ("linear", [0.25] * 4),
        ("position_based", [0.4, 0.1, 0.1, 0.4]),
        # 2^(-h/168) for h = 336, 168, 168, 0: 1/4, 1/2, 1/2, 1 -> / 2.25
        ("time_decay", [1 / 9, 2 / 9, 2 / 9, 4 / 9]),
    ],
)
def test_weights(model, expected):
    events = [
        ev(1, "a", 0, channel="paid"),
        ev(2, "a", 168, channel="email"),
        ev(3, "a", 168, channel="social"),
        ev(4, "a", 336, channel="direct"),
        ev(5, "a", 336, "purchase"),
    ]
    group = by_conversion(touchpoints(events))[5]
    assert weights(model, group) == pytest.approx(expected, abs=1e-12)


def test_position_based_small_paths():
    one = by_conversion(touchpoints([ev(1, "a", 0, channel="paid"), ev(2, "a", 1, "purchase")]))
    two = by_conversion(
        touchpoints([ev(1, "a", 0, channel="paid"), ev(2, "a", 1), ev(3, "a", 2, "purchase")])
    )
    assert weights("position_based", one[2]) == [1.0]
    assert weights("position_based", two[3]) == [0.5, 0.5]


def test_credits_sum_to_one_and_value():
    events = [
        ev(1, "a", 0, channel="paid"),
        ev(2, "a", 5, channel="email"),
        ev(3, "a", 6, "purchase", value=80.0),
        ev(4, "b", 0, channel="social"),
        ev(5, "b", 1, "conversion"),
    ]
    rows = credits(touchpoints(events), SQL_MODELS)
    sums = defaultdict(float)
    values = defaultdict(float)
    for c in rows:
        sums[(c.conversion_id, c.model)] += c.weight
        values[(c.conversion_id, c.model)] += c.attributed_value
    assert all(s == pytest.approx(1.0) for s in sums.values())
    assert {k: round(v, 9) for k, v in values.items() if k[0] == 3} == {
        (3, m): 80.0 for m in SQL_MODELS
    }
    assert values[(5, "linear")] == pytest.approx(1.0)  # no value: counts 1
