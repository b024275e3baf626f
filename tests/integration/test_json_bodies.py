"""Every JSON request body is bounded in nesting and size before it is parsed: a deeply
nested body answers 400 naming the body (not a 500), an oversized one 413, and nothing
changes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from dra.attribution.keys import create_key
from dra.models import AttributionEvent, Dashboard, User
from tests.support.factories import create_project, create_user, project_with_roles

DEEP = "[" * 5000 + "]" * 5000


def _post_json(client, url, text, method="post", **kwargs):
    return getattr(client, method)(url, data=text, content_type="application/json", **kwargs)


def _refused(resp, status=400):
    assert resp.status_code == status, (resp.status_code, resp.data[:300])
    body = resp.get_json()
    assert body["field"] == "body" and "body" in body["message"]
    return body


def test_tracking_api_refuses_a_deeply_nested_body(client, database):
    with database.system_session() as s:
        owner = create_user(s)
        project_id = create_project(s, owner)
        key = create_key(s, project_id, "Website", created_by=owner.id).secret
    nested_event = (
        '{"userIdentifier": "u1", "eventType": "click", "customData": {"a": ' + DEEP + "}}"
    )
    for url in ("/api/track", "/api/track/batch"):
        body = _refused(_post_json(client, url, nested_event, headers={"X-Write-Key": key}))
        assert "nested too deeply" in body["message"]
    with database.system_session() as s:
        assert s.scalar(select(func.count()).select_from(AttributionEvent)) == 0


def test_signed_in_json_routes_refuse_deep_bodies_and_change_nothing(login, database):
    with database.system_session() as s:
        roles = project_with_roles(s)
    editor = login(roles.editor)
    created = editor.post(f"/projects/{roles.project_id}/dashboards", json={"name": "Sales"})
    board_id = created.json["id"]
    with database.system_session() as s:
        version = s.get(Dashboard, board_id).version
    layout = '{"version": ' + str(version) + ', "widgets": ' + DEEP + "}"
    project = f"/projects/{roles.project_id}"
    _refused(_post_json(editor, f"{project}/dashboards/{board_id}/layout", layout))
    _refused(_post_json(editor, f"{project}/models", '{"name": ' + DEEP + "}"))
    _refused(
        _post_json(editor, "/api/account/profile", '{"first_name": ' + DEEP + "}", method="patch")
    )
    with database.system_session() as s:
        assert s.get(Dashboard, board_id).version == version
        assert s.get(User, roles.editor.id).first_name != "["


def test_an_oversized_json_body_answers_413(login, database, monkeypatch):
    import webapp.request_class as request_class

    monkeypatch.setattr(request_class, "JSON_BODY_MAX_BYTES", 1024)
    with database.system_session() as s:
        roles = project_with_roles(s)
    editor = login(roles.editor)
    text = '{"first_name": "' + "x" * 2000 + '"}'
    body = _refused(_post_json(editor, "/api/account/profile", text, method="patch"), 413)
    assert "1 KB" in body["message"]


@pytest.mark.parametrize("depth", [1, 20])
def test_ordinary_bodies_still_parse(login, database, depth):
    with database.system_session() as s:
        roles = project_with_roles(s)
    editor = login(roles.editor)
    nested = "[" * depth + "]" * depth
    resp = _post_json(
        editor,
        "/api/account/profile",
        '{"first_name": "Zoe", "last_name": "", "extra": ' + nested + "}",
        method="patch",
    )
    assert resp.status_code == 200, resp.data
