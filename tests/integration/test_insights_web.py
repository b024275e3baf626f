"""AI insights in the web app: the JSON API under /api/v1/projects/<id>/ (API tokens),
the pages and their forms (session cookie), problem details on every refusal, the
shared hourly AI limit, and the out-of-date mark after a rebuild. The real google-genai
client talks to a local fake Gemini server."""

from __future__ import annotations

import re
from dataclasses import fields
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from dra.accounts.api_tokens import create_api_token
from dra.ai.errors import PROVIDER_UNAVAILABLE
from dra.insights.service import NO_DATA
from dra.models import AIUsage, Dashboard, DashboardWidget, DataModel, Insight
from tests.support.ai import make_ai_app
from tests.support.factories import DEFAULT_PASSWORD, project_with_roles
from tests.support.insights import planted_model, rebuild

GOOD = {
    "title": "Amount jumped on the last day",
    "text": "The total amount rose 73.7% (+601) on 2026-03-31, almost all from DE (99.7%).",
    "severity": "warning",
    "fact_ids": ["change:amount:day", "driver:amount:country=DE"],
}
HOSTILE = {
    "title": "<script>alert('pwned')</script>",
    "text": "The total amount was 5,813 on 2026-02-10 <img src=x onerror=alert(document.domain)>.",
    "severity": "critical",
    "fact_ids": ["anomaly:amount:2026-02-10"],
}


@pytest.fixture
def world(database):
    with database.system_session() as s:
        roles = project_with_roles(s)
    model = planted_model(database, roles.project_id)
    with database.system_session() as s:
        tokens = {
            role: create_api_token(s, roles.user(role).id, "insights").secret
            for role in ("owner", "editor", "viewer", "outsider")
        }
        unbuilt = DataModel(project_id=roles.project_id, name="Unbuilt", query="select 1")
        board = Dashboard(project_id=roles.project_id, name="Sales board", layout={}, filters={})
        s.add_all([unbuilt, board])
        s.flush()
        s.add(DashboardWidget(dashboard_id=board.id, data_model_id=model, chart_type="bar"))
        s.add(DashboardWidget(dashboard_id=board.id, data_model_id=unbuilt.id, chart_type="bar"))
        ids = {"unbuilt": unbuilt.id, "board": board.id}
    named = {f.name: getattr(roles, f.name) for f in fields(roles)}
    return SimpleNamespace(**named, model=model, tokens=tokens, **ids)


class Api:
    def __init__(self, app, project_id: int, token: str):
        self.client = app.test_client()
        self.base = f"/api/v1/projects/{project_id}"
        self.headers = {"Authorization": f"Bearer {token}"}

    def __call__(self, method: str, path: str, **kw):
        return self.client.open(self.base + path, method=method, headers=self.headers, **kw)


def problem(resp, status: int) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json(force=True)
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def signed_in(app, user):
    client = app.test_client()
    resp = client.post("/auth/login", data={"email": user.email, "password": DEFAULT_PASSWORD})
    assert resp.status_code == 302
    return client


def stored(database) -> int:
    with database.system_session() as s:
        return int(s.scalar(select(func.count()).select_from(Insight)))


# --- JSON --------------------------------------------------------------------------------


def test_generate_then_list_through_json_with_an_api_token(ai_app, database, world, gemini):
    gemini.answer({"insights": [GOOD]})
    editor = Api(ai_app, world.project_id, world.tokens["editor"])
    created = editor("POST", f"/models/{world.model}/insights")
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.headers["Location"].endswith(f"/models/{world.model}/insights")
    body = created.get_json()["insightSet"]
    assert body["mode"] == "ai" and body["stale"] is False and body["modelVersion"] == 1
    assert [i["title"] for i in body["insights"]] == [GOOD["title"]]
    assert body["facts"]["rows"] == 720 and body["facts"]["facts"][0]["sql"]

    viewer = Api(ai_app, world.project_id, world.tokens["viewer"])
    listed = viewer("GET", f"/models/{world.model}/insights")
    assert listed.status_code == 200
    data = listed.get_json()
    assert data["stale"] is False and data["model"]["hasData"]
    assert "facts" not in data["insightSets"][0]
    with_facts = viewer("GET", f"/models/{world.model}/insights?facts=1").get_json()
    ids = [f["id"] for f in with_facts["insightSets"][0]["facts"]["facts"]]
    assert "anomaly:amount:2026-02-10" in ids and "driver:amount:country=DE" in ids

    rebuild(database, world.model)
    again = viewer("GET", f"/models/{world.model}/insights").get_json()
    assert again["stale"] is True and again["insightSets"][0]["currentVersion"] == 2


