"""Spend in the attribution report: a Meta Ads source ingested from its fake, then the
report pipeline (dbt build + report asset); cost per conversion and ROAS per model
checked by hand, on the page too; a project without spend shows no spend section."""

# ruff: noqa: F811 - fixtures imported from tests/integration/test_ads_meta.py are parameters
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from dra.ads.platforms import OAuthToken, platform
from dra.attribution.dbt_env import dbt_connection_env
from dra.attribution.reports import ReportRequest, request_report
from dra.attribution.spend import SPEND_MODEL, ad_spend, ratio
from dra.ingestion.sources.ads import account_today
from dra.models import AttributionReport, PipelineRequest
from dra.sources.service import create_ad_source
from tests.integration.test_ads_meta import (  # noqa: F401 - fixtures
    ACCOUNT,
    _ingest,
    ads_env,
    ads_settings,
    meta,
    meta_oauth,
)
from tests.support.attribution import produce_report, tracked_event
from tests.support.factories import create_project

pytestmark = pytest.mark.slow
MODELS = ("first_touch", "last_touch", "linear", "time_decay", "position_based")


def _report(database, settings, project_id: int, owner_id: int, day) -> AttributionReport:
    with database.system_session() as s:
        report = request_report(
            s, project_id, owner_id, ReportRequest("Spend", "linear", day - timedelta(1), day)
        )
        request_id = s.scalar(
            select(PipelineRequest.id).where(PipelineRequest.target_id == report.id)
        )
        report_id = report.id
    produce_report(database, settings, request_id)
    with database.system_session() as s:
        report = s.get(AttributionReport, report_id)
        s.expunge(report)
    assert report.status == "succeeded", report.error
    return report


def test_report_shows_cost_per_conversion_and_roas_per_model(
    database, settings, ads_settings, make_user, login, meta, meta_oauth, materialize, monkeypatch
):
    for name, value in dbt_connection_env(database.url).items():
        monkeypatch.setenv(name, value)
    owner = make_user()
    day = account_today(ACCOUNT) - timedelta(days=2)
    noon = datetime.combine(day, time(12), UTC)
    # Meta: two campaigns that day (12.50 spent), one the day before the report's range
    meta.set_day("111", day, "7", spend="10.00", impressions=100, clicks=4, purchases=1)
    meta.set_day("111", day, "8", spend="2.50", impressions=50, clicks=1, value="30.5")
    meta.set_day("111", day - timedelta(2), "7", spend="99", impressions=1, clicks=1)
    with database.system_session() as s:
        project_id = create_project(s, owner)
        bare = create_project(s, owner)
        source = create_ad_source(
            s,
            database,
            project_id=project_id,
            user_id=owner.id,
            name="Meta FR",
            platform=platform("meta_ads", ads_settings.ads),
            token=OAuthToken(meta_oauth.issue()["access_token"]),
            account=ACCOUNT,
            settings=ads_settings,
        )
        source_id = source.id
        # two paid journeys converting (40 and no value: 1) and one email journey
        for pid in (project_id, bare):
            s.add_all(
                [
                    tracked_event(pid, "a", "page_view", noon, "paid"),
                    tracked_event(pid, "a", "purchase", noon + timedelta(minutes=5), None, 40),
                    tracked_event(pid, "b", "page_view", noon, "paid"),
                    tracked_event(pid, "b", "conversion", noon + timedelta(minutes=9)),
                    tracked_event(pid, "c", "page_view", noon, "email"),
                    tracked_event(pid, "c", "purchase", noon + timedelta(minutes=1), None, 10),
                ]
            )
    _ingest(materialize, source_id)

    report = _report(database, settings, project_id, owner.id, day)
    spend = report.result["spend"]
    assert [(c["channel"], c["currency"], c["spend"]) for c in spend["channels"]] == [
        ("paid", "EUR", 12.5)
    ]
    paid = spend["channels"][0]["models"]
    for model in MODELS:  # one-touch journeys: every model credits paid with 2 conversions
        assert paid[model]["credits"] == pytest.approx(2)
        assert paid[model]["cost_per_conversion"] == pytest.approx(6.25)  # 12.50 / 2
        assert paid[model]["roas"] == pytest.approx(41 / 12.5)  # (40 + 1) / 12.50 = 3.28
    assert set(paid) == {*MODELS, "markov", "shapley"}
    campaigns = {c["campaign_id"]: c for c in spend["campaigns"]}
    assert set(campaigns) == {"7", "8"}  # the day outside the range is not counted
    assert campaigns["7"]["spend"] == 10 and campaigns["7"]["conversions"] == 1
    assert campaigns["7"]["cost_per_conversion"] == 10 and campaigns["7"]["roas"] == 0
    assert campaigns["8"]["conversion_value"] == 30.5
    assert campaigns["8"]["cost_per_conversion"] is None  # no conversions: no ratio
    assert campaigns["8"]["roas"] == pytest.approx(30.5 / 2.5)  # 12.2
    assert campaigns["7"]["ad_channel"] == "paid_social"
    with database.system_session() as s:  # conversions in dollars: no ROAS against euros
        in_usd = ad_spend(s, project_id, day - timedelta(1), day, {"linear": {}}, "USD")
    assert in_usd["channels"][0]["models"]["linear"] == {
        "credits": 0.0,
        "value": 0.0,
        "cost_per_conversion": None,
        "roas": None,
    }

    with database.system_engine.connect() as conn:  # rolled back: 0.2 and 0.1 more spent
        for campaign, amount in [("9", "0.2"), ("10", "0.1")]:
            conn.execute(
                text(
                    f"INSERT INTO marts.{SPEND_MODEL} (project_id, source_id, platform, date,"
                    " account_id, campaign_id, platform_channel, ad_channel, channel,"
                    " spend_kind, currency, spend, impressions, clicks)"
                    " VALUES (:p, 0, 'meta_ads', :d, '111', :c, '', 'paid_social', 'paid',"
                    " 'cost', 'EUR', :amount, 1, 0)"
                ),
                {"p": project_id, "d": day, "c": campaign, "amount": amount},
            )
        more = ad_spend(Session(bind=conn), project_id, day - timedelta(1), day, {}, "EUR")
        assert more["channels"][0]["spend"] == 12.8  # added in decimals, not 12.7999...
        conn.rollback()

    page = login(owner).get(f"/projects/{project_id}/attribution/reports/{report.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Advertising spend" in html
    assert "€12.50" in html and "€6.25" in html and "3.28x" in html and "12.2x" in html

    # the same events without an ad source: no spend section
    plain = _report(database, settings, bare, owner.id, day)
    assert plain.result["spend"] is None
    html = login(owner).get(f"/projects/{bare}/attribution/reports/{plain.id}").get_data(True)
    assert "Advertising spend" not in html and "Credits per channel" in html


def test_a_ratio_without_a_divisor_is_none():
    assert ratio(10, 0) is None and ratio(None, 4) is None and ratio(10, 4) == 2.5
