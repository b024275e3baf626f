"""GA4 sessions in the attribution report: GA4 sources of two projects ingested from the
fake by the ingestion asset, then the report pipeline (dbt build + report asset). The
report's section holds its own project's sessions, users, key events and revenue for its
dates (checked against the fake's rows), each GA4 channel group on its attribution
channel, beside the tracked events; on the page and in the API too. A project without
GA4 gets no section."""

# ruff: noqa: F811 - fixtures imported from other test modules are parameters here
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from dra.ads.platforms import AdAccount
from dra.attribution.dbt_env import dbt_connection_env
from dra.attribution.ga4 import GA4_MODEL, ga4_sessions
from dra.ingestion.sources.ads import account_today
from tests.integration.test_ads_google_ingestion import (  # noqa: F401 - fixtures
    _ingest,
    ads_settings,
    fakes,
)
from tests.integration.test_ads_spend_model import _connect
from tests.integration.test_attribution_spend import _report
from tests.support.attribution import tracked_event
from tests.support.factories import create_project
from tests.support.fake_ga4 import METRIC_TYPES
from tests.support.google_fakes import google_fakes, oauth  # noqa: F401 - fixtures

pytestmark = pytest.mark.slow

# GA4 default channel group -> the attribution channel it sits beside
MAPPING = {
    "Paid Search": "paid",
    "Paid Social": "paid",
    "Display": "paid",
    "Organic Search": "organic",
    "Organic Social": "social",
    "Email": "email",
    "Referral": "referral",
    "Direct": "direct",
    "Unassigned": "other",
}
TRAFFIC = [(group, "src", "medium", "(not set)") for group in MAPPING]
METRIC_NAMES = ("sessions", "users", "key_events", "revenue")
PROPERTY = AdAccount(id="123456", name="Coffee shop web", time_zone="Europe/Berlin")


def _expected(fake, start, end) -> dict[str, dict]:
    """Channel group -> sessions, users, key events and revenue (decimals) the fake serves
    for [start, end]."""
    totals: dict[str, dict] = defaultdict(lambda: defaultdict(Decimal))
    for row in fake.expected_rows(
        start, end, ["date", "sessionDefaultChannelGroup"], [*METRIC_TYPES]
    ):
        figures = totals[row["sessionDefaultChannelGroup"]]
        figures["sessions"] += int(row["sessions"])
        figures["users"] += int(row["totalUsers"])
        figures["key_events"] += Decimal(row["keyEvents"])
        figures["revenue"] += Decimal(row["totalRevenue"])
    return totals


def _as_shown(figures: dict) -> dict:
    """Expected figures as the report holds them (exact: summed in decimals)."""
    return {
        "sessions": int(figures["sessions"]),
        "users": int(figures["users"]),
        "key_events": float(figures["key_events"]),
        "revenue": [{"currency": "EUR", "amount": float(figures["revenue"])}],
    }


@dataclass
class Loaded:
    """Three projects of one owner and the report's days (the last one two days before
    the account's today): ``mine`` and ``bare`` hold the same tracked events, ``mine``
    and ``other`` a source of the platform on the same account; ``expected`` and
    ``others`` the fake's figures for the report's days when each was loaded."""

    owner: Any
    start: date
    day: date
    noon: datetime
    mine: int
    other: int
    bare: int
    expected: Any
    others: Any


@pytest.fixture
def source_in_two_projects(database, ads_settings, make_user, oauth, materialize, monkeypatch):
    """``load(key, name, account, fake, expected)`` -> :class:`Loaded`: a ``key`` source
    of ``mine`` ingested from ``fake`` (its history: days before and after the report's
    too), then one of ``other`` loaded once the report's last day's numbers changed;
    ``expected(fake, start, end)`` gives the figures. dbt reaches the test database."""
    for env, value in dbt_connection_env(database.url).items():
        monkeypatch.setenv(env, value)

    def load(key: str, name: str, account: AdAccount, fake, expected) -> Loaded:
        owner = make_user()
        day = account_today(account) - timedelta(days=2)
        start, noon = day - timedelta(1), datetime.combine(day, time(12), UTC)
        with database.system_session() as s:
            project_id, other, bare = (create_project(s, owner) for _ in range(3))
            for pid in (project_id, bare):
                s.add_all(
                    [
                        tracked_event(pid, "a", "page_view", noon, "paid"),
                        tracked_event(pid, "a", "click", noon + timedelta(minutes=1), "paid"),
                        tracked_event(pid, "a", "purchase", noon + timedelta(minutes=5), None, 40),
                        tracked_event(pid, "b", "page_view", noon, "paid"),
                        tracked_event(pid, "b", "conversion", noon + timedelta(minutes=9)),
                        tracked_event(pid, "c", "page_view", noon, "email"),
                        tracked_event(pid, "c", "purchase", noon + timedelta(minutes=1), None, 10),
                        tracked_event(pid, "d", "page_view", noon, "organic"),
                        tracked_event(pid, "e", "page_view", noon),  # no channel: direct
                        # before the report's range: not counted
                        tracked_event(pid, "d", "page_view", noon - timedelta(days=3), "organic"),
                    ]
                )
        _ingest(materialize, _connect(database, ads_settings, owner, oauth, project_id, key, name))
        figures = expected(fake, start, day)
        # another project's source on the same account, loaded once its numbers changed
        fake.numbers.revise(day, 3.0)
        _ingest(materialize, _connect(database, ads_settings, owner, oauth, other, key, name))
        others = expected(fake, start, day)
        return Loaded(owner, start, day, noon, project_id, other, bare, figures, others)

    return load


