"""The web app's skeleton: health, sign-in, error pages, local static files, CSRF."""

import pytest

from webapp import create_app


def _api_token(database, user) -> str:
    from dra.accounts.api_tokens import create_api_token

    with database.system_session() as s:
        return create_api_token(s, user.id, "monitor").secret


def test_healthz_tells_anonymous_callers_the_status_only(client, make_user, login):
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok"}
    member = login(make_user())
    assert member.get("/healthz").get_json() == {"status": "ok"}


def test_healthz_details_for_platform_admins_signed_in_or_by_token(
    client, make_user, login, database
):
    admin = make_user(platform_admin=True)
    by_token = client.get(
        "/healthz", headers={"Authorization": f"Bearer {_api_token(database, admin)}"}
    )
    for resp in (login(admin).get("/healthz"), by_token):
        assert resp.status_code == 200
        body = resp.get_json()
        assert body["status"] == "ok"
        assert body["database"]["status"] == "ok"
        assert body["database"]["revision"] and body["database"]["server_version"]
        assert "pipeline_storage" in body
    someone = make_user()
    plain = client.get(
        "/healthz", headers={"Authorization": f"Bearer {_api_token(database, someone)}"}
    )
    assert plain.get_json() == {"status": "ok"}


def test_a_broken_database_is_503_unavailable_without_details_for_anonymous(settings):
    from dataclasses import replace

    broken = create_app(
        replace(settings, database_url=settings.database_url.rsplit("/", 1)[0] + "/no_such_db"),
        config={"TESTING": True, "RATELIMIT_ENABLED": False},
    )
    resp = broken.test_client().get("/healthz")
    assert resp.status_code == 503 and resp.get_json() == {"status": "unavailable"}
    assert b"no_such_db" not in resp.data
    broken.extensions["dra_database"].dispose()


def test_healthz_is_rate_limited_for_anonymous_callers(settings):
    limited = create_app(
        settings,
        config={"TESTING": True, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"},
    )
    client = limited.test_client()
    headers = {"X-Forwarded-For": "203.0.113.77"}  # ignored: no trusted proxy is set
    codes = [
        client.get(
            "/healthz", headers=headers, environ_base={"REMOTE_ADDR": "198.51.100.61"}
        ).status_code
        for _ in range(61)
    ]
    assert codes[:60] == [200] * 60 and codes[60] == 429
    limited.extensions["dra_database"].dispose()


def test_login_page_answers_and_home_needs_sign_in(client):
    assert client.get("/auth/login").status_code == 200
    resp = client.get("/")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]


def test_sign_in_and_out(client, make_user):
    user = make_user(email="ana@example.com")
    bad = client.post("/auth/login", data={"email": user.email, "password": "wrong"})
    assert bad.status_code == 401 and b"Invalid email or password." in bad.data
    unknown = client.post("/auth/login", data={"email": "nobody@example.com", "password": "x"})
    assert unknown.status_code == 401 and b"Invalid email or password." in unknown.data
    ok = client.post(
        "/auth/login", data={"email": "ANA@example.com", "password": "correct-horse-9"}
    )
    assert ok.status_code == 302
    home = client.get("/")
    assert home.status_code == 200 and b"Welcome" in home.data
    assert client.post("/auth/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_open_redirect_after_sign_in_is_ignored(client, make_user):
    user = make_user()
    resp = client.post(
        "/auth/login?next=https://evil.example/",
        data={"email": user.email, "password": "correct-horse-9"},
    )
    assert resp.headers["Location"] in ("/", "http://localhost/")


@pytest.mark.parametrize(
    "target",
    ["/\\evil.example", "/%5Cevil.example", "/\t/evil.example", "%2F%2Fevil.example", " //evil"],
)
def test_sign_in_never_redirects_off_site(client, make_user, target):
    user = make_user()
    resp = client.post(
        "/auth/login",
        query_string={"next": target},
        data={"email": user.email, "password": "correct-horse-9"},
    )
    assert resp.status_code == 302
    assert resp.headers["Location"] in ("/", "http://localhost/")


def test_sign_in_follows_a_same_site_next(client, make_user):
    user = make_user()
    resp = client.post(
        "/auth/login",
        query_string={"next": "/projects?x=1"},
        data={"email": user.email, "password": "correct-horse-9"},
    )
    assert resp.headers["Location"] in ("/projects?x=1", "http://localhost/projects?x=1")


def test_error_pages_html_and_json(client):
    page = client.get("/no-such-page")
    assert page.status_code == 404 and b"Not found" in page.data and b"<html" in page.data
    api = client.get("/api/no-such-thing")
    assert api.status_code == 404 and api.get_json()["status"] == 404


def test_plotly_is_served_locally(client):
    resp = client.get("/vendor/plotly.min.js")
    assert resp.status_code == 200 and len(resp.data) > 1_000_000
    resp.close()


def test_pages_use_no_external_assets(client):
    html = client.get("/auth/login").get_data(as_text=True)
    assert "http://" not in html.replace("http://localhost", "")
    assert "https://" not in html


def test_csrf_is_enforced_when_enabled(settings, make_user):
    app = create_app(settings, config={"TESTING": True, "RATELIMIT_ENABLED": False})
    user = make_user()
    resp = app.test_client().post(
        "/auth/login", data={"email": user.email, "password": "correct-horse-9"}
    )
    assert resp.status_code == 400
    app.extensions["dra_database"].dispose()


def test_production_cookies_are_secure(settings):
    from dataclasses import replace

    app = create_app(replace(settings, env="production"))
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    app.extensions["dra_database"].dispose()
