"""Sign-in flows through the web app: register, verify, sign in/out, resend, forgot and
reset password, session check, profile JSON, unsubscribe, rate limits and CSRF."""

import re

import pytest
from sqlalchemy import func, select

from dra.models import EmailPreferences, PlatformSetting, User
from tests.support.smtp import link_in, outbox

GOOD = "Sunny-river-42"


def _register(client, email="nia@example.com", password=GOOD, **extra):
    data = {
        "first_name": "Nia",
        "last_name": "Lee",
        "email": email,
        "password": password,
        "confirm_password": password,
        **extra,
    }
    return client.post("/auth/register", data=data)


def _page(resp) -> str:
    """The page without its CSRF tokens (they carry a timestamp)."""
    return re.sub(
        r'(name="csrf_token" value|name="csrf-token" content)="[^"]*"',
        "",
        resp.get_data(as_text=True),
    )


def _users(database):
    with database.system_session() as s:
        return s.scalar(select(func.count()).select_from(User))


def test_register_verify_then_sign_in(client, database):
    resp = _register(client)
    assert resp.status_code == 200 and b"Check your email" in resp.data
    [mail] = outbox(database, "nia@example.com")
    assert mail.category == "verification" and mail.sent_at is None  # no SMTP: outbox only
    assert "Nia" in mail.body_text and mail.body_html.startswith("<!doctype html>")
    verify = link_in(mail.body_text, "/auth/verify/")

    early = client.post("/auth/login", data={"email": "nia@example.com", "password": GOOD})
    assert early.status_code == 403 and b"confirm your email address" in early.data
    assert b"Send me a new verification link" in early.data

    done = client.get(verify)
    assert done.status_code == 302 and done.headers["Location"].endswith("/auth/login")
    assert b"Email verified successfully" in client.get("/auth/login").data
    assert client.get(verify).status_code == 400  # single use

    ok = client.post("/auth/login", data={"email": "NIA@example.com", "password": GOOD})
    assert ok.status_code == 302
    assert client.get("/api/auth/session").get_json()["user"]["email"] == "nia@example.com"
    assert client.post("/auth/logout").status_code == 302
    assert client.get("/api/auth/session").status_code == 401


def test_register_errors_name_the_field_and_change_nothing(client, database, make_user):
    weak = _register(client, password="short")
    assert weak.status_code == 422 and b"at least 10 characters" in weak.data
    bad = _register(client, email="nope", first_name="")
    assert bad.status_code == 422
    assert b"Enter a valid email address" in bad.data and b"First name is required" in bad.data
    mismatch = _register(client, confirm_password="Other-river-42")
    assert mismatch.status_code == 422 and b"do not match" in mismatch.data
    assert _users(database) == 0

    make_user(email="Taken@Example.com")
    dup = _register(client, email="taken@example.COM")
    assert dup.status_code == 400 and b"already exists for this email" in dup.data
    assert _users(database) == 1 and outbox(database) == []


def test_registration_settings_are_honoured(client, database):
    with database.system_session() as s:
        s.merge(PlatformSetting(key="registration_open", value=False))
    closed = _register(client)
    assert closed.status_code == 403 and b"Registration is closed" in closed.data
    with database.system_session() as s:
        s.merge(PlatformSetting(key="registration_open", value=True))
        s.merge(PlatformSetting(key="private_beta", value=True))
    beta = _register(client)
    assert beta.status_code == 403 and b"private beta" in beta.data
    assert _users(database) == 0


def test_resend_gives_the_same_answer_for_every_email(client, database, make_user):
    _register(client)
    make_user(email="verified@example.com")
    answers = [
        client.post("/auth/resend-verification", data={"email": e})
        for e in ("nia@example.com", "nobody@example.com", "verified@example.com")
    ]
    assert {a.status_code for a in answers} == {200}
    assert len({_page(a) for a in answers}) == 1
    assert [m.to_address for m in outbox(database)] == ["nia@example.com", "nia@example.com"]
    first, second = outbox(database)
    assert client.get(link_in(first.body_text, "/auth/verify/")).status_code == 400
    assert client.get(link_in(second.body_text, "/auth/verify/")).status_code == 302


