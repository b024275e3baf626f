"""Meta Ads ingestion: the real facebook-business SDK against a local fake Graph API,
loaded by the ingestion asset into the real test database."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from assets.ingestion import all_sources_refreshed, data_sources_partitions, raw_source_tables
from dra.ads.platforms import AdAccount, OAuthToken, platform
from dra.ingestion.service import ingest_source
from dra.ingestion.sources.ads import account_today
from dra.models import DataSource, Notification
from dra.settings import load_settings
from dra.sources.service import create_ad_source, delete_source, remove_source_data
from tests.support.factories import create_project
from tests.support.fake_meta import FakeMeta
from tests.support.fake_oauth import FakeOAuthProvider

ACCOUNT = AdAccount("111", "Shop FR", currency="EUR", time_zone="Europe/Paris")


@pytest.fixture
def meta_oauth():
    provider = FakeOAuthProvider(issue_refresh_tokens=False, expires_in=60 * 24 * 3600).start()
    yield provider
    provider.stop()


@pytest.fixture
def meta(meta_oauth):
    fake = FakeMeta(meta_oauth).start()
    fake.add_account("111", "Shop FR")
    yield fake
    fake.stop()


@pytest.fixture
def ads_env(monkeypatch, meta_oauth, meta):
    env = {
        **meta_oauth.env("DRA_META"),
        "DRA_META_API_URL": meta.base_url,
        "DRA_ADS_RETRY_SECONDS": "0",
        "DRA_ADS_HISTORY_DAYS": "5",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def ads_settings(settings, ads_env):
    return load_settings(
        {
            "DRA_ENV": "test",
            "DRA_DATA_DIR": str(settings.data_dir),
            "DRA_DATABASE_URL": settings.database_url,
            **ads_env,
        }
    )


@pytest.fixture
def owner(make_user):
    return make_user()


def _source(database, ads_settings, owner, token: str, name="Meta FR") -> tuple[int, int]:
    with database.system_session() as s:
        project_id = create_project(s, owner)
        source = create_ad_source(
            s,
            database,
            project_id=project_id,
            user_id=owner.id,
            name=name,
            platform=platform("meta_ads", ads_settings.ads),
            token=OAuthToken(token),
            account=ACCOUNT,
            settings=ads_settings,
        )
        return project_id, source.id


def _ingest(materialize, source_id: int, ok: bool = True):
    result = materialize(
        [raw_source_tables],
        partition_key=str(source_id),
        dynamic_partitions={data_sources_partitions.name: [source_id]},
        raise_on_error=False,
    )
    assert result.success is ok
    return result


def _rows(database, project_id: int, table: str) -> list[tuple]:
    with database.system_engine.connect() as conn:
        return conn.execute(
            text(
                f"select date, campaign_id, spend, impressions, clicks, conversions, "
                f'conversion_value, currency, time_zone from raw_p{project_id}."{table}" '
                "order by date, campaign_id"
            )
        ).all()


def test_first_load_then_lookback_upserts_changed_days(
    database, ads_settings, owner, meta, meta_oauth, materialize
):
    today = account_today(ACCOUNT)
    yesterday = today - timedelta(days=1)
    for back in range(5):
        day = today - timedelta(days=back)
        meta.set_day("111", day, "7", spend="10.00", impressions=100, clicks=4, purchases=1)
        meta.set_day("111", day, "8", spend="2.50", impressions=50, clicks=1, value="30.5")
    meta.set_day("111", today - timedelta(days=9), "7", spend="99", impressions=1, clicks=1)
    token = meta_oauth.issue()["access_token"]
    project_id, source_id = _source(database, ads_settings, owner, token)

    _ingest(materialize, source_id)
    rows = _rows(database, project_id, "meta_fr_campaign_daily")
    assert len(rows) == 10  # 5 days (the history) x 2 campaigns; day -9 not read
    assert rows[-1][0] == today and rows[-1][1] == "8"
    assert str(rows[-1][2]) == "2.50" and rows[-1][3] == 50 and str(rows[-1][6]) == "30.5"
    assert rows[0][7:] == ("EUR", "Europe/Paris")
    assert str(rows[0][5]) == "1"  # omni_purchase, not the pixel purchase counted again
    with database.system_session() as s:
        source = s.get(DataSource, source_id)
        assert source.status == "ready"
        assert {t.source_table: t.raw_table for t in source.tables} == {
            "campaign_daily": "meta_fr_campaign_daily",
            "ad_daily": "meta_fr_ad_daily",
        }
    assert len(_rows(database, project_id, "meta_fr_ad_daily")) == 10

    # Late conversions: Meta now reports more for yesterday. The next load re-reads the
    # lookback window and replaces yesterday's row instead of adding one.
    meta.set_day("111", yesterday, "7", spend="12.00", impressions=130, clicks=6, purchases=3)
    meta.requests.clear()
    _ingest(materialize, source_id)
    rows = _rows(database, project_id, "meta_fr_campaign_daily")
    assert len(rows) == 11  # the same 10 (one changed) and day -9, inside the 28-day lookback
    changed = [r for r in rows if r[0] == yesterday and r[1] == "7"]
    assert len(changed) == 1 and str(changed[0][2]) == "12.00" and str(changed[0][5]) == "3"
    ranges = {r["time_range"] for r in meta.requests if "time_range" in r}
    lookback = (today - timedelta(days=28)).isoformat()
    assert [json.loads(r) for r in ranges] == [{"since": lookback, "until": today.isoformat()}]
    with database.system_session() as s:
        assert s.get(DataSource, source_id).row_count == 22


def test_pages_are_followed_and_throttling_retried(
    database, ads_settings, owner, meta, meta_oauth, materialize, monkeypatch
):
    monkeypatch.setattr("dra.ads.meta.PAGE_SIZE", 3)
    today = account_today(ACCOUNT)
    for back in range(5):
        for campaign in ("1", "2"):
            day = today - timedelta(days=back)
            meta.set_day("111", day, campaign, spend="1", impressions=1, clicks=1)
    meta.throttle = 2  # error 80004 twice, then answers
    token = meta_oauth.issue()["access_token"]
    project_id, source_id = _source(database, ads_settings, owner, token)
    _ingest(materialize, source_id)
    assert meta.throttled == 2
    assert len(_rows(database, project_id, "meta_fr_campaign_daily")) == 10
    pages = [r for r in meta.requests if r["path"].endswith("/insights")]
    assert len([p for p in pages if p.get("level") == "campaign"]) >= 4  # 10 rows, 3 a page


def test_errors_never_show_the_token(database, ads_settings, owner, meta, meta_oauth, materialize):
    meta.throttle = 99  # more than DRA_ADS_MAX_RETRIES
    token = meta_oauth.issue()["access_token"]
    _project_id, source_id = _source(database, ads_settings, owner, token)
    _ingest(materialize, source_id, ok=False)
    with database.system_session() as s:
        source = s.get(DataSource, source_id)
        assert source.status == "failed"
        assert "rate-limited after 6 attempts" in source.last_error
        assert token not in source.last_error


def test_revoked_token_marks_source_notifies_owner_and_others_load(
    database, ads_settings, owner, meta, meta_oauth, materialize
):
    today = account_today(ACCOUNT)
    meta.set_day("111", today, "7", spend="1", impressions=1, clicks=1)
    _p1, revoked = _source(database, ads_settings, owner, "at-no-longer-valid", name="Old")
    p2, fine = _source(database, ads_settings, owner, meta_oauth.issue()["access_token"])

    result = materialize([all_sources_refreshed])
    assert result.success  # the revoked source is its owner's to fix, not a failed run
    assert len(_rows(database, p2, "meta_fr_campaign_daily")) == 1
    with database.system_session() as s:
        source = s.get(DataSource, revoked)
        assert source.status == "failed" and source.settings["reconnect_needed"] is True
        assert "190" in source.last_error and "Reconnect" in source.last_error
        notes = s.scalars(select(Notification).where(Notification.user_id == owner.id)).all()
        assert [n.type for n in notes] == ["data_source.reconnect"]
        assert notes[0].link.endswith(f"/sources/{revoked}")
        assert s.get(DataSource, fine).status == "ready"

    meta.requests.clear()
    assert materialize([all_sources_refreshed]).success  # skipped now: no call, no new note
    assert all(r.get("access_token") != "at-no-longer-valid" for r in meta.requests)
    with database.system_session() as s:
        assert len(s.scalars(select(Notification)).all()) == 1


def test_a_source_deleted_while_its_run_goes_ends_cleanly(
    database, ads_settings, owner, meta, meta_oauth
):
    """Deleted (UC-DS-15) after its first table is written and before the run records it:
    the run ends as skipped, what it wrote goes too, nothing is recorded for the source."""
    today = account_today(ACCOUNT)
    meta.set_day("111", today, "7", spend="10.00", impressions=100, clicks=4, purchases=1)
    project_id, source_id = _source(
        database, ads_settings, owner, meta_oauth.issue()["access_token"]
    )

    def delete_meanwhile(message: str) -> None:
        if "campaign_daily" in message and "rows written" in message:
            with database.system_session() as s:
                deleted = delete_source(s, s.get(DataSource, source_id))
            remove_source_data(database, ads_settings, deleted)

    outcome = ingest_source(database, ads_settings, source_id, log=delete_meanwhile)
    assert outcome.skipped and outcome.error == "deleted"
    with database.system_session() as s:
        assert s.get(DataSource, source_id) is None
        left = s.execute(
            text("select table_name from information_schema.tables where table_schema = :s"),
            {"s": f"raw_p{project_id}"},
        ).all()
    assert left == []  # neither the table written before the delete nor any after it
