"""Journeys grouped in SQL (dra.attribution.journeys) against the plain-Python reference,
on hand-made and hypothesis-drawn events in the real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dra.attribution.events import load_events
from dra.attribution.journeys import Journey, grouped_journeys
from dra.attribution.reference import grouped_journeys as reference_journeys
from dra.errors import DraError
from dra.models import AttributionEvent
from tests.support.factories import create_project, create_user

BASE = datetime(2026, 9, 1, tzinfo=UTC)
DAY = 86400


def _insert(session, project_id: int, events: list[tuple]) -> None:
    session.add_all(
        AttributionEvent(
            project_id=project_id,
            user_identifier=user,
            event_type=kind,
            channel=channel,
            value=value,
            occurred_at=BASE + timedelta(seconds=offset),
        )
        for user, kind, channel, value, offset in events
    )
    session.flush()


def _as_dict(journeys: list[Journey]) -> dict[tuple[str, ...], tuple[int, int, float]]:
    return {j.channels: (j.conversions, j.non_conversions, j.value) for j in journeys}


def test_converting_and_non_converting_journeys_by_hand(database):
    lo, hi = BASE + timedelta(days=10), BASE + timedelta(days=40)
    events = [
        # a: converts at day 31: day 0 is outside its 30 days, day 1 exactly on the edge
        ("a", "page_view", "paid", None, 0),
        ("a", "page_view", "organic", None, 1 * DAY),
        ("a", "page_view", "email", None, 10 * DAY),
        ("a", "click", "email", None, 20 * DAY),
        ("a", "purchase", None, Decimal("40"), 31 * DAY),
        # b: converts twice, with and without a value; the second shares the touches
        ("b", "page_view", "social", None, 12 * DAY),
        ("b", "conversion", None, None, 13 * DAY),
        ("b", "click", "email", None, 13 * DAY),  # at the conversion's instant: counts
        ("b", "page_view", None, None, 14 * DAY),
        ("b", "purchase", None, Decimal("5"), 15 * DAY),
        # c: never converts; the last touch in the window is day 39, so day 5 is out
        ("c", "page_view", "paid", None, 5 * DAY),
        ("c", "page_view", "email", None, 20 * DAY),
        ("c", "page_view", "paid", None, 39 * DAY),
        ("c", "page_view", "social", None, 41 * DAY),  # after the window
        # d: touches only before the window: no journey; e: converted before the window
        ("d", "page_view", "paid", None, 2 * DAY),
        ("e", "purchase", None, None, 3 * DAY),
        ("e", "page_view", "organic", None, 12 * DAY),
        # f: converts without any touch (unattributed); g: a signup counts as a touch,
        # same-instant touches in the order they were recorded (event id)
        ("f", "purchase", None, None, 20 * DAY),
        ("g", "signup", "paid", None, 11 * DAY),
        ("g", "page_view", "email", None, 11 * DAY),
    ]
    with database.system_session() as s:
        owner = create_user(s)
        project_id, other = create_project(s, owner), create_project(s, owner)
        _insert(s, project_id, events)
        _insert(s, other, [("a", "page_view", "referral", None, 30 * DAY)])
        got = _as_dict(grouped_journeys(s, project_id, lo, hi))
        expected = {
            ("organic", "email", "email"): (1, 0, 40.0),
            ("social", "email"): (1, 0, 1.0),
            ("social", "email", "direct"): (1, 0, 5.0),
            ("email", "paid"): (0, 1, 0.0),
            ("organic",): (0, 1, 0.0),
            ("paid", "email"): (0, 1, 0.0),
        }
        assert got == expected
        assert reference_journeys(load_events(s, project_id), lo, hi) == expected
        # per-report options: a 7-day lookback, only purchases convert
        short = _as_dict(
            grouped_journeys(s, project_id, lo, hi, lookback_days=7, conversion_types=["purchase"])
        )
        assert short == {
            # a: no touch in the 7 days before day 31 (unattributed); b's "conversion"
            # event is a touch now (no channel: direct)
            ("social", "direct", "email", "direct"): (1, 0, 5.0),
            ("paid",): (0, 1, 0.0),  # c: only day 39 is within 7 days of itself
            ("organic",): (0, 1, 0.0),
            ("paid", "email"): (0, 1, 0.0),
        }


def test_bad_options_name_their_field(database):
    with database.system_session() as s:
        for options, field, message in [
            ({"lookback_days": 0}, "lookback_days", "between 1 and 365 days"),
            ({"lookback_days": "30"}, "lookback_days", "a whole number of days"),
            ({"conversion_types": []}, "conversion_types", "at least one conversion event type"),
            ({"conversion_types": "purchase"}, "conversion_types", "at least one"),
        ]:
            with pytest.raises(DraError) as err:
                grouped_journeys(s, 1, BASE, BASE + timedelta(days=1), **options)
            assert err.value.field == field and message in err.value.message


event = st.tuples(
    st.sampled_from(["u1", "u2", "u3"]),
    st.sampled_from(["page_view", "page_view", "click", "signup", "purchase", "conversion"]),
    st.sampled_from(["paid", "social", "email", "organic", "direct", None]),
    st.one_of(st.none(), st.decimals(min_value=0, max_value=5000, places=4)),
    # half days: same-instant ties and touches exactly ``lookback`` days before are common
    st.integers(min_value=0, max_value=60).map(lambda half_days: half_days * DAY // 2),
)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(event, min_size=1, max_size=40),
    st.integers(0, 20),
    st.integers(1, 30),
    st.integers(1, 20),
    st.sampled_from([("conversion", "purchase"), ("purchase",), ("signup", "purchase")]),
)
def test_sql_equals_the_reference(database, events, start_day, days, lookback, types):
    lo = BASE + timedelta(days=start_day)
    hi = lo + timedelta(days=days)
    with database.system_session() as s:
        owner = create_user(s)
        project_id = create_project(s, owner)
        _insert(s, project_id, events)
        got = grouped_journeys(
            s, project_id, lo, hi, lookback_days=lookback, conversion_types=types
        )
        expected = reference_journeys(
            load_events(s, project_id), lo, hi, lookback_days=lookback, conversion_types=types
        )
    assert [j.channels for j in got] == sorted(expected)  # one row per distinct sequence
    for j in got:
        conversions, non_conversions, value = expected[j.channels]
        assert (j.conversions, j.non_conversions) == (conversions, non_conversions)
        assert j.value == pytest.approx(value, abs=1e-9)
