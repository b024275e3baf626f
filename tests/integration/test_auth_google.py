"""Google sign-in (UC-AUTH-03) through authlib against a local OpenID Connect provider."""

from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import func, select

from dra.models import User
from tests.support.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider


@pytest.fixture(scope="module")
def provider():
    p = OidcProvider().start()
    yield p
    p.stop()


@pytest.fixture
def google_app(settings, provider):
    from webapp import create_app

    configured = replace(
        settings,
        google_client_id=CLIENT_ID,
        google_client_secret=CLIENT_SECRET,
        google_discovery_url=provider.discovery_url,
    )
    app = create_app(
        configured,
        config={
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "SERVER_NAME": "localhost",
        },
    )
    yield app
    app.extensions["dra_database"].dispose()


def _sign_in(client, provider, **identity):
    """Click "Sign in with Google", let the provider answer, follow it back."""
    provider.identity = {
        "sub": "g-100",
        "email": "gina@gmail.test",
        "email_verified": True,
        "given_name": "Gina",
        "family_name": "Gee",
        **identity,
    }
    start = client.get("/auth/google")
    assert start.status_code == 302
    authorize = start.headers["Location"]
    assert authorize.startswith(provider.base_url + "/authorize")
    query = parse_qs(urlsplit(authorize).query)
    assert query["redirect_uri"] == ["http://localhost/auth/google/callback"]
    assert query["nonce"] and query["state"]
    back = requests.get(authorize, allow_redirects=False, timeout=10)
    assert back.status_code == 302
    callback = urlsplit(back.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}")


def _count(database):
    with database.system_session() as s:
        return s.scalar(select(func.count()).select_from(User))


def test_button_only_when_configured(google_app, client):
    assert b"Sign in with Google" in google_app.test_client().get("/auth/login").data
    assert b"Sign in with Google" not in client.get("/auth/login").data


def test_new_then_returning_google_user(google_app, provider, database):
    client = google_app.test_client()
    done = _sign_in(client, provider)
    assert done.status_code == 302 and done.headers["Location"] in ("/", "http://localhost/")
    me = client.get("/api/auth/me").get_json()
    assert me["email"] == "gina@gmail.test" and me["email_verified"]
    assert me["sign_in_methods"] == ["google"] and me["full_name"] == "Gina Gee"

    again = google_app.test_client()
    assert _sign_in(again, provider).status_code == 302
    assert again.get("/api/auth/me").get_json()["id"] == me["id"]
    assert _count(database) == 1


def test_existing_password_account_links_only_when_google_verified_the_email(
    google_app, provider, database, make_user
):
    user = make_user(email="Pat@Example.com")
    refused_client = google_app.test_client()
    refused = _sign_in(
        refused_client, provider, sub="g-200", email="pat@example.com", email_verified=False
    )
    assert refused.status_code == 302 and "error=oauth_refused" in refused.headers["Location"]
    page = refused_client.get(refused.headers["Location"])
    assert b"sign in with your password" in page.data
    assert refused_client.get("/api/auth/session").status_code == 401

    linked_client = google_app.test_client()
    linked = _sign_in(linked_client, provider, sub="g-200", email="pat@example.com")
    assert linked.status_code == 302
    assert linked_client.get("/api/auth/me").get_json()["id"] == user.id
    with database.system_session() as s:
        assert s.get(User, user.id).google_sub == "g-200"
    assert _count(database) == 1


def test_denied_or_forged_callbacks_fail_cleanly(google_app, provider):
    client = google_app.test_client()
    denied = client.get("/auth/google/callback?error=access_denied&state=x")
    assert denied.status_code == 302 and "error=oauth_failed" in denied.headers["Location"]
    forged = client.get("/auth/google/callback?code=abc&state=not-ours")
    assert forged.status_code == 302 and "error=oauth_failed" in forged.headers["Location"]
    assert b"Google sign-in did not work" in client.get("/auth/login").data
    assert client.get("/api/auth/session").status_code == 401