def test_refusals_are_problem_details_and_change_nothing(ai_app, database, world, gemini):
    editor = Api(ai_app, world.project_id, world.tokens["editor"])
    body = problem(editor("POST", f"/models/{world.unbuilt}/insights"), 400)
    assert body["detail"] == NO_DATA == "Cannot generate insights: no data available."
    problem(editor("POST", "/models/999999/insights"), 404)
    gemini.error(500, "boom")
    body = problem(editor("POST", f"/models/{world.model}/insights"), 502)
    assert body["detail"] == PROVIDER_UNAVAILABLE
    with database.system_session() as s:  # the editor is on the default Free tier: 10
        month = datetime.now(UTC).date().replace(day=1)
        s.add(AIUsage(user_id=world.editor.id, month=month, count=10))
    body = problem(editor("POST", f"/models/{world.model}/insights"), 403)
    assert "Upgrade your plan" in body["detail"] and "AI generations" in body["detail"]
    assert len(gemini.requests) == 1 and stored(database) == 0


def test_viewers_read_others_are_kept_out(ai_app, world):
    viewer = Api(ai_app, world.project_id, world.tokens["viewer"])
    problem(viewer("POST", f"/models/{world.model}/insights"), 403)
    problem(viewer("POST", f"/dashboards/{world.board}/insights"), 403)
    assert viewer("GET", f"/dashboards/{world.board}/insights").status_code == 200
    outsider = Api(ai_app, world.project_id, world.tokens["outsider"])
    problem(outsider("GET", f"/models/{world.model}/insights"), 404)
    problem(outsider("POST", f"/models/{world.model}/insights"), 404)
    anonymous = ai_app.test_client().get(
        f"/api/v1/projects/{world.project_id}/models/{world.model}/insights"
    )
    problem(anonymous, 401)


def test_a_dashboard_generates_one_set_per_model_with_data(ai_app, world, gemini):
    gemini.answer({"insights": [GOOD]})
    owner = Api(ai_app, world.project_id, world.tokens["owner"])
    created = owner("POST", f"/dashboards/{world.board}/insights")
    assert created.status_code == 201, created.get_data(as_text=True)
    sets = created.get_json()["insightSets"]
    assert [s["modelId"] for s in sets] == [world.model] and sets[0]["dashboardId"] == world.board
    listed = owner("GET", f"/dashboards/{world.board}/insights").get_json()
    assert [(m["model"]["name"], len(m["insightSets"])) for m in listed["models"]] == [
        ("Planted sales", 1),
        ("Unbuilt", 0),
    ]


def test_generating_insights_shares_the_hourly_ai_limit_with_the_chat(
    database, tmp_path, world, gemini
):
    app = make_ai_app(database, tmp_path, gemini=None, RATELIMIT_ENABLED=True)
    try:
        editor = Api(app, world.project_id, world.tokens["editor"])
        codes = [editor("POST", f"/models/{world.model}/insights").status_code for _ in range(19)]
        assert codes == [201] * 19  # offline: no AI generation counted, the rate still is
        chat = editor.client.post(
            f"/api/v1/projects/{world.project_id}/ai/chat",
            json={"dataSources": [1], "message": "hi"},
            headers=editor.headers,
        )
        assert chat.status_code != 429  # the 20th AI request of the hour
        blocked = editor("POST", f"/models/{world.model}/insights")
        body = problem(blocked, 429)
        assert int(blocked.headers["Retry-After"]) > 0 and "20 AI requests" in body["detail"]
        assert editor("GET", f"/models/{world.model}/insights").status_code == 200  # reading
        owner = Api(app, world.project_id, world.tokens["owner"])
        assert owner("POST", f"/models/{world.model}/insights").status_code == 201  # per user
    finally:
        app.extensions["dra_database"].dispose()


