"""The REST API's later areas on the same conventions (webapp/api ``operation``):
attribution (reports, funnel, journeys, write keys), advertising sources (read), and the
input PostgreSQL cannot take (NUL text, ids past bigint, a host that is no host name)
refused naming the field instead of a 500. The AI modeler, insights and admin settings
keep their own tests (test_ai_web, test_insights_web, test_maintenance_mode); the
document's side of every area is checked here and fuzzed in test_api_schema."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import BaseModel
from sqlalchemy import func, select

from dra.accounts.api_tokens import create_api_token
from dra.models import AttributionEvent, AttributionTrackingKey, Dashboard, DataSource
from tests.support.factories import add_member, create_project, create_user

T0 = datetime(2026, 10, 5, 10, tzinfo=UTC)
RANGE = {"start_date": "2026-10-01", "end_date": "2026-11-30"}


@pytest.fixture
def world(database, app):
    """A project with an owner, an editor and a viewer (API tokens), and visitors' events."""
    with database.system_session() as s:
        users = {role: create_user(s) for role in ("owner", "editor", "viewer")}
        project_id = create_project(s, users["owner"])
        add_member(s, project_id, users["editor"], "editor")
        add_member(s, project_id, users["viewer"], "viewer")
        for user, hours, kind, channel in (
            ("u1", 0, "page_view", "paid"),
            ("u1", 2, "page_view", "email"),
            ("u1", 3, "signup", None),
            ("u1", 4, "purchase", None),
            ("u2", 0, "page_view", "paid"),
            ("u2", 1, "purchase", None),
            ("u3", 0, "page_view", "organic"),
        ):
            s.add(
                AttributionEvent(
                    project_id=project_id,
                    user_identifier=user,
                    event_type=kind,
                    channel=channel,
                    occurred_at=T0 + timedelta(hours=hours),
                )
            )
        tokens = {role: create_api_token(s, u.id, "t").secret for role, u in users.items()}
    client = app.test_client()

    def as_(role: str):
        headers = {"Authorization": f"Bearer {tokens[role]}"}
        base = f"/api/v1/projects/{project_id}"
        return lambda method, path, **kw: client.open(
            base + path, method=method, headers=headers, **kw
        )

    return {"project_id": project_id, **{role: as_(role) for role in tokens}}


def problem(resp, status: int, field: str) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["field"] == field and body["detail"], body
    return body