def test_sign_in_failure_never_reveals_the_email(client, make_user):
    make_user(email="ana@example.com")
    wrong = client.post("/auth/login", data={"email": "ana@example.com", "password": "nope"})
    unknown = client.post("/auth/login", data={"email": "zed@example.com", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert _page(wrong).replace("ana@", "zed@") == _page(unknown)
    assert b"Invalid email or password." in wrong.data


def test_forgot_and_reset_password_signs_out_other_sessions(
    app, client, database, make_user, login
):
    user = make_user(email="ana@example.com")
    other_device = login(user)
    assert other_device.get("/api/auth/session").status_code == 200

    known = client.post("/auth/forgot-password", data={"email": "ANA@example.com"})
    unknown = client.post("/auth/forgot-password", data={"email": "zed@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert _page(known) == _page(unknown)
    [mail] = outbox(database)
    assert mail.category == "password_reset" and mail.to_address == "ana@example.com"
    reset = link_in(mail.body_text, "/auth/reset-password/")

    assert client.get(reset).status_code == 200
    weak = client.post(reset, data={"password": "weak", "confirm_password": "weak"})
    assert weak.status_code == 422 and b"at least 10 characters" in weak.data
    done = client.post(reset, data={"password": GOOD, "confirm_password": GOOD})
    assert done.status_code == 302 and done.headers["Location"].endswith("/auth/login")
    assert client.get(reset).status_code == 400
    again = client.post(reset, data={"password": GOOD, "confirm_password": GOOD})
    assert again.status_code == 400 and b"request a new one" in again.data

    assert other_device.get("/api/auth/session").status_code == 401  # signed out
    signed_in = client.post("/auth/login", data={"email": user.email, "password": GOOD})
    assert signed_in.status_code == 302
    assert outbox(database)[-1].category == "security"  # "your password was changed"


def test_session_check_and_profile_json(client, login, make_user):
    assert client.get("/api/auth/session").status_code == 401
    assert client.get("/api/auth/me").get_json()["status"] == 401
    user = make_user(email="me@example.com", first_name="Mia", last_name="Ko")
    signed_in = login(user)
    body = signed_in.get("/api/auth/session").get_json()
    assert body["authenticated"] and body["via"] == "session"
    me = signed_in.get("/api/auth/me").get_json()
    assert me["email"] == "me@example.com" and me["full_name"] == "Mia Ko"
    assert me["role"] == "user" and me["subscription_tier"]


def test_unsubscribe_link_needs_no_sign_in(client, database):
    _register(client)
    [mail] = outbox(database)
    link = link_in(mail.body_text, "/auth/unsubscribe/")
    assert link in mail.body_html
    page = client.get(link)
    assert page.status_code == 200 and b"Unsubscribe" in page.data
    with database.system_session() as s:
        assert s.scalar(select(User.unsubscribed_at)) is None
    done = client.post(link)
    assert done.status_code == 200 and b"Unsubscribed successfully" in done.data
    with database.system_session() as s:
        assert s.scalar(select(User.unsubscribed_at)) is not None
        prefs = s.scalar(select(EmailPreferences))
        assert not (prefs.marketing or prefs.product_updates or prefs.notifications)
    bad = client.post(link[:-3] + "abc")
    assert bad.status_code == 400 and b"Unsubscription failed" in bad.data


def test_pages_render(client):
    for path in (
        "/auth/login",
        "/auth/register",
        "/auth/forgot-password",
        "/auth/resend-verification",
    ):
        resp = client.get(path)
        assert resp.status_code == 200 and b'name="csrf_token"' in resp.data, path
    assert b"Sign in with Google" not in client.get("/auth/login").data  # not configured
    assert client.get("/auth/google").status_code == 404
    assert client.get("/auth/reset-password/made-up").status_code == 400
    assert client.get("/auth/verify/made-up").status_code == 400


@pytest.fixture
def limited_app(settings):
    from webapp import create_app
    from webapp.extensions import limiter

    app = create_app(
        settings,
        config={
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": True,
            "SERVER_NAME": "localhost",
        },
    )
    limiter.reset()
    yield app
    limiter.reset()
    app.extensions["dra_database"].dispose()


@pytest.mark.parametrize(
    "path, data",
    [
        ("/auth/login", {"email": "a@example.com", "password": "x"}),
        ("/auth/forgot-password", {"email": "a@example.com"}),
        ("/auth/resend-verification", {"email": "a@example.com"}),
        ("/auth/register", {"email": "bad"}),
    ],
)
def test_sensitive_forms_are_rate_limited(limited_app, path, data):
    client = limited_app.test_client()
    codes = [client.post(path, data=data).status_code for _ in range(10)]
    assert 429 not in codes
    blocked = client.post(path, data=data)
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert client.get(path).status_code == 200  # only POSTs count


def test_csrf_is_required_on_auth_forms(settings):
    from webapp import create_app

    app = create_app(settings, config={"TESTING": True, "RATELIMIT_ENABLED": False})
    client = app.test_client()
    assert _register(client).status_code == 400
    assert client.post("/auth/forgot-password", data={"email": "a@b.io"}).status_code == 400
    app.extensions["dra_database"].dispose()


def test_public_endpoints_are_listed_and_everything_else_needs_sign_in(app, client):
    from webapp.auth.views import PUBLIC_ENDPOINTS

    endpoints = {r.endpoint: r for r in app.url_map.iter_rules()}
    assert PUBLIC_ENDPOINTS.issubset(endpoints)
    for name, rule in endpoints.items():
        if not name.startswith(("auth.", "auth_api.", "account.", "account_api.")):
            continue
        if name in PUBLIC_ENDPOINTS:
            continue
        path = rule.build({a: 1 for a in rule.arguments}, append_unknown=False)[1]
        method = next(m for m in ("GET", "POST", "PATCH", "DELETE") if m in rule.methods)
        resp = client.open(path, method=method)
        assert resp.status_code in (302, 401), (name, resp.status_code)
        if resp.status_code == 302:
            assert "/auth/login" in resp.headers["Location"], name
