"""Connecting GA4, Google Ads and Ad Manager through the connect pages: "Connect with
Google" runs the OAuth flow against the fake provider (offline access for a refresh token,
each product's scope), the accounts come from the product's fake through its real client
library, one is picked and saved with its tokens encrypted; none found is a 400 with the
specification's message; a developer token for test accounts only is explained (400)."""

# ruff: noqa: F811 - fixtures imported from tests/support/google_fakes.py are parameters here
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from dra.models import DataSource
from dra.security.crypto import Vault
from dra.settings import load_settings
from tests.support.factories import DEFAULT_PASSWORD, create_project
from tests.support.fake_ga4 import Ga4Property
from tests.support.google_fakes import google_env, google_fakes, oauth  # noqa: F401 - fixtures


@pytest.fixture
def fakes(google_fakes):
    return google_fakes


def _app(settings, oauth, fakes, **extra: str):
    from webapp import create_app

    env = {
        "DRA_ENV": "test",
        "DRA_DATA_DIR": str(settings.data_dir),
        "DRA_DATABASE_URL": settings.database_url,
        "DRA_PUBLIC_BASE_URL": "http://localhost",
        **google_env(oauth, fakes),
        **extra,
    }
    return create_app(
        load_settings(env),
        config={
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "SERVER_NAME": "localhost",
        },
    )


@pytest.fixture
def ads_app(settings, oauth, fakes):
    app = _app(settings, oauth, fakes)
    yield app
    app.extensions["dra_database"].dispose()


@pytest.fixture
def project(database, make_user):
    owner = make_user()
    with database.system_session() as s:
        project_id = create_project(s, owner)
    return {"id": project_id, "owner": owner}


def _signed_in(app, user):
    client = app.test_client()
    resp = client.post("/auth/login", data={"email": user.email, "password": DEFAULT_PASSWORD})
    assert resp.status_code == 302
    return client


def _through_google(client, project_id: int, key: str, scope: str) -> str:
    """Click "Connect with Google" for platform ``key`` and consent; the callback's path."""
    page = client.get(f"/projects/{project_id}/sources/connect/{key}")
    assert page.status_code == 200 and b"Connect with Google" in page.data
    resp = client.post(f"/projects/{project_id}/sources/connect/{key}")
    assert resp.status_code == 302
    query = parse_qs(urlsplit(resp.headers["Location"]).query)
    assert query["scope"] == [scope]
    assert query["access_type"] == ["offline"] and query["prompt"] == ["consent"]
    answer = requests.get(resp.headers["Location"], allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    back = urlsplit(answer.headers["Location"])
    assert back.path == "/oauth/callback"
    return f"{back.path}?{back.query}"


def _saved(database, ads_app) -> tuple[DataSource, dict]:
    with database.system_session() as s:
        source = s.scalar(select(DataSource))
        s.expunge(source)
    keys = ads_app.config["DRA_SETTINGS"].encryption_keys
    return source, Vault(keys).decrypt_json(source.connection_encrypted)["token"]


def test_connect_ga4_and_pick_a_property(ads_app, database, project, oauth, fakes):
    fakes["google_analytics"].properties = [
        Ga4Property("123456", "Coffee shop web"),
        Ga4Property("777", "Roastery app", account="accounts/200", currency="GBP"),
    ]
    client = _signed_in(ads_app, project["owner"])
    scope = "https://www.googleapis.com/auth/analytics.readonly"
    done = client.get(_through_google(client, project["id"], "google_analytics", scope))
    assert done.status_code == 302
    picker = client.get(done.headers["Location"])
    assert b"Roastery app (777, GBP, Europe/Berlin, under 200)" in picker.data
    refresh = next(iter(oauth.refresh_tokens))
    assert refresh.encode() not in picker.data

    saved = client.post(done.headers["Location"], data={"account": "777", "name": ""})
    assert saved.status_code == 302
    source, token = _saved(database, ads_app)
    assert source.type == "google_analytics" and source.name == "Google Analytics 4 Roastery app"
    assert source.settings["account"]["currency"] == "GBP"
    assert source.selected_tables == ["campaign_daily", "channel_daily"]
    assert token["refresh_token"] == refresh
    assert refresh.encode() not in source.connection_encrypted


def test_connect_google_ads_account_under_a_manager(ads_app, database, project, fakes):
    client = _signed_in(ads_app, project["owner"])
    scope = "https://www.googleapis.com/auth/adwords"
    done = client.get(_through_google(client, project["id"], "google_ads", scope))
    picker = client.get(done.headers["Location"])
    assert b"Coffee shop ads (4445556666, USD, America/Chicago, under 1112223333)" in picker.data
    assert b"Agency MCC" not in picker.data  # a manager account has no campaigns of its own
    client.post(done.headers["Location"], data={"account": "4445556666", "name": "Ads"})
    source, _token = _saved(database, ads_app)
    assert source.type == "google_ads"
    assert source.settings["account"]["extra"] == {"login_customer_id": "1112223333"}


def test_connect_ad_manager_network(ads_app, database, project, fakes):
    client = _signed_in(ads_app, project["owner"])
    scope = "https://www.googleapis.com/auth/admanager"
    done = client.get(_through_google(client, project["id"], "google_ad_manager", scope))
    client.post(done.headers["Location"], data={"account": "21700001", "name": ""})
    source, _token = _saved(database, ads_app)
    assert source.type == "google_ad_manager"
    assert source.settings["account"]["time_zone"] == "America/New_York"


@pytest.mark.parametrize(
    ("key", "scope", "message"),
    [
        (
            "google_analytics",
            "https://www.googleapis.com/auth/analytics.readonly",
            "No GA4 properties found for this account.",
        ),
        ("google_ads", "https://www.googleapis.com/auth/adwords", "No Google Ads accounts found."),
        (
            "google_ad_manager",
            "https://www.googleapis.com/auth/admanager",
            "No Google Ad Manager networks found for this account.",
        ),
    ],
)
def test_nothing_to_read_is_a_400_with_the_message(
    key, scope, message, ads_app, database, project, fakes
):
    fakes["google_analytics"].properties = []
    fakes["google_ads"].accessible = []
    fakes["google_ad_manager"].networks = []
    client = _signed_in(ads_app, project["owner"])
    resp = client.get(_through_google(client, project["id"], key, scope))
    assert resp.status_code == 400
    assert message.encode() in resp.data
    with database.system_session() as s:
        assert s.scalar(select(DataSource)) is None


def test_test_only_developer_token_is_a_400_with_an_explanation(
    settings, database, project, oauth, fakes
):
    app = _app(
        settings,
        oauth,
        fakes,
        DRA_GOOGLE_ADS_DEVELOPER_TOKEN=fakes["google_ads"].test_only_token,
    )
    try:
        client = _signed_in(app, project["owner"])
        scope = "https://www.googleapis.com/auth/adwords"
        resp = client.get(_through_google(client, project["id"], "google_ads", scope))
        assert resp.status_code == 400
        assert b"approved for test accounts only" in resp.data
    finally:
        app.extensions["dra_database"].dispose()
    with database.system_session() as s:
        assert s.scalar(select(DataSource)) is None
