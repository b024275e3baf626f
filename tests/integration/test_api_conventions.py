"""The REST API's conventions (webapp/api): the document, the docs page, tokens, JSON only,
problem details with every invalid field, 404 for another project, paging, 202 + Location."""

from __future__ import annotations

import json
import re

from dra.accounts.api_tokens import create_api_token
from dra.cli import main as dra_main
from dra.models import DataSource
from tests.support.factories import add_member, create_project, create_user


def _editor(database, *, projects: int = 1):
    with database.system_session() as s:
        owner, editor = create_user(s), create_user(s)
        ids = []
        for _ in range(projects):
            pid = create_project(s, owner)
            add_member(s, pid, editor, "editor")
            ids.append(pid)
        token = create_api_token(s, editor.id, "t").secret
    return {"Authorization": f"Bearer {token}"}, ids


def test_document_is_openapi_31_with_every_area_and_problem_errors(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0"
    paths = doc["paths"]
    for path in (
        "/api/v1/projects",
        "/api/v1/projects/{project_id}/members/{member_id}",
        "/api/v1/projects/{project_id}/requests/{request_id}",
        "/api/v1/projects/{project_id}/sources/files",
        "/api/v1/projects/{project_id}/models/{model_id}/dbt",
        "/api/v1/projects/{project_id}/dashboards/{dashboard_id}/widgets/{widget_id}/data.csv",
        "/api/v1/projects/{project_id}/models/{model_id}/quality/rules",
        "/api/v1/admin/platform-settings",  # an earlier route, listed
    ):
        assert path in paths, path
    upload = paths["/api/v1/projects/{project_id}/sources/files"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    answers = paths["/api/v1/projects"]["post"]["responses"]
    assert list(answers["422"]["content"]) == ["application/problem+json"]
    assert "201" in answers
    assert {"token", "session"} <= set(doc["components"]["securitySchemes"])


def test_docs_page_loads_nothing_from_outside(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert refs and all(r.startswith("/") for r in refs), refs
    assert "<script>" not in html  # the CSP runs no inline script
    for ref in refs:
        asset = client.get(ref)
        assert asset.status_code == 200, ref
    bundle = client.get("/api/docs/assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.data) > 500_000


def test_cli_writes_the_document(tmp_path, monkeypatch, database):
    monkeypatch.setenv("DRA_DATABASE_URL", database.url)
    out = tmp_path / "api" / "openapi.json"
    assert dra_main(["api", "docs", "--output", str(out)]) == 0
    assert json.loads(out.read_text())["openapi"] == "3.1.0"


def test_token_required_and_json_only(client, database):
    assert client.get("/api/v1/projects").status_code == 401
    headers, _ = _editor(database)
    resp = client.post("/api/v1/projects", data={"name": "x"}, headers=headers)
    assert resp.status_code == 415
    assert resp.mimetype == "application/problem+json"
    assert resp.get_json()["field"] == "body"
    for raw in ("\x00", "[1]", "{"):  # not one JSON object: refused, not read as {}
        resp = client.post(
            "/api/v1/projects", data=raw, content_type="application/json", headers=headers
        )
        assert resp.status_code == 400, raw
        assert resp.get_json()["field"] == "body"


def test_validation_lists_every_bad_field_and_changes_nothing(client, database):
    headers, _ = _editor(database)
    before = client.get("/api/v1/projects", headers=headers).get_json()["total"]
    resp = client.post(
        "/api/v1/projects", json={"name": 7, "colour": "red", "description": []}, headers=headers
    )
    assert resp.status_code == 422
    body = resp.get_json()
    assert resp.mimetype == "application/problem+json"
    assert {e["field"] for e in body["errors"]} == {"name", "colour", "description"}
    assert all(e["pointer"] == "#/" + e["field"] for e in body["errors"])
    assert client.get("/api/v1/projects", headers=headers).get_json()["total"] == before


def test_core_refusal_is_a_problem_naming_the_field(client, database):
    headers, _ = _editor(database)
    resp = client.post("/api/v1/projects", json={"name": "   "}, headers=headers)
    assert resp.status_code == 400
    assert resp.get_json()["field"] == "name"


def test_another_projects_objects_are_not_found(client, database):
    headers, (mine,) = _editor(database)
    with database.system_session() as s:
        stranger = create_user(s)
        theirs = create_project(s, stranger)
        source = DataSource(project_id=theirs, name="secret.csv", type="csv")
        s.add(source)
        s.flush()
        source_id = source.id
    assert client.get(f"/api/v1/projects/{theirs}", headers=headers).status_code == 404
    # their source asked for under my project: as if it did not exist
    resp = client.get(f"/api/v1/projects/{mine}/sources/{source_id}", headers=headers)
    assert resp.status_code == 404
    assert resp.mimetype == "application/problem+json"


def test_lists_are_paged_with_the_total(client, database):
    headers, _ = _editor(database, projects=3)
    first = client.get("/api/v1/projects?limit=2&page=1", headers=headers).get_json()
    second = client.get("/api/v1/projects?limit=2&page=2", headers=headers).get_json()
    assert (first["total"], len(first["items"]), len(second["items"])) == (3, 2, 1)
    ids = [p["id"] for p in first["items"] + second["items"]]
    assert ids == sorted(ids, reverse=True)  # newest first, as stated
    bad = client.get("/api/v1/projects?limit=0&page=x", headers=headers)
    assert bad.status_code == 422
    assert {e["field"] for e in bad.get_json()["errors"]} == {"limit", "page"}


def test_long_work_answers_202_with_the_request_to_poll(client, database):
    headers, (pid,) = _editor(database)
    with database.system_session() as s:
        source = DataSource(project_id=pid, name="orders.csv", type="csv")
        s.add(source)
        s.flush()
        source_id = source.id
    # editors refresh sources (UC-DS-14), as on the page; deleting one stays the owner's
    resp = client.post(f"/api/v1/projects/{pid}/sources/{source_id}/refresh", headers=headers)
    assert resp.status_code == 202, resp.get_data(as_text=True)
    assert re.fullmatch(rf"/api/v1/projects/{pid}/requests/\d+", resp.headers["Location"])
    resp = client.delete(f"/api/v1/projects/{pid}/sources/{source_id}", headers=headers)
    assert resp.status_code == 403
    resp = client.post(
        f"/api/v1/projects/{pid}/models",
        json={"name": "One", "sql": "select 1 as n"},
        headers=headers,
    )
    assert resp.status_code == 202, resp.get_data(as_text=True)
    location = resp.headers["Location"]
    assert re.fullmatch(rf"/api/v1/projects/{pid}/requests/\d+", location)
    polled = client.get(location, headers=headers).get_json()
    assert polled["status"] == "queued" and polled["kind"] == "refresh_model"
    assert resp.get_json()["model"]["name"] == "One"
