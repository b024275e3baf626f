"""Platform settings (UC-ADM-08) and maintenance mode for each kind of caller.

While maintenance mode is on, everyone but platform admins gets 503 with Retry-After:
the maintenance page for browsers, problem details for API calls. Sign-in, /healthz,
static files and the tracking endpoint keep working.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from dra.accounts.api_tokens import create_api_token
from dra.attribution.keys import create_key
from dra.models import AttributionEvent, PlatformSetting
from tests.support.factories import DEFAULT_PASSWORD, create_project, create_user

MESSAGE = "Upgrading the database: back at 14:00 UTC."


def _stored(database) -> dict:
    with database.system_session() as s:
        return {row.key: row.value for row in s.scalars(select(PlatformSetting))}


def _maintenance_on(admin_client, minutes: str = "20") -> None:
    resp = admin_client.post(
        "/admin/settings",
        data={
            "registration_open": "on",
            "maintenance_mode": "on",
            "maintenance_message": MESSAGE,
            "maintenance_retry_minutes": minutes,
        },
    )
    assert resp.status_code == 302


def _token(database, user) -> str:
    with database.system_session() as s:
        return create_api_token(s, user.id, "maintenance test").secret


# --- the settings -------------------------------------------------------------------------


def test_settings_page_saves_maintenance_settings(admin_client, database):
    page = admin_client.get("/admin/settings").get_data(as_text=True)
    for name in ("maintenance_mode", "maintenance_message", "maintenance_retry_minutes"):
        assert f'name="{name}"' in page
    _maintenance_on(admin_client)
    stored = _stored(database)
    assert stored["maintenance_mode"] is True and stored["maintenance_message"] == MESSAGE
    assert stored["maintenance_retry_minutes"] == 20 and stored["registration_open"] is True
    assert MESSAGE in admin_client.get("/admin/settings").get_data(as_text=True)


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"maintenance_mode": "perhaps"}, "maintenance_mode"),
        ({"maintenance_retry_minutes": "soon"}, "maintenance_retry_minutes"),
        ({"maintenance_retry_minutes": "0"}, "maintenance_retry_minutes"),
        ({"maintenance_retry_minutes": "100000"}, "maintenance_retry_minutes"),
        ({"maintenance_message": "x" * 501}, "maintenance_message"),
    ],
)
def test_a_wrong_value_in_the_form_is_422_naming_the_field(admin_client, database, form, field):
    before = _stored(database)
    resp = admin_client.post("/admin/settings", data={"maintenance_mode": "on", **form})
    assert resp.status_code == 422
    assert field in resp.get_data(as_text=True)
    assert _stored(database) == before


def test_json_api_reads_and_patches_with_types_checked(admin_client, database, platform_admin):
    got = admin_client.get("/api/v1/admin/platform-settings")
    assert got.status_code == 200
    assert got.get_json()["settings"]["maintenance_mode"] is False
    patched = admin_client.patch(
        "/api/v1/admin/platform-settings",
        json={"maintenance_message": "Soon back.", "maintenance_retry_minutes": 5},
    )
    assert patched.status_code == 200
    assert patched.get_json()["settings"]["maintenance_retry_minutes"] == 5
    before = _stored(database)
    wrong = admin_client.patch(
        "/api/v1/admin/platform-settings",
        json={
            "maintenance_mode": "yes",
            "maintenance_retry_minutes": True,
            "maintenance_message": 12,
            "colour": "blue",
            "registration_open": False,
        },
    )
    assert wrong.status_code == 422 and wrong.mimetype == "application/problem+json"
    problem = wrong.get_json()
    wrong_fields = {
        "maintenance_mode",
        "maintenance_retry_minutes",
        "maintenance_message",
        "colour",
    }
    assert problem["status"] == 422 and problem["field"] in wrong_fields
    assert {e["field"] for e in problem["errors"]} == wrong_fields
    assert all(e["detail"].startswith(e["field"]) for e in problem["errors"])  # named
    assert _stored(database) == before  # registration_open was right, but nothing changed
    for body in (None, [], {}):
        resp = admin_client.patch("/api/v1/admin/platform-settings", json=body)
        assert resp.status_code == 422 and resp.get_json()["field"] == "body"


def test_only_platform_admins_change_settings(login, make_user, database):
    user = make_user()
    assert login(user).get("/api/v1/admin/platform-settings").status_code == 403
    token = _token(database, user)
    resp = login(user).patch(
        "/api/v1/admin/platform-settings",
        json={"maintenance_mode": True},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert resp.status_code == 403
    assert "maintenance_mode" not in _stored(database)


# --- maintenance mode for each kind of caller ------------------------------------------------


def test_anonymous_visitors_get_the_maintenance_page(admin_client, client):
    _maintenance_on(admin_client, minutes="20")
    for path in ("/", "/blog", "/projects/", "/auth/register", "/sitemap.xml", "/no-such-page"):
        resp = client.get(path)
        assert resp.status_code == 503, path
        assert resp.headers["Retry-After"] == "1200", path
        if path != "/sitemap.xml":
            html = resp.get_data(as_text=True)
            assert MESSAGE in html and "Down for maintenance" in html, path
    # still open: sign-in (for the admins), health checks, static files
    assert client.get("/auth/login").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/static/css/app.css").status_code == 200


def test_signed_in_users_get_503_and_can_sign_out(admin_client, login, make_user):
    user_client = login(make_user())
    _maintenance_on(admin_client)
    resp = user_client.get("/projects/")
    assert resp.status_code == 503 and MESSAGE in resp.get_data(as_text=True)
    assert user_client.post("/admin/settings", data={}).status_code == 503
    assert user_client.post("/auth/logout").status_code == 302


def test_a_user_who_signs_in_during_maintenance_meets_the_page(admin_client, client, make_user):
    user = make_user()
    _maintenance_on(admin_client)
    resp = client.post("/auth/login", data={"email": user.email, "password": DEFAULT_PASSWORD})
    assert resp.status_code == 302
    assert client.get(resp.headers["Location"]).status_code == 503


def test_api_calls_get_problem_details_with_retry_after(admin_client, client, database, make_user):
    token = _token(database, make_user())
    _maintenance_on(admin_client, minutes="2")
    for path, headers in (
        ("/api/auth/me", {"Authorization": f"Bearer {token}"}),
        ("/api/v1/admin/platform-settings", {"Authorization": f"Bearer {token}"}),
        ("/api/account/notifications", {}),
    ):
        resp = client.get(path, headers=headers)
        assert resp.status_code == 503, path
        assert resp.mimetype == "application/problem+json", path
        assert resp.headers["Retry-After"] == "120"
        body = resp.get_json()
        assert body["status"] == 503 and body["detail"] == MESSAGE and body["title"]
    # a JSON client on a page's address gets the same
    resp = client.get("/blog", headers={"Accept": "application/json"})
    assert resp.status_code == 503 and resp.get_json()["detail"] == MESSAGE


def test_platform_admins_keep_working(admin_client, platform_admin, client, database):
    _maintenance_on(admin_client)
    for path in ("/", "/projects/", "/admin/settings", "/blog", "/admin/articles"):
        assert admin_client.get(path).status_code == 200, path
    token = _token(database, platform_admin)
    resp = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200
    # an admin who signs in during maintenance gets in
    fresh = client.post(
        "/auth/login", data={"email": platform_admin.email, "password": DEFAULT_PASSWORD}
    )
    assert fresh.status_code == 302 and client.get("/projects/").status_code == 200


def test_the_tracking_endpoint_keeps_accepting_events(admin_client, client, database):
    with database.system_session() as s:
        owner = create_user(s)
        project_id = create_project(s, owner)
        secret = create_key(s, project_id, "Website", created_by=owner.id).secret
    _maintenance_on(admin_client)
    resp = client.post(
        "/api/track",
        headers={"Authorization": f"Bearer {secret}"},
        json={"userIdentifier": "v1", "eventType": "page_view", "pageUrl": "https://x.example/"},
    )
    assert resp.status_code == 201, resp.get_json()
    with database.system_session() as s:
        assert s.scalar(select(AttributionEvent.project_id)) == project_id


def test_turning_maintenance_off_opens_the_site_again(admin_client, client):
    _maintenance_on(admin_client)
    assert client.get("/blog").status_code == 503
    resp = admin_client.post("/admin/settings", data={"registration_open": "on"})
    assert resp.status_code == 302
    assert client.get("/blog").status_code == 200
    assert "Retry-After" not in client.get("/blog").headers


def test_maintenance_without_a_message_says_so_plainly(admin_client, client):
    admin_client.patch("/api/v1/admin/platform-settings", json={"maintenance_mode": True})
    resp = client.get("/blog")
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "1800"
    assert "The platform is down for maintenance." in resp.get_data(as_text=True)
