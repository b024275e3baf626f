"""The dbt marts equal the plain-Python reference on random event sets (hypothesis).

dbt builds are slow, so hypothesis draws the event sets first (one project each, all
in one database), then one ``dbt build`` (models, data tests and unit tests) runs and
every project's credits are compared with the reference to 1e-9.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from dra.attribution.dbt_env import run_dbt
from dra.attribution.events import load_events
from dra.attribution.reference import SQL_MODELS, credits, touchpoints
from dra.models import AttributionEvent
from tests.support.factories import create_project, create_user

pytestmark = pytest.mark.slow

BASE = datetime(2026, 9, 1, tzinfo=UTC)
CHANNELS = ["paid", "social", "email", "organic", "referral", "direct", "other", None]

event = st.fixed_dictionaries(
    {
        "user": st.sampled_from(["u1", "u2", "u3"]),
        "type": st.sampled_from(
            ["page_view", "page_view", "click", "signup", "purchase", "conversion"]
        ),
        "channel": st.sampled_from(CHANNELS),
        "value": st.one_of(st.none(), st.decimals(min_value=0, max_value=5000, places=4)),
        # up to ~50 days, to the second: some touchpoints fall outside the 30-day window
        "offset": st.integers(min_value=0, max_value=50 * 86400),
    }
)
event_sets = st.lists(event, min_size=1, max_size=40)

# Hand-picked edge cases: exactly 30 days before, same-second ties, no touchpoints,
# a conversion worth 0, two conversions sharing touchpoints.
EDGE_CASES = [
    [
        {"user": "a", "type": "page_view", "channel": "paid", "value": None, "offset": 0},
        {
            "user": "a",
            "type": "purchase",
            "channel": None,
            "value": Decimal("10"),
            "offset": 30 * 86400,
        },
        {"user": "a", "type": "page_view", "channel": "email", "value": None, "offset": 30 * 86400},
        {"user": "a", "type": "click", "channel": "social", "value": None, "offset": 30 * 86400},
        {
            "user": "a",
            "type": "conversion",
            "channel": None,
            "value": Decimal("0"),
            "offset": 31 * 86400,
        },
        {"user": "b", "type": "purchase", "channel": None, "value": None, "offset": 5},
    ],
]


def _insert(session, project_id: int, events: list[dict]) -> None:
    session.add_all(
        AttributionEvent(
            project_id=project_id,
            user_identifier=e["user"],
            event_type=e["type"],
            channel=e["channel"],
            value=e["value"],
            occurred_at=BASE + timedelta(seconds=e["offset"]),
        )
        for e in events
    )
    session.flush()


def test_dbt_credits_equal_the_reference(database, tmp_path):
    drawn: list[list[dict]] = []

    @settings(max_examples=15, database=None, deadline=None, phases=[Phase.generate])
    @given(event_sets)
    def draw(events):
        drawn.append(events)

    draw()
    sets = EDGE_CASES + drawn
    with database.system_session() as s:
        owner = create_user(s)
        projects = []
        for events in sets:
            project_id = create_project(s, owner)
            _insert(s, project_id, events)
            projects.append(project_id)

    run_dbt(database.url, ["build"], target_path=tmp_path / "target")

    with database.system_session() as s:
        for project_id, events in zip(projects, sets, strict=True):
            expected = {
                (c.conversion_id, c.touchpoint_id, c.model): c
                for c in credits(touchpoints(load_events(s, project_id)), SQL_MODELS)
            }
            rows = s.execute(
                text(
                    "SELECT conversion_id, touchpoint_id, model, channel, weight, attributed_value"
                    " FROM marts.fct_attribution_credits WHERE project_id = :p"
                ),
                {"p": project_id},
            ).all()
            got = {(r.conversion_id, r.touchpoint_id, r.model): r for r in rows}
            assert got.keys() == expected.keys(), f"different credit rows for {events}"
            for key, want in expected.items():
                row = got[key]
                assert row.channel == want.channel
                assert row.weight == pytest.approx(want.weight, abs=1e-9, rel=0), (key, events)
                assert row.attributed_value == pytest.approx(
                    want.attributed_value, abs=1e-9, rel=1e-12
                ), (key, events)
    # The edge case really covers what it claims: the boundary touchpoint counts.
    with database.system_session() as s:
        edge = (
            s.execute(
                text(
                    "SELECT touchpoint_count FROM intermediate.int_touchpoints"
                    " WHERE project_id = :p AND position = 1 ORDER BY conversion_at"
                ),
                {"p": projects[0]},
            )
            .scalars()
            .all()
        )
    assert edge == [3, 2]  # day 0 + two same-second events; day 31: those two only
