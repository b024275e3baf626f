"""Connecting a Meta Ads account: the OAuth flow against the fake provider (state, PKCE,
code exchange), the account list from the fake Graph API through facebook-business, and
the source saved with its token encrypted."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from dra.models import DataSource, PipelineRequest
from dra.security.crypto import Vault
from dra.settings import load_settings
from tests.support.factories import add_member, create_project
from tests.support.fake_meta import FakeMeta
from tests.support.fake_oauth import FakeOAuthProvider

NONE_FOUND = "No Meta ad accounts found for this account."


@pytest.fixture
def meta_oauth():
    provider = FakeOAuthProvider(issue_refresh_tokens=False).start()
    yield provider
    provider.stop()


@pytest.fixture
def meta(meta_oauth):
    fake = FakeMeta(meta_oauth).start()
    yield fake
    fake.stop()


@pytest.fixture
def meta_env(meta_oauth, meta):
    return {
        **meta_oauth.env("DRA_META"),
        "DRA_META_API_URL": meta.base_url,
        "DRA_ADS_RETRY_SECONDS": "0",
    }


@pytest.fixture
def settings(database, tmp_path, meta_env):
    """conftest's settings (the app and login fixtures use them) with Meta pointed here."""
    return load_settings(
        {
            "DRA_ENV": "test",
            "DRA_DATA_DIR": str(tmp_path / "data"),
            "DRA_DATABASE_URL": database.url,
            "DRA_PUBLIC_BASE_URL": "http://localhost",
            **meta_env,
        }
    )


@pytest.fixture
def project(database, make_user):
    owner = make_user()
    viewer = make_user()
    with database.system_session() as s:
        project_id = create_project(s, owner)
        add_member(s, project_id, viewer, "viewer")
    return {"id": project_id, "owner": owner, "viewer": viewer}


def _consent(client, project_id: int) -> str:
    """Click "Connect with Meta" and go through the provider; the callback's path."""
    resp = client.post(f"/projects/{project_id}/sources/connect/meta_ads")
    assert resp.status_code == 302
    authorize = resp.headers["Location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["scope"] == ["ads_read"]
    answer = requests.get(authorize, allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    back = urlsplit(answer.headers["Location"])
    assert back.path == "/oauth/callback"
    return f"{back.path}?{back.query}"


def test_connect_and_pick_an_account(app, login, database, project, meta, meta_oauth):
    meta.add_account("222", "Brand DE", currency="USD", tz="America/New_York")
    meta.add_account("111", "Shop FR")
    client = login(project["owner"])
    page = client.get(f"/projects/{project['id']}/sources/connect/meta_ads")
    assert page.status_code == 200 and b"Connect with Meta" in page.data

    done = client.get(_consent(client, project["id"]))
    assert done.status_code == 302 and done.headers["Location"].endswith("/meta_ads/account")
    picker = client.get(done.headers["Location"])
    assert b"Brand DE (222, USD, America/New_York)" in picker.data
    assert b"Shop FR (111, EUR, Europe/Paris)" in picker.data
    token = next(iter(meta_oauth.access_tokens))
    assert token.encode() not in picker.data

    saved = client.post(done.headers["Location"], data={"account": "222", "name": ""})
    assert saved.status_code == 302
    with database.system_session() as s:
        source = s.scalar(select(DataSource))
        assert source.type == "meta_ads" and source.name == "Meta Ads Brand DE"
        assert source.settings["account"]["currency"] == "USD"
        assert token.encode() not in source.connection_encrypted
        keys = app.config["DRA_SETTINGS"].encryption_keys
        assert Vault(keys).decrypt_json(source.connection_encrypted)["token"]["access_token"] == (
            token
        )
        request = s.scalar(select(PipelineRequest))
        assert (request.kind, request.target_id) == ("ingest_source", source.id)
    token_call = meta_oauth.token_requests[-1]
    assert token_call["grant_type"] == "authorization_code" and token_call["code_verifier"]


def test_only_the_consent_form_pages_may_send_a_form_to_the_provider(
    app, login, project, meta_oauth
):
    """Browsers apply form-action to the redirect after "Connect with Meta": the connect
    page (and the source page's Reconnect) allow the provider's origin, no other page."""
    client = login(project["owner"])
    pid = project["id"]
    origin = meta_oauth.base_url
    connect = client.get(f"/projects/{pid}/sources/connect/meta_ads")
    csp = connect.headers["Content-Security-Policy"]
    assert f"form-action 'self' {origin}" in csp and "frame-ancestors 'none'" in csp
    other = client.get(f"/projects/{pid}/sources").headers["Content-Security-Policy"]
    assert "form-action 'self';" in other + ";" and origin not in other


def test_no_accounts_is_a_400_with_the_message(app, login, database, project, meta):
    client = login(project["owner"])
    resp = client.get(_consent(client, project["id"]))
    assert resp.status_code == 400
    assert NONE_FOUND.encode() in resp.data
    with database.system_session() as s:
        assert s.scalar(select(DataSource)) is None


def test_denied_consent_returns_to_the_connect_page(app, login, project, meta_oauth):
    meta_oauth.deny = True
    client = login(project["owner"])
    resp = client.get(_consent(client, project["id"]))
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith("/sources/connect/meta_ads?error=access_denied")
    page = client.get(resp.headers["Location"])
    assert b"access was not granted" in page.data


def test_forged_or_missing_state_is_a_clear_400(app, login, database, project, meta):
    meta.add_account("111", "Shop FR")
    client = login(project["owner"])
    callback = _consent(client, project["id"])
    forged = callback.replace("state=", "state=forged")
    resp = client.get(forged)
    assert resp.status_code == 400 and b"state is missing or wrong" in resp.data
    # the flow was used up by the forged answer: the real one is refused too
    assert client.get(callback).status_code == 400
    assert client.get("/oauth/callback?code=abc").status_code == 400
    with database.system_session() as s:
        assert s.scalar(select(DataSource)) is None


def test_viewers_cannot_connect_and_strangers_see_nothing(app, login, project, make_user):
    viewer = login(project["viewer"])
    assert viewer.get(f"/projects/{project['id']}/sources/connect/").status_code == 403
    assert viewer.post(f"/projects/{project['id']}/sources/connect/meta_ads").status_code == 403
    stranger = login(make_user())
    assert stranger.get(f"/projects/{project['id']}/sources/connect/meta_ads").status_code == 404


@pytest.mark.parametrize("meta_env", [{}])
def test_unconfigured_provider_is_shown_as_such(app, login, project):
    client = login(project["owner"])
    page = client.get(f"/projects/{project['id']}/sources/connect/")
    assert page.status_code == 200
    assert b'Meta Ads <span class="muted">not configured' in page.data
    assert client.post(f"/projects/{project['id']}/sources/connect/meta_ads").status_code == 404
