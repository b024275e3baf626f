"""The plain-Python reference models and the data-driven (Shapley) model."""

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from dra.attribution.reference import (
    SQL_MODELS,
    Event,
    by_conversion,
    channel_totals,
    credits,
    touchpoints,
    weights,
)
from dra.attribution.shapley import data_driven_credits, data_driven_totals, shapley_values

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
    rows = credits(touchpoints(events), (*SQL_MODELS, "data_driven"))
    sums = defaultdict(float)
    values = defaultdict(float)
    for c in rows:
        sums[(c.conversion_id, c.model)] += c.weight
        values[(c.conversion_id, c.model)] += c.attributed_value
    assert all(s == pytest.approx(1.0) for s in sums.values())
    assert {k: round(v, 9) for k, v in values.items() if k[0] == 3} == {
        (3, m): 80.0 for m in (*SQL_MODELS, "data_driven")
    }
    assert values[(5, "linear")] == pytest.approx(1.0)  # no value: counts 1


def test_shapley_exact_on_a_known_game():
    # worth(S) = conversions whose channels lie in S: {paid}: 2, {paid, email}: 2, {email}: 1
    paths = {frozenset({"paid"}): 2.0, frozenset({"paid", "email"}): 2.0, frozenset({"email"}): 1.0}
    phi = shapley_values(paths)
    assert phi == pytest.approx({"paid": 3.0, "email": 2.0})  # each shared pair splits evenly
    assert sum(phi.values()) == pytest.approx(5.0)  # efficiency


def test_shapley_sampling_above_six_channels_is_close_and_reproducible():
    channels = [f"c{i}" for i in range(8)]
    paths = {frozenset(channels[i : i + 3]): float(i + 1) for i in range(6)}
    exact = shapley_values(paths, exact_limit=8)
    sampled = shapley_values(paths)
    assert sampled == shapley_values(paths)  # seeded
    assert sum(sampled.values()) == pytest.approx(sum(paths.values()))
    for c in channels:
        assert sampled[c] == pytest.approx(exact[c], abs=0.25)


def test_grouped_totals_equal_per_touchpoint_credits():
    events = []
    channels = ["paid", "email", "social", "organic", "referral", "direct", "other"]
    n = 0
    for user in range(40):
        for k in range(user % 5 + 1):
            n += 1
            events.append(ev(n, f"u{user}", k, channel=channels[(user * 3 + k) % 7]))
        n += 1
        events.append(ev(n, f"u{user}", 10, "purchase", value=float(user)))
    groups = by_conversion(touchpoints(events))
    expected = channel_totals(data_driven_credits(groups))["data_driven"]
    paths = defaultdict(lambda: [0, 0.0])
    for group in groups.values():
        cell = paths[frozenset(t.channel for t in group)]
        cell[0] += 1
        cell[1] += group[0].conversion_value
    got = data_driven_totals({k: (v[0], v[1]) for k, v in paths.items()})
    assert got.keys() == expected.keys()
    for channel, cell in expected.items():
        assert got[channel]["credits"] == pytest.approx(cell["credits"], abs=1e-9)
        assert got[channel]["value"] == pytest.approx(cell["value"], abs=1e-9)
