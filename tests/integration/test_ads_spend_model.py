"""The unified spend model (dbt_project/models/marts/fct_ad_spend_daily): Google Ads and
GA4 sources of one project ingested from their fakes by the ingestion asset, then a
real ``dbt build``; another project without ad sources builds beside it."""

# ruff: noqa: F811 - fixtures imported from tests/support/google_fakes.py are parameters here
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text

from dra.ads.platforms import OAuthToken, platform
from dra.attribution.dbt_env import run_dbt
from dra.sources.service import create_ad_source
from tests.integration.test_ads_google_ingestion import (  # noqa: F401 - fixtures
    _ingest,
    ads_settings,
    fakes,
)
from tests.support.factories import create_project
from tests.support.google_fakes import google_fakes, oauth  # noqa: F401 - fixtures

pytestmark = pytest.mark.slow


def _connect(database, ads_settings, owner, oauth, project_id: int, key: str, name: str) -> int:
    plat = platform(key, ads_settings.ads)
    token = OAuthToken.from_dict(oauth.issue())
    with database.system_session() as s:
        source = create_ad_source(
            s,
            database,
            project_id=project_id,
            user_id=owner.id,
            name=name,
            platform=plat,
            token=token,
            account=plat.list_accounts(token)[0],
            settings=ads_settings,
        )
        return source.id


def _query(database, sql: str, **params) -> list[dict]:
    with database.system_engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text(sql), params)]


def test_spend_model_unifies_platforms_per_project(
    database, settings, ads_settings, make_user, oauth, google_fakes, materialize, tmp_path
):
    owner = make_user()
    with database.system_session() as s:
        project_id = create_project(s, owner)
        empty_project = create_project(s, owner)
    ads_id = _connect(database, ads_settings, owner, oauth, project_id, "google_ads", "Ads")
    ga4_id = _connect(database, ads_settings, owner, oauth, project_id, "google_analytics", "GA4")
    # connected, never loaded: its table does not exist yet and is skipped
    _connect(database, ads_settings, owner, oauth, empty_project, "google_ad_manager", "GAM")
    _ingest(materialize, ads_id)
    _ingest(materialize, ga4_id)

    run_dbt(settings.database_url, ["build"], target_path=tmp_path / "target")

    unified = _query(
        database,
        "select * from marts.fct_ad_spend_daily where project_id in (:a, :b) "
        "order by platform, date, campaign_id",
        a=project_id,
        b=empty_project,
    )
    assert {r["project_id"] for r in unified} == {project_id}
    ads = [r for r in unified if r["platform"] == "google_ads"]
    raw_ads = _query(database, f'select * from raw_p{project_id}."ads_campaign_daily"')
    assert len(ads) == len(raw_ads) > 0
    assert sum(r["spend"] for r in ads) == sum(Decimal(r["spend"]) for r in raw_ads) > 0
    assert sum(r["clicks"] for r in ads) == sum(r["clicks"] for r in raw_ads)
    assert {(r["source_id"], r["channel"], r["spend_kind"]) for r in ads} == {
        (ads_id, "paid", "cost")
    }
    assert {r["ad_channel"] for r in ads} <= {"paid_search", "paid_display"}
    assert {r["currency"] for r in ads} == {raw_ads[0]["currency"]}

    ga4 = [r for r in unified if r["platform"] == "google_analytics"]
    raw_ga4 = _query(database, f'select * from raw_p{project_id}."ga4_campaign_daily"')
    # GA4's rows by source / medium added up to the campaign and channel group
    assert len(ga4) == len({(r["date"], r["channel"], r["campaign_id"]) for r in raw_ga4}) > 0
    assert sum(r["conversion_value"] for r in ga4) == sum(
        Decimal(r["conversion_value"]) for r in raw_ga4
    )
    assert {r["spend_kind"] for r in ga4} == {"none"}
    assert all(r["spend"] is None for r in ga4)


def test_spend_model_builds_without_any_ad_source(database, settings, make_user, tmp_path):
    with database.system_session() as s:
        project_id = create_project(s, make_user())
    run_dbt(
        settings.database_url,
        ["build", "--select", "+fct_ad_spend_daily", "--vars", f"{{project_ids: [{project_id}]}}"],
        target_path=tmp_path / "target",
    )
    assert (
        _query(
            database, "select * from marts.fct_ad_spend_daily where project_id = :p", p=project_id
        )
        == []
    )
