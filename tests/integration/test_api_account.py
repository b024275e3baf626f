"""The account area of the REST API (webapp/api/account.py): ``/api/v1/me`` with the plan's
limits and usage, API tokens (secret shown once, revoked tokens refused) and
notifications (paged, marked read), each scoped to the signed-in user."""

from __future__ import annotations

import pytest

from dra.accounts.api_tokens import create_api_token
from dra.accounts.notifications import notify
from tests.support.factories import create_project, create_user


@pytest.fixture
def people(database, app):
    """Two users with an API token each; ``ann`` owns a project and has 3 notifications."""
    with database.system_session() as s:
        ann, bob = create_user(s), create_user(s)
        create_project(s, ann)
        for n in range(3):
            notify(s, ann.id, type="info", title=f"note {n}")
        notify(s, bob.id, type="info", title="bob's")
        tokens = {"ann": create_api_token(s, ann.id, "t").secret}
        tokens["bob"] = create_api_token(s, bob.id, "t").secret
        ids = {"ann": ann.id, "bob": bob.id}
    client = app.test_client()

    def call(who: str, method: str, path: str, token: str | None = None, **kw):
        headers = {"Authorization": f"Bearer {token or tokens[who]}"}
        return client.open("/api/v1" + path, method=method, headers=headers, **kw)

    return call, ids


def test_me_shows_profile_tier_and_usage(people):
    call, ids = people
    me = call("ann", "GET", "/me")
    assert me.status_code == 200, me.get_data(as_text=True)
    body = me.get_json()
    assert body["id"] == ids["ann"] and body["role"] == "user"
    assert body["tier"]
    projects = next(u for u in body["usage"] if u["label"] == "Projects you own")
    assert projects["used"] == 1 and projects["maximum"] != 0
    assert [p["name"] for p in body["projects"]] and body["projects"][0]["usage"]


def test_tokens_create_list_revoke_and_refusals(people):
    call, _ids = people
    made = call("ann", "POST", "/account/tokens", json={"name": "ci", "expires_in_days": 30})
    assert made.status_code == 201, made.get_data(as_text=True)
    secret, token = made.get_json()["secret"], made.get_json()["token"]
    assert secret.startswith(token["prefix"]) and token["status"] == "active"
    assert call("ann", "GET", "/me", token=secret).status_code == 200  # the new token works
    listed = call("ann", "GET", "/account/tokens?limit=1").get_json()
    assert listed["total"] == 2 and [t["name"] for t in listed["items"]] == ["ci"]
    assert "secret" not in listed["items"][0]  # never shown again

    bad = call("ann", "POST", "/account/tokens", json={"name": "", "expires_in_days": 3})
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert {e["field"] for e in bad.get_json()["errors"]} == {"name"}
    odd = call("ann", "POST", "/account/tokens", json={"name": "x", "expires_in_days": 3})
    assert odd.status_code == 422 and odd.get_json()["field"] == "expires_in_days"

    assert call("bob", "DELETE", f"/account/tokens/{token['id']}").status_code == 404
    revoked = call("ann", "DELETE", f"/account/tokens/{token['id']}")
    assert revoked.status_code == 200 and revoked.get_json()["status"] == "revoked"
    assert call("ann", "GET", "/me", token=secret).status_code == 401
    assert call("ann", "GET", "/account/tokens").get_json()["total"] == 2


def test_notifications_paged_and_marked_read(people):
    call, _ids = people
    page = call("ann", "GET", "/account/notifications?limit=2&page=1").get_json()
    assert (page["total"], page["page"], page["limit"]) == (3, 1, 2)
    assert [n["read"] for n in page["items"]] == [False, False]
    first = page["items"][0]["id"]
    assert call("bob", "PATCH", f"/account/notifications/{first}/read").status_code == 404
    marked = call("ann", "PATCH", f"/account/notifications/{first}/read")
    assert marked.get_json() == {"updated": 1, "unread": 2}
    assert call("ann", "PATCH", "/account/notifications/read-all").get_json() == {
        "updated": 2,
        "unread": 0,
    }
    bob = call("bob", "GET", "/account/notifications").get_json()
    assert bob["total"] == 1 and not bob["items"][0]["read"]  # ann's calls left bob's alone
    too_many = call("ann", "GET", "/account/notifications?limit=101")
    assert too_many.status_code == 422 and too_many.get_json()["field"] == "limit"
