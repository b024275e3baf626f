"""Security headers on every answer (CSP, frame-ancestors, nosniff, referrer policy; HSTS
and the HTTPS redirect in production) and the trusted-proxies setting (ProxyFix): with
it, each client behind the proxy has its own rate-limit bucket; without it, a forged
X-Forwarded-For changes nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from webapp import create_app


@pytest.fixture
def make_app(settings):
    apps = []

    def _make(config=None, **changes):
        app = create_app(replace(settings, **changes), config={"TESTING": True, **(config or {})})
        apps.append(app)
        return app

    yield _make
    for app in apps:
        app.extensions["dra_database"].dispose()


def _csp(resp) -> dict[str, str]:
    policy = resp.headers["Content-Security-Policy"]
    return {
        part.split()[0]: " ".join(part.split()[1:]) for part in policy.split(";") if part.strip()
    }


def test_pages_json_and_public_routes_carry_the_security_headers(client, make_user, login):
    user = make_user()
    answers = {
        "login page": client.get("/auth/login"),
        "health": client.get("/healthz"),
        "public dashboard (unknown token)": client.get("/public/d/" + "A" * 43),
        "signed-in page": login(user).get("/projects"),
        "api": client.get("/api/auth/me"),
        "static": client.get("/static/js/dra.js"),
    }
    for name, resp in answers.items():
        csp = _csp(resp)
        assert csp["script-src"] == "'self'", name
        assert (
            "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
        )
        assert csp["default-src"] == "'self'" and csp["object-src"] == "'none'", name
        assert csp["frame-ancestors"] == "'none'", name
        assert csp["connect-src"] == "'self'" and csp["form-action"] == "'self'", name
        assert resp.headers["X-Content-Type-Options"] == "nosniff", name
        assert resp.headers["Referrer-Policy"] == "strict-origin-when-cross-origin", name
        assert resp.headers["X-Frame-Options"] == "DENY", name
        assert "Strict-Transport-Security" not in resp.headers, name  # not in production
        resp.close()


def test_no_page_has_inline_script_or_inline_event_handlers(client, make_user, login):
    import re
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "webapp" / "templates"
    offenders = []
    for path in templates.rglob("*.html"):
        if "emails" in path.parts:
            continue
        text = path.read_text()
        for match in re.finditer(r"<script\b([^>]*)>", text):
            attrs = match.group(1)
            if "src=" not in attrs and 'type="application/json"' not in attrs:
                offenders.append(f"{path.name}: inline <script>")
        if re.search(r"\son[a-z]+\s*=", text) or "javascript:" in text:
            offenders.append(f"{path.name}: inline event handler or javascript: URL")
    assert offenders == []


def test_production_sends_hsts_and_redirects_to_https_except_health(make_app):
    app = make_app(env="production", force_https=True)
    client = app.test_client()
    plain = client.get("/auth/login")
    assert plain.status_code == 302 and plain.headers["Location"].startswith("https://")
    assert client.get("/healthz").status_code == 200  # monitors may probe over plain HTTP
    secure = client.get("/auth/login", base_url="https://localhost")
    assert secure.status_code == 200
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31556926")
    relaxed = make_app(env="production", force_https=False).test_client()
    assert relaxed.get("/auth/login").status_code == 200


def _limited(make_app, **changes):
    return make_app(
        config={"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"}, **changes
    ).test_client()


def _health_codes(client, forwarded_for: str, times: int, proxy: str = "10.0.0.2"):
    return [
        client.get(
            "/healthz",
            headers={"X-Forwarded-For": forwarded_for},
            environ_base={"REMOTE_ADDR": proxy},
        ).status_code
        for _ in range(times)
    ]


def test_behind_a_trusted_proxy_each_client_has_its_own_rate_limit(make_app):
    client = _limited(make_app, trusted_proxies=1)
    assert _health_codes(client, "198.51.100.1", 61)[-1] == 429
    assert _health_codes(client, "198.51.100.2", 1) == [200]  # another visitor, same proxy
    # a client cannot pick its address: the proxy appends the real one last
    assert _health_codes(client, "198.51.100.2, 198.51.100.1", 1) == [429]


def test_without_trusted_proxies_a_forged_forwarded_for_is_ignored(make_app):
    client = _limited(make_app, trusted_proxies=0)
    assert _health_codes(client, "203.0.113.1", 61, proxy="10.0.0.3")[-1] == 429
    assert _health_codes(client, "203.0.113.99", 1, proxy="10.0.0.3") == [429]