def api_section(client, project_id: int, report_id: int, key: str) -> tuple[Any, dict]:
    """The report's ``key`` section as the API answers it, and the OpenAPI document's
    schemas (whose report result declares ``key``)."""
    answer = client.get(f"/api/v1/projects/{project_id}/attribution/reports/{report_id}")
    assert answer.status_code == 200
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert key in schemas["AttributionReportResult"]["properties"]
    return answer.get_json()["report"]["result"][key], schemas


def assert_no_section(database, settings, client, loaded: Loaded, key: str, title: str):
    """The same events without the platform's source (project ``bare``): the report's
    ``key`` is None and its page has no section ``title``."""
    plain = _report(database, settings, loaded.bare, loaded.owner.id, loaded.day)
    assert plain.result[key] is None
    html = client.get(f"/projects/{loaded.bare}/attribution/reports/{plain.id}").get_data(True)
    assert title not in html and "Credits per channel" in html


def test_report_puts_ga4_sessions_by_channel_beside_tracked_events(
    database, settings, login, google_fakes, source_in_two_projects
):
    fake = google_fakes["google_analytics"]
    fake.traffic = TRAFFIC  # every kind of channel group, one row each per day
    loaded = source_in_two_projects("google_analytics", "GA4", PROPERTY, fake, _expected)
    owner, start, day, noon = loaded.owner, loaded.start, loaded.day, loaded.noon
    project_id, other = loaded.mine, loaded.other
    expected, others = loaded.expected, loaded.others
    assert others["Direct"]["sessions"] != expected["Direct"]["sessions"]

    report = _report(database, settings, project_id, owner.id, day)
    ga4 = report.result["ga4"]

    # each channel group on its attribution channel, with the fake's numbers for the range
    groups = {g["channel_group"]: g for g in ga4["channel_groups"]}
    assert {group: g["channel"] for group, g in groups.items()} == MAPPING
    for group, g in groups.items():
        assert {k: v for k, v in g.items() if k not in ("channel_group", "channel")} == (
            _as_shown(expected[group])
        ), group
    sessions = [g["sessions"] for g in ga4["channel_groups"]]
    assert sessions == sorted(sessions, reverse=True)

    # per attribution channel: GA4's groups added up, beside the tracked touches
    channels = {c["channel"]: c for c in ga4["channels"]}
    assert list(channels) == sorted(set(MAPPING.values()))
    paid = {k: Decimal(0) for k in ("sessions", "users", "key_events", "revenue")}
    for group in ("Paid Search", "Paid Social", "Display"):
        for k in paid:
            paid[k] += expected[group][k]
    assert {k: v for k, v in channels["paid"].items() if k in METRIC_NAMES} == _as_shown(paid)
    assert channels["direct"]["sessions"] == expected["Direct"]["sessions"]
    assert {c: (row["tracked_events"], row["visitors"]) for c, row in channels.items()} == {
        "paid": (3, 2),
        "email": (1, 1),
        "organic": (1, 1),
        "direct": (1, 1),
        "social": (0, 0),
        "referral": (0, 0),
        "other": (0, 0),
    }

    # the other project's rows never show here; it has its own
    with database.system_session() as s:
        theirs = ga4_sessions(
            s,
            other,
            start,
            day,
            events_between=(datetime.combine(start, time(), UTC), noon + timedelta(days=1)),
            conversion_types=["purchase", "conversion"],
        )
    assert {g["channel_group"]: g["sessions"] for g in theirs["channel_groups"]} == {
        group: int(f["sessions"]) for group, f in others.items()
    }

    # the page: the section with the figures, formatted
    client = login(owner)
    html = client.get(f"/projects/{project_id}/attribution/reports/{report.id}").get_data(True)
    assert "Google Analytics sessions" in html and "By GA4 default channel group" in html
    revenue = _as_shown(paid)["revenue"][0]["amount"]
    assert f"€{revenue:,.2f}" in html
    assert f'<td class="sessions">{int(paid["sessions"]):,}</td>' in html
    assert '<tr data-group="Unassigned"><td>Unassigned</td><td class="channel">other</td>' in html

    # the API: the same section, and the document declares it
    answered, schemas = api_section(client, project_id, report.id, "ga4")
    assert answered == ga4
    assert set(schemas["Ga4ChannelOut"]["properties"]) >= {
        "channel",
        "tracked_events",
        "visitors",
        *METRIC_NAMES,
    }

    # the same events without a GA4 source: no section
    assert_no_section(database, settings, client, loaded, "ga4", "Google Analytics sessions")

    # before the mart is built: no section either (dropped in a transaction rolled back)
    with database.system_engine.connect() as conn:
        conn.execute(text(f"DROP TABLE marts.{GA4_MODEL}"))
        kwargs = {"events_between": (noon, noon), "conversion_types": ["purchase"]}
        assert ga4_sessions(Session(bind=conn), project_id, start, day, **kwargs) is None
        conn.rollback()