# --- pages ---------------------------------------------------------------------------------


def test_the_insights_tab_generates_with_a_form_and_shows_numbers_and_sql(
    ai_app, database, world, gemini
):
    gemini.answer({"insights": [HOSTILE, GOOD]})
    editor = signed_in(ai_app, world.editor)
    page = f"/projects/{world.project_id}/models/{world.model}/insights"
    empty = editor.get(page).get_data(as_text=True)
    assert "No insights yet" in empty and "Generate insights" in empty
    assert "Insights" in editor.get(f"/projects/{world.project_id}/models/{world.model}").get_data(
        as_text=True
    )
    resp = editor.post(page)
    assert resp.status_code == 303 and resp.headers["Location"].endswith(page)
    html = editor.get(page).get_data(as_text=True)
    assert "2 insight(s) generated." in html
    assert GOOD["title"] in html and "73.7%" in html and ">current<" in html
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in html  # escaped
    assert "<img src=x" not in html and "<script>alert" not in html
    assert "driver:amount:country=DE" in html and "Show the numbers" in html
    assert "regr_slope" in html  # the SQL that produced the facts, on request
    project_tab = editor.get(f"/projects/{world.project_id}/insights").get_data(as_text=True)
    assert "Planted sales" in project_tab and "&lt;script&gt;" in project_tab
    assert "<script>alert" not in project_tab

    rebuild(database, world.model)
    stale = editor.get(page).get_data(as_text=True)
    assert "out of date" in stale and "now version 2" in stale


def test_a_refused_form_shows_the_message_with_its_status(ai_app, world):
    editor = signed_in(ai_app, world.editor)
    resp = editor.post(f"/projects/{world.project_id}/models/{world.unbuilt}/insights")
    assert resp.status_code == 400
    assert NO_DATA in resp.get_data(as_text=True)
    viewer = signed_in(ai_app, world.viewer)
    html = viewer.get(f"/projects/{world.project_id}/models/{world.model}/insights").get_data(
        as_text=True
    )
    assert "Generate insights" not in html and "An owner or editor" in html
    assert (
        viewer.post(f"/projects/{world.project_id}/models/{world.model}/insights").status_code
        == 403
    )


def test_the_dashboard_page_lists_its_insights_and_offers_to_generate(ai_app, world, gemini):
    gemini.answer({"insights": [GOOD]})
    editor = signed_in(ai_app, world.editor)
    board = f"/projects/{world.project_id}/dashboards/{world.board}"
    before = editor.get(board).get_data(as_text=True)
    assert "No insights yet for the data models of this dashboard" in before
    resp = editor.post(f"{board}/insights")
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"{board}/insights")
    page = editor.get(f"{board}/insights").get_data(as_text=True)
    assert "Insights generated for 1 data model(s)." in page and "Not built yet" in page
    html = editor.get(board).get_data(as_text=True)
    assert GOOD["title"] in html and "Planted sales" in html


def test_offline_the_page_says_so_and_shows_the_facts_sentences(database, tmp_path, world):
    app = make_ai_app(database, tmp_path, gemini=None)
    try:
        editor = signed_in(app, world.editor)
        page = f"/projects/{world.project_id}/models/{world.model}/insights"
        assert editor.post(page).status_code == 303
        html = editor.get(page).get_data(as_text=True)
        assert "No AI provider is configured" in html and "DRA_GEMINI_API_KEY" in html
        assert re.search(r"The total amount was 5,813 on 2026-02-10, far above the median", html)
        with database.system_session() as s:
            assert s.scalar(select(func.count()).select_from(AIUsage)) == 0
    finally:
        app.extensions["dra_database"].dispose()
