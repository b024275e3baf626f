"""The admin area of the REST API (webapp/admin/api.py): users (search, get, suspend,
tier), tiers (list, create, update) and backups (list, start: 202, restore status), for
platform admins only (403 for everyone else), with the admin pages' rules."""

from __future__ import annotations

import pytest

from dra.accounts.api_tokens import create_api_token
from dra.models import Backup, PipelineRequest, SubscriptionTier, User
from tests.support.factories import create_user


@pytest.fixture
def admin_api(database, app):
    """A platform admin and a plain user (API tokens), and a user named ``Zoe Quartz``."""
    with database.system_session() as s:
        admin = create_user(s, platform_admin=True)
        plain = create_user(s)
        zoe = create_user(s, email="zoe.quartz@example.org")
        tokens = {
            "admin": create_api_token(s, admin.id, "t").secret,
            "plain": create_api_token(s, plain.id, "t").secret,
        }
        ids = {"admin": admin.id, "plain": plain.id, "zoe": zoe.id}
    client = app.test_client()

    def call(who: str, method: str, path: str, **kw):
        headers = {"Authorization": f"Bearer {tokens[who]}"}
        return client.open("/api/v1/admin" + path, method=method, headers=headers, **kw)

    return call, ids


def test_users_search_get_suspend_and_tier(admin_api, database):
    call, ids = admin_api
    found = call("admin", "GET", "/users?q=QUARTZ")
    assert found.status_code == 200, found.get_data(as_text=True)
    body = found.get_json()
    assert (body["total"], body["page"], body["limit"]) == (1, 1, 50)
    assert body["items"][0]["id"] == ids["zoe"] and not body["items"][0]["suspended"]

    zoe = f"/users/{ids['zoe']}"
    suspended = call("admin", "PUT", zoe + "/suspension", json={"suspended": True})
    assert suspended.status_code == 200 and suspended.get_json()["suspended"] is True
    assert call("admin", "GET", zoe).get_json()["suspended"] is True
    own = call("admin", "PUT", f"/users/{ids['admin']}/suspension", json={"suspended": True})
    assert own.status_code == 400 and "own account" in own.get_json()["detail"]
    back = call("admin", "PUT", zoe + "/suspension", json={"suspended": False})
    assert back.get_json()["suspended"] is False

    pro_id = call("admin", "POST", "/tiers", json={"name": "API Pro"}).get_json()["id"]
    moved = call("admin", "PUT", zoe + "/tier", json={"tier_id": pro_id})
    assert moved.status_code == 200 and moved.get_json()["tier"] == "API Pro"
    unknown = call("admin", "PUT", zoe + "/tier", json={"tier_id": 987654321})
    assert unknown.status_code == 400 and unknown.get_json()["field"] == "tier_id"
    bad = call("admin", "PUT", zoe + "/suspension", json={"suspended": "yes", "x": 1})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.get_json()["errors"]} == {"suspended", "x"}

    # not a platform admin: refused, and nothing changed
    assert call("plain", "GET", "/users").status_code == 403
    refused = call("plain", "PUT", zoe + "/suspension", json={"suspended": True})
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    with database.system_session() as s:
        assert s.get(User, ids["zoe"]).suspended_at is None
    assert call("admin", "GET", "/users/987654321").status_code == 404


def test_tiers_list_create_update(admin_api, database):
    call, _ids = admin_api
    made = call(
        "admin",
        "POST",
        "/tiers",
        json={"name": "Team", "monthly_price": "49.50", "max_projects": 10},
    )
    assert made.status_code == 201, made.get_data(as_text=True)
    tier = made.get_json()
    assert tier["max_projects"] == 10 and tier["max_dashboards"] == -1
    assert float(tier["monthly_price"]) == 49.5
    taken = call("admin", "POST", "/tiers", json={"name": "team"})
    assert taken.status_code == 409 and taken.get_json()["field"] == "name"
    bad = call("admin", "POST", "/tiers", json={"name": "", "max_projects": -2})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.get_json()["errors"]} == {"name", "max_projects"}

    changed = call(
        "admin", "PUT", f"/tiers/{tier['id']}", json={"name": "Team+", "max_projects": 20}
    )
    assert changed.status_code == 200 and changed.get_json()["name"] == "Team+"
    listed = call("admin", "GET", "/tiers?limit=200").get_json()
    assert any(t["name"] == "Team+" and t["max_projects"] == 20 for t in listed["items"])

    assert call("plain", "POST", "/tiers", json={"name": "Mine"}).status_code == 403
    with database.system_session() as s:
        assert s.query(SubscriptionTier).filter_by(name="Mine").count() == 0


def test_backups_list_start_poll_and_restore_status(admin_api, database):
    call, ids = admin_api
    started = call("admin", "POST", "/backups")
    assert started.status_code == 202, started.get_data(as_text=True)
    body = started.get_json()
    backup_id = body["backup"]["id"]
    assert started.headers["Location"] == f"/api/v1/admin/backups/{backup_id}"
    assert body["backup"]["status"] == "queued" and body["backup"]["open"] is True
    with database.system_session() as s:
        req = s.get(PipelineRequest, body["request_id"])
        assert (req.kind, req.target_id) == ("backup", backup_id)
    polled = call("admin", "GET", f"/backups/{backup_id}")
    assert polled.status_code == 200 and polled.get_json()["status"] == "queued"
    listed = call("admin", "GET", "/backups?limit=1").get_json()
    assert listed["total"] >= 1 and listed["items"][0]["id"] == backup_id
    assert listed["items"][0]["exists"] is False  # queued: no file yet

    busy = call("admin", "POST", "/backups")  # one operation at a time, as on the page
    assert busy.status_code == 409 and busy.mimetype == "application/problem+json"

    with database.system_session() as s:
        done = Backup(file_name="api-restored.zip", status="succeeded")
        s.add(done)
        s.flush()
        restore = PipelineRequest(kind="restore", target_id=done.id, status="succeeded")
        s.add(restore)
        s.flush()
        restore_id = restore.id
    state = call("admin", "GET", f"/restores/{restore_id}").get_json()
    assert state["file_name"] == "api-restored.zip" and state["open"] is False
    assert call("admin", "GET", f"/restores/{body['request_id']}").status_code == 404

    assert call("plain", "GET", "/backups").status_code == 403
    assert call("plain", "POST", "/backups").status_code == 403
    with database.system_session() as s:
        assert s.query(Backup).count() == 2  # the refused calls started nothing
