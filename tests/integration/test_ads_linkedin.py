"""LinkedIn Ads over plain HTTP against a fake Marketing API, with an OAuth provider
that issues refresh tokens: an expired access token is renewed (and stored again),
a revoked refresh token marks the source "reconnect needed"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from assets.ingestion import data_sources_partitions, raw_source_tables
from dra.ads.platforms import AdAccount, OAuthToken, platform
from dra.ingestion.sources.ads import account_today
from dra.models import DataSource
from dra.security.crypto import Vault
from dra.settings import load_settings
from dra.sources.service import create_ad_source
from tests.support.factories import create_project
from tests.support.fake_linkedin import FakeLinkedIn
from tests.support.fake_oauth import FakeOAuthProvider

ACCOUNT = AdAccount("5074", "B2B", currency="USD", time_zone="UTC")


@pytest.fixture
def li_oauth():
    provider = FakeOAuthProvider(expires_in=-1).start()  # every token issued is already expired
    yield provider
    provider.stop()


@pytest.fixture
def linkedin(li_oauth):
    fake = FakeLinkedIn(li_oauth).start()
    fake.accounts = [{"id": 5074, "name": "B2B", "currency": "USD"}]
    yield fake
    fake.stop()


@pytest.fixture
def li_settings(settings, li_oauth, linkedin, monkeypatch):
    env = {
        **li_oauth.env("DRA_LINKEDIN"),
        "DRA_LINKEDIN_API_URL": linkedin.base_url,
        "DRA_ADS_RETRY_SECONDS": "0",
        "DRA_ADS_HISTORY_DAYS": "45",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    base = {"DRA_DATA_DIR": str(settings.data_dir), "DRA_DATABASE_URL": settings.database_url}
    return load_settings({"DRA_ENV": "test", **base, **env})


def _source(database, li_settings, owner, token: dict) -> tuple[int, int]:
    with database.system_session() as s:
        project_id = create_project(s, owner)
        source = create_ad_source(
            s,
            database,
            project_id=project_id,
            user_id=owner.id,
            name="LinkedIn",
            platform=platform("linkedin_ads", li_settings.ads),
            token=OAuthToken.from_dict(token),
            account=ACCOUNT,
            settings=li_settings,
        )
        return project_id, source.id


def _ingest(materialize, source_id: int) -> bool:
    return materialize(
        [raw_source_tables],
        partition_key=str(source_id),
        dynamic_partitions={data_sources_partitions.name: [source_id]},
        raise_on_error=False,
    ).success


def test_accounts_listed_over_pages(li_settings, li_oauth, linkedin, monkeypatch):
    monkeypatch.setattr("dra.ads.linkedin.PAGE_SIZE", 1)
    linkedin.accounts.append({"id": 6000, "name": "Another", "currency": "EUR"})
    plat = platform("linkedin_ads", li_settings.ads)
    accounts = plat.list_accounts(OAuthToken(li_oauth.issue()["access_token"]))
    assert [(a.id, a.currency, a.time_zone) for a in accounts] == [
        ("6000", "EUR", "UTC"),
        ("5074", "USD", "UTC"),
    ]


def test_expired_token_renewed_then_analytics_loaded(
    database, li_settings, li_oauth, linkedin, make_user, materialize, monkeypatch
):
    monkeypatch.setattr("dra.ads.linkedin.PAGE_SIZE", 1)  # campaign names over two pages
    today = account_today(ACCOUNT)
    for back, campaign in ((0, "11"), (1, "11"), (40, "12")):
        linkedin.set_day(
            "5074",
            campaign,
            today - timedelta(days=back),
            costInLocalCurrency="12.5",
            impressions=1000,
            clicks=20,
            externalWebsiteConversions=2,
            conversionValueInLocalCurrency="80",
            landingPageClicks=15,
        )
    linkedin.throttle = 1  # one 429 first
    owner = make_user()
    first = li_oauth.issue()
    project_id, source_id = _source(database, li_settings, owner, first)
    assert _ingest(materialize, source_id)
    with database.system_engine.connect() as conn:
        rows = conn.execute(
            text(
                f"select date, campaign_id, campaign_name, spend, conversions, currency "
                f"from raw_p{project_id}.linkedin_campaign_daily order by date"
            )
        ).all()
    assert [(r[1], r[2], str(r[3]), r[5]) for r in rows] == [
        ("12", "Campaign 12", "12.5", "USD"),
        ("11", "Campaign 11", "12.5", "USD"),
        ("11", "Campaign 11", "12.5", "USD"),
    ]
    # 45 days of history in windows of 30: two analytics calls (the 429 hit the first call)
    assert len([r for r in linkedin.requests if r.startswith("/rest/adAnalytics")]) == 2
    assert linkedin.throttle == 0
    refreshes = [t for t in li_oauth.token_requests if t["grant_type"] == "refresh_token"]
    assert [t["refresh_token"] for t in refreshes] == [first["refresh_token"]]
    with database.system_session() as s:
        source = s.get(DataSource, source_id)
        stored = Vault(li_settings.encryption_keys).decrypt_json(source.connection_encrypted)
        assert stored["token"]["access_token"] != first["access_token"]  # the renewed one
        assert stored["token"]["refresh_token"] == first["refresh_token"]


def test_revoked_refresh_token_needs_reconnect(
    database, li_settings, li_oauth, linkedin, make_user, materialize
):
    owner = make_user()
    token = li_oauth.issue()
    li_oauth.revoke_all()
    _project_id, source_id = _source(database, li_settings, owner, token)
    assert not _ingest(materialize, source_id)
    with database.system_session() as s:
        source = s.get(DataSource, source_id)
        assert source.settings["reconnect_needed"] is True
        assert "invalid_grant" in source.last_error
        assert token["refresh_token"] not in source.last_error
