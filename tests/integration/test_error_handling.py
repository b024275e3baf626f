"""One handler answers every DraError: it rolls back, then answers as the request asks
(JSON naming the field, the form page re-rendered with the input kept, or the error page)."""

from __future__ import annotations

from sqlalchemy import func, select

from dra.models import Project, User
from tests.support.factories import create_project, create_user


def _count_projects(database, owner_id: int) -> int:
    with database.system_session() as s:
        return s.scalar(
            select(func.count()).select_from(Project).where(Project.owner_id == owner_id)
        )


def test_a_refused_form_answers_json_to_an_api_client(login, database):
    with database.system_session() as s:
        owner = create_user(s)
        create_project(s, owner, name="Sales")
    client = login(owner)
    resp = client.post(
        "/projects/new",
        data={"name": "sales", "description": "kept"},
        headers={"Accept": "application/json"},
    )
    assert resp.status_code == 409 and resp.is_json
    body = resp.get_json()
    assert body["field"] == "name" and "already have a project" in body["message"]
    assert body["error"] == body["message"] and body["title"] == "Conflict"
    assert _count_projects(database, owner.id) == 1


def test_a_refused_form_is_shown_again_with_the_input_and_the_message(login, database):
    with database.system_session() as s:
        owner = create_user(s)
        create_project(s, owner, name="Sales")
    client = login(owner)
    resp = client.post("/projects/new", data={"name": "sales", "description": "my words"})
    assert resp.status_code == 409 and b"<html" in resp.data
    assert b"my words" in resp.data and b"already have a project" in resp.data
    assert _count_projects(database, owner.id) == 1


def test_a_missing_admin_object_answers_json_when_asked(login, make_user):
    admin = login(make_user(email="root@example.com", platform_admin=True))
    resp = admin.get("/admin/tiers/999999", headers={"Accept": "application/json"})
    assert resp.status_code == 404 and resp.is_json
    assert resp.get_json()["message"] == "Tier not found."
    page = admin.get("/admin/tiers/999999")
    assert page.status_code == 404 and b"Tier not found." in page.data


def test_the_account_api_names_the_invalid_field(login, database):
    with database.system_session() as s:
        user = create_user(s)
    client = login(user)
    resp = client.patch("/api/account/profile", json={"first_name": "x" * 500, "last_name": "Li"})
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["field"] == "first_name" and "first_name" in body["errors"]
    with database.system_session() as s:
        assert s.get(User, user.id).last_name != "Li"