def test_every_api_route_is_declared_in_the_document(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    routes = {
        (r.rule, m)
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/api/v1/") and r.endpoint != "api_docs.openapi_json"
        for m in r.methods - {"HEAD", "OPTIONS"}
    }
    for rule, method in routes:
        path = rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
        operation = doc["paths"][path][method.lower()]
        answers = [code for code in operation["responses"] if code.startswith("2")]
        assert answers, (method, path)
    schemas = doc["components"]["schemas"]
    assert "AnyJSON" not in schemas  # no route listed with a loose schema any more
    report = schemas["AttributionReportIn"]["properties"]
    assert report["lookback_days"]["anyOf"][0]["maximum"] == 365
    assert "conversion_types" in report and "purchase" in report["conversion_types"]["description"]
    settings = schemas["PlatformSettingsIn"]["properties"]
    assert settings["maintenance_retry_minutes"]["anyOf"][0]["maximum"] == 1440
    assert schemas["PlatformSettingsIn"]["additionalProperties"] is False


def test_two_models_of_one_name_stop_the_app():
    from webapp.api import Model, operation

    def declare():
        class Twin(Model):
            n: int

        return Twin

    operation("user", resp={200: declare()})
    with pytest.raises(TypeError, match="two API models are named Twin"):
        operation("user", resp={200: type("Twin", (BaseModel,), {"__annotations__": {}})})


def test_reports_are_paged_and_keep_their_first_answer(world):
    for model in ("linear", "first_touch", "markov"):
        made = world["editor"]("POST", "/attribution/reports", json={"model": model, **RANGE})
        assert made.status_code == 201, made.get_data(as_text=True)
    page = world["viewer"]("GET", "/attribution/reports?limit=2&page=1").get_json()
    assert (page["total"], page["page"], page["limit"]) == (3, 1, 2)
    assert [r["model"] for r in page["items"]] == ["markov", "first_touch"]  # newest first
    assert page["reports"] == page["items"]
    problem(world["viewer"]("GET", "/attribution/reports?limit=0"), 400, "limit")


def test_funnel_and_journeys(world):
    body = {"steps": ["page_view", "signup", "purchase"], "window_days": 30, **RANGE}
    funnel = world["editor"]("POST", "/attribution/funnel", json=body)
    assert funnel.status_code == 200, funnel.get_data(as_text=True)
    steps = funnel.get_json()["steps"]
    assert [(s["label"], s["users"]) for s in steps] == [
        ("page_view", 3),
        ("signup", 1),
        ("purchase", 1),
    ]
    assert steps[1]["conversion_pct"] == pytest.approx(100 / 3)
    assert world["viewer"]("POST", "/attribution/funnel", json=body).status_code == 403
    problem(world["editor"]("POST", "/attribution/funnel", json={"steps": ["a"]}), 400, "steps")
    wrong = world["editor"]("POST", "/attribution/funnel", json={**body, "window_days": 0})
    problem(wrong, 400, "window_days")

    journeys = world["viewer"]("GET", "/attribution/journeys", query_string={**RANGE, "depth": 3})
    assert journeys.status_code == 200, journeys.get_data(as_text=True)
    paths = {
        tuple(p["steps"]): (p["users"], p["conversions"]) for p in journeys.get_json()["paths"]
    }
    # a signup without a channel is a direct touch; u1's path is cut at depth 3
    assert paths == {
        ("paid", "email", "direct"): (1, 1),
        ("paid",): (1, 1),
        ("organic",): (1, 0),
    }
    problem(world["viewer"]("GET", "/attribution/journeys?depth=99"), 400, "depth")
    problem(world["viewer"]("GET", "/attribution/journeys?by=colour"), 400, "by")


def test_write_keys(world, database):
    made = world["owner"](
        "POST", "/attribution/keys", json={"name": "Website", "allowed_origins": ["https://a.io"]}
    )
    assert made.status_code == 201, made.get_data(as_text=True)
    key, secret = made.get_json()["key"], made.get_json()["secret"]
    assert secret.startswith("dra_wk_") and key["allowed_origins"] == ["https://a.io"]
    listed = world["owner"]("GET", "/attribution/keys").get_json()
    assert [k["id"] for k in listed["items"]] == [key["id"]] and secret not in str(listed)
    assert world["editor"]("GET", "/attribution/keys").status_code == 403  # owners and admins

    bad = world["owner"](
        "PUT", f"/attribution/keys/{key['id']}/origins", json={"allowed_origins": ["ftp://x"]}
    )
    assert bad.status_code == 400 and bad.get_json()["field"] == "allowed_origins"
    moved = world["owner"](
        "PUT", f"/attribution/keys/{key['id']}/origins", json={"allowed_origins": []}
    )
    assert moved.status_code == 200 and moved.get_json()["allowed_origins"] == []
    revoked = world["owner"]("POST", f"/attribution/keys/{key['id']}/revoke")
    assert revoked.status_code == 200 and revoked.get_json()["revoked_at"]
    again = world["owner"](
        "PUT", f"/attribution/keys/{key['id']}/origins", json={"allowed_origins": []}
    )
    assert again.status_code == 409
    problem(world["owner"]("POST", "/attribution/keys", json={"name": "  "}), 400, "name")
    with database.system_session() as s:
        assert s.scalar(select(func.count()).select_from(AttributionTrackingKey)) == 1


def test_advertising_sources_are_read_only(world, database):
    with database.system_session() as s:
        s.add_all(
            [
                DataSource(project_id=world["project_id"], name="Ads", type="google_ads"),
                DataSource(project_id=world["project_id"], name="orders.csv", type="csv"),
            ]
        )
    platforms = world["viewer"]("GET", "/advertising/platforms").get_json()["platforms"]
    keys = [p["key"] for p in platforms]
    assert {"google_ads", "meta_ads", "linkedin_ads"} <= set(keys)
    google = platforms[keys.index("google_ads")]
    assert google["configured"] is False  # no OAuth app in the test settings
    assert google["connect_url"] == (f"/projects/{world['project_id']}/sources/connect/google_ads")
    sources = world["viewer"]("GET", "/advertising/sources").get_json()
    assert (sources["total"], [s["type"] for s in sources["items"]]) == (1, ["google_ads"])
    status = world["viewer"]("GET", f"/sources/{sources['items'][0]['id']}/status")
    assert status.status_code == 200 and status.get_json()["request"] is None


def test_text_and_ids_postgresql_cannot_take_are_refused_naming_the_field(world, database):
    bad = world["editor"]("POST", "/dashboards", json={"name": "x", "description": "a\x00b"})
    problem(bad, 422, "description")
    nested = world["editor"]("POST", "/attribution/funnel", json={"steps": ["a", "b\x00"]})
    problem(nested, 400, "steps.1")  # this area's refusals are 400
    lone = world["editor"]("POST", "/dashboards", json={"name": "\ud800"})
    assert problem(lone, 422, "name")["detail"].startswith("name: ")
    query = world["viewer"]("GET", "/attribution/journeys?start_date=%00")
    problem(query, 400, "start_date")
    huge = world["editor"]("POST", "/ai/initialize", json={"dataSources": [2**70]})
    problem(huge, 400, "dataSources.0")
    host = world["owner"](
        "POST",
        "/sources",
        json={
            "name": "Shop",
            "type": "mysql",
            "host": "\u092a\u0928 \u0625\u0644\u0627",
            "port": 3306,
            "database_name": "shop",
            "username": "u",
            "tables": ["orders"],
        },
    )
    problem(host, 400, "host")
    with database.system_session() as s:
        assert s.scalar(select(func.count()).select_from(Dashboard)) == 0
        assert s.scalar(select(func.count()).select_from(DataSource)) == 0


def test_an_id_past_bigint_in_a_path_is_not_found(world, login, database):
    huge = 2**70
    problem_ = world["viewer"]("GET", f"/dashboards/{huge}")
    assert problem_.status_code == 404 and problem_.mimetype == "application/problem+json"
    assert world["viewer"]("GET", f"/sources/{huge}/status").status_code == 404
    with database.system_session() as s:
        user = create_user(s)
    assert login(user).get(f"/projects/{huge}").status_code == 404  # the pages too
