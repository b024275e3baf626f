"""API tokens end to end: created on /account/tokens (shown once), used as Bearer
tokens, revoked or expired tokens answer 401, CSRF does not apply to Bearer requests."""

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, update

from dra.models import ApiToken, Notification


def _create(client, name="export script", days="30"):
    resp = client.post("/account/tokens", data={"name": name, "expires_in_days": days})
    assert resp.status_code == 201, resp.data
    return re.search(r"dra_[A-Za-z0-9_-]{40,}", resp.get_data(as_text=True)).group(0), resp


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_token_lifecycle(app, login, make_user, database):
    user = make_user()
    browser = login(user)
    token, created = _create(browser)
    assert b"shown only this once" in created.data
    listing = browser.get("/account/tokens").get_data(as_text=True)
    assert token not in listing and token[:12] in listing and "active" in listing

    api = app.test_client()  # no cookie at all
    resp = api.get("/api/auth/session", headers=_bearer(token))
    assert resp.status_code == 200
    assert resp.get_json()["via"] == "api_token" and resp.get_json()["user"]["id"] == user.id
    assert api.get("/api/auth/me", headers=_bearer(token)).get_json()["email"] == user.email
    with database.system_session() as s:
        assert s.scalar(select(ApiToken.last_used_at)) is not None
    assert "Set-Cookie" not in resp.headers or "session=" not in resp.headers["Set-Cookie"]

    with database.system_session() as s:
        token_id = s.scalar(select(ApiToken.id))
    assert browser.post(f"/account/tokens/{token_id}/revoke").status_code == 302
    revoked = api.get("/api/auth/session", headers=_bearer(token))
    assert revoked.status_code == 401 and revoked.get_json()["status"] == 401
    assert "revoked" in browser.get("/account/tokens").get_data(as_text=True)


def test_bad_expired_and_foreign_tokens(app, login, make_user, database):
    owner, other = make_user(), make_user()
    token, _ = _create(login(owner), days="7")
    api = app.test_client()
    for header in ("Bearer dra_made-up", "Bearer ", "Basic abc", f"Bearer {token}x"):
        assert api.get("/api/auth/session", headers={"Authorization": header}).status_code == 401
    with database.system_session() as s:
        token_id = s.scalar(select(ApiToken.id))
    # another user cannot revoke it
    assert login(other).post(f"/account/tokens/{token_id}/revoke").status_code == 404
    assert api.get("/api/auth/session", headers=_bearer(token)).status_code == 200
    with database.system_session() as s:
        s.execute(update(ApiToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert api.get("/api/auth/session", headers=_bearer(token)).status_code == 401


def test_bearer_token_ignores_the_session_cookie(app, login, make_user):
    me, someone = make_user(), make_user()
    token, _ = _create(login(me))
    browser = login(someone)
    assert browser.get("/api/auth/session").get_json()["user"]["id"] == someone.id
    with_token = browser.get("/api/auth/session", headers=_bearer(token)).get_json()
    assert with_token["user"]["id"] == me.id
    assert browser.get("/api/auth/session", headers=_bearer("dra_wrong")).status_code == 401


def test_token_form_errors(login, make_user):
    browser = login(make_user())
    empty = browser.post("/account/tokens", data={"name": " ", "expires_in_days": "30"})
    assert empty.status_code == 422 and b"Give the token a name" in empty.data
    odd = browser.post("/account/tokens", data={"name": "x", "expires_in_days": "3"})
    assert odd.status_code == 422


def test_csrf_applies_to_cookies_but_not_to_bearer_requests(settings, make_user, database):
    from tests.support.factories import DEFAULT_PASSWORD
    from webapp import create_app

    app = create_app(settings, config={"TESTING": True, "RATELIMIT_ENABLED": False})
    user = make_user()
    with database.system_session() as s:
        s.execute(insert(Notification), [{"user_id": user.id, "type": "t", "title": "hi"}])
    browser = app.test_client()
    page = browser.get("/auth/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert (
        browser.post(
            "/auth/login",
            data={"email": user.email, "password": DEFAULT_PASSWORD, "csrf_token": csrf},
        ).status_code
        == 302
    )
    # a cookie-authenticated change without the CSRF token is refused
    assert browser.patch("/api/account/notifications/read-all").status_code == 400
    tokens = browser.get("/account/tokens").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', tokens).group(1)
    created = browser.post(
        "/account/tokens", data={"name": "cli", "expires_in_days": "0", "csrf_token": csrf}
    )
    token = re.search(r"dra_[A-Za-z0-9_-]{40,}", created.get_data(as_text=True)).group(0)
    api = app.test_client()
    resp = api.patch("/api/account/notifications/read-all", headers=_bearer(token))
    assert resp.status_code == 200 and resp.get_json()["updated"] == 1
    app.extensions["dra_database"].dispose()
