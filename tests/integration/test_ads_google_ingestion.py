"""GA4, Google Ads and Ad Manager sources loaded by the ingestion asset into the real test
database, the real client libraries talking to the local fakes: a first load of the
history, then a load whose lookback window finds yesterday's numbers changed (upserted,
not added), and a revoked grant (reconnect needed, the other source still loaded)."""

# ruff: noqa: F811 - fixtures imported from tests/support/google_fakes.py are parameters here
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from assets.ingestion import all_sources_refreshed, data_sources_partitions, raw_source_tables
from dra.ads.platforms import OAuthToken, platform
from dra.ingestion.sources.ads import account_today
from dra.models import DataSource, Notification
from dra.settings import load_settings
from dra.sources.service import create_ad_source
from tests.support.factories import create_project
from tests.support.fake_ad_manager import LINE_ITEMS
from tests.support.fake_ga4 import TRAFFIC
from tests.support.google_fakes import google_env, google_fakes, oauth  # noqa: F401 - fixtures

HISTORY = 5


@pytest.fixture
def fakes(google_fakes):
    return google_fakes


@pytest.fixture
def ads_settings(settings, oauth, fakes, monkeypatch):
    env = {**google_env(oauth, fakes), "DRA_ADS_HISTORY_DAYS": str(HISTORY)}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return load_settings(
        {
            "DRA_ENV": "test",
            "DRA_DATA_DIR": str(settings.data_dir),
            "DRA_DATABASE_URL": settings.database_url,
            **env,
        }
    )


@pytest.fixture
def owner(make_user):
    return make_user()


def _connect(database, ads_settings, owner, oauth, key: str, name: str):
    """A source of platform ``key`` for its first account, as the connect page makes it."""
    plat = platform(key, ads_settings.ads)
    token = OAuthToken.from_dict(oauth.issue())
    account = plat.list_accounts(token)[0]
    with database.system_session() as s:
        project_id = create_project(s, owner)
        source = create_ad_source(
            s,
            database,
            project_id=project_id,
            user_id=owner.id,
            name=name,
            platform=plat,
            token=token,
            account=account,
            settings=ads_settings,
        )
        return project_id, source.id, account, token


def _ingest(materialize, source_id: int):
    result = materialize(
        [raw_source_tables],
        partition_key=str(source_id),
        dynamic_partitions={data_sources_partitions.name: [source_id]},
    )
    assert result.success


def _rows(database, project_id: int, table: str, order: str) -> list[dict]:
    with database.system_engine.connect() as conn:
        return [
            dict(r._mapping)
            for r in conn.execute(
                text(f'select * from raw_p{project_id}."{table}" order by {order}')
            )
        ]


# platform key -> (source name, spend-table rows a day, other table, its rows a day)
CASES = {
    "google_analytics": ("GA4 web", len(TRAFFIC), "channel_daily", 5),
    "google_ads": ("Ads", 3, "ad_group_daily", 6),
    "google_ad_manager": ("GAM", 2, "line_item_daily", len(LINE_ITEMS)),
}


@pytest.mark.parametrize("key", list(CASES))
def test_first_load_then_lookback_upserts_yesterday(
    key, database, ads_settings, owner, oauth, fakes, materialize
):
    name, per_day, other, other_per_day = CASES[key]
    fake = fakes[key]
    project_id, source_id, account, _ = _connect(database, ads_settings, owner, oauth, key, name)
    today = account_today(account)
    yesterday = today - timedelta(days=1)
    fake.numbers.first_day = today - timedelta(days=HISTORY - 1)  # no rows before
    prefix = name.lower().replace(" ", "_")

    _ingest(materialize, source_id)
    spend = _rows(database, project_id, f"{prefix}_campaign_daily", "date, campaign_id")
    assert len(spend) == HISTORY * per_day
    assert {r["date"] for r in spend} == {today - timedelta(days=n) for n in range(HISTORY)}
    assert {(r["account_id"], r["currency"], r["time_zone"]) for r in spend} == {
        (account.id, account.currency, account.time_zone)
    }
    assert len(_rows(database, project_id, f"{prefix}_{other}", "date")) == HISTORY * other_per_day

    key_columns = platform(key, ads_settings.ads).table("campaign_daily").key
    measure = {"google_analytics": "conversion_value"}.get(key, "clicks")

    def yesterdays() -> dict:
        """Yesterday's rows of the spend table: their key -> the measure."""
        return {
            tuple(r[c] for c in key_columns): r[measure]
            for r in _rows(database, project_id, f"{prefix}_campaign_daily", "date")
            if r["date"] == yesterday
        }

    before = yesterdays()

    # Late conversions: the platform now reports twice yesterday's numbers.
    fake.numbers.revise(yesterday, 2.0)
    _ingest(materialize, source_id)
    spend = _rows(database, project_id, f"{prefix}_campaign_daily", "date, campaign_id")
    assert len(spend) == HISTORY * per_day  # re-read days replaced, none added
    after = yesterdays()
    assert after.keys() == before.keys()
    assert all(Decimal(after[k]) > Decimal(before[k]) for k in before)
    assert len(_rows(database, project_id, f"{prefix}_{other}", "date")) == HISTORY * other_per_day
    with database.system_session() as s:
        source = s.get(DataSource, source_id)
        assert source.status == "ready"
        assert {t.source_table for t in source.tables} == {"campaign_daily", other}


def test_google_ads_lookback_reads_fourteen_days_back(
    database, ads_settings, owner, oauth, fakes, materialize
):
    gads = fakes["google_ads"]
    _project_id, source_id, account, _ = _connect(
        database, ads_settings, owner, oauth, "google_ads", "Ads"
    )
    _ingest(materialize, source_id)
    gads.searches.clear()
    _ingest(materialize, source_id)
    today = account_today(account)
    since = (today - timedelta(days=14)).isoformat()
    assert {s["query"].split("BETWEEN ")[1] for s in gads.searches} == {
        f"'{since}' AND '{today.isoformat()}'"
    }
    assert {s["login_customer_id"] for s in gads.searches} == {"1112223333"}


def test_revoked_google_grant_marks_the_source_and_others_load(
    database, ads_settings, owner, oauth, fakes, materialize
):
    _, revoked, _, token = _connect(
        database, ads_settings, owner, oauth, "google_ad_manager", "GAM"
    )
    p2, fine, _, _ = _connect(database, ads_settings, owner, oauth, "google_analytics", "GA4 web")
    # The person removed the app's access for the Ad Manager connection only.
    oauth.revoked.add(token.refresh_token)
    oauth.access_tokens.discard(token.access_token)
    fakes["google_ad_manager"].reports.clear()

    assert materialize([all_sources_refreshed]).success  # the owner's to fix, not a failed run
    with database.system_session() as s:
        source = s.get(DataSource, revoked)
        assert source.status == "failed" and source.settings["reconnect_needed"] is True
        assert "connect the account again" in source.last_error
        assert token.access_token not in source.last_error
        notes = s.scalars(select(Notification).where(Notification.user_id == owner.id)).all()
        assert [n.type for n in notes] == ["data_source.reconnect"]
        assert s.get(DataSource, fine).status == "ready"
    assert fakes["google_ad_manager"].reports == {}
    assert len(_rows(database, p2, "ga4_web_campaign_daily", "date")) == HISTORY * len(TRAFFIC)
