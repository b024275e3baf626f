"""The AI data modeler's web layer: the page, the JSON API under /api/v1/projects/<id>/ai/
(with an API token, and with the session cookie + CSRF token as the page's script sends
it), problem details on errors, the limits, the saved conversation on the model page and
join suggestions. The real google-genai client talks to a local fake Gemini server."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from dra.accounts.api_tokens import create_api_token
from dra.ai.errors import EMPTY_SOURCES, NO_SESSION, PROVIDER_UNAVAILABLE
from dra.ingestion.csv_files import Column
from dra.ingestion.naming import raw_schema
from dra.models import (
    AIConversation,
    AISession,
    AIUsage,
    DataModel,
    DataSource,
    DataSourceTable,
    PipelineRequest,
)
from tests.support.ai import REVENUE_SQL, make_ai_app
from tests.support.ai import revenue_proposal as proposal
from tests.support.factories import DEFAULT_PASSWORD
from tests.support.modeling import load_table

HOSTILE = "<script>alert('pwned')</script>"
HOSTILE_COLUMN = "<img src=x onerror=alert(2)>"


@pytest.fixture
def shop(shop, database):
    """The shop with an API token per role and a model of the other project."""
    tokens = {}
    with database.system_session() as s:
        for role in ("owner", "editor", "viewer", "outsider"):
            tokens[role] = create_api_token(s, getattr(shop, role).id, "ai tests").secret
        other_model = DataModel(
            project_id=shop.outsider_project_id, name="Theirs", query="select 1"
        )
        s.add(other_model)
        s.flush()
        other_model_id = other_model.id
    return SimpleNamespace(
        **vars(shop),
        other_source=shop.other.orders_source,
        other_model_id=other_model_id,
        tokens=tokens,
    )


class Api:
    """A JSON client of /api/v1/projects/<id>/ai with an API token."""

    def __init__(self, app, project_id: int, token: str):
        self.client = app.test_client()
        self.base = f"/api/v1/projects/{project_id}/ai"
        self.headers = {"Authorization": f"Bearer {token}"}

    def __call__(self, method: str, path: str, body=None, **kw):
        return self.client.open(
            self.base + path, method=method, json=body, headers=self.headers, **kw
        )


def problem(resp, status: int, *, field: str | None = None) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json(force=True)
    assert body["type"] == "about:blank" and body["status"] == status
    assert body["title"] and body["detail"]
    if field is not None:
        assert body["field"] == field
        assert {"field": field, "detail": body["detail"], "pointer": f"#/{field}"} in body["errors"]
    return body


def usage(database, user) -> int:
    with database.system_session() as s:
        return int(
            s.scalar(
                select(func.coalesce(func.sum(AIUsage.count), 0)).where(AIUsage.user_id == user.id)
            )
        )


# --- the whole flow through JSON with an API token ---------------------------------------


def test_initialize_chat_draft_state_save_and_history_with_an_api_token(
    ai_app, database, shop, gemini
):
    api = Api(ai_app, shop.project_id, shop.tokens["editor"])
    started = api("POST", "/initialize", {"dataSources": shop.both})
    assert started.status_code == 201, started.get_data(as_text=True)
    state = started.get_json()
    assert state["isCrossSource"] and state["tables"] == ["customers", "orders"]
    assert state["messages"] == [] and "2 table(s)" in state["greeting"]
    again = api("POST", "/initialize", {"dataSources": list(reversed(shop.both))})
    assert again.status_code == 200 and again.get_json()["restored"]
    assert again.get_json()["sessionId"] == state["sessionId"]

    gemini.answer(proposal())
    chat = api("POST", "/chat", {"dataSources": shop.both, "message": "revenue by country"})
    assert chat.status_code == 200, chat.get_data(as_text=True)
    answer = chat.get_json()["answer"]
    assert answer["status"] == "ok" and answer["saveable"] and answer["rounds"] == 0
    assert answer["analysis"] and answer["model"]["name"] == "Revenue by country"
    assert answer["sql"] == REVENUE_SQL
    assert answer["preview"]["columns"][0]["name"] == "country"
    assert [r[0] for r in answer["preview"]["rows"]] == ["FR", "US"]  # DE: refunds only
    assert answer["queryJson"]["tables"] == ["orders", "customers"]
    assert gemini.user_texts(0) == ["revenue by country"]

    got = api("GET", f"/state?dataSources={shop.customers},{shop.orders}")
    assert got.status_code == 200
    body = got.get_json()
    assert [m["role"] for m in body["messages"]] == ["user", "assistant"]
    assert body["messages"][1]["seen"]["systemPrompt"] == gemini.system_text(0)
    assert body["draft"]["sql"] == REVENUE_SQL

    edited = REVENUE_SQL.replace("'paid'", "'refunded'")
    draft = api("PUT", "/draft", {"dataSources": shop.both, "sql": edited})
    assert draft.status_code == 200 and draft.get_json()["draft"]["sql"] == edited
    assert draft.get_json()["draft"]["status"] == "edited"
    renamed = api("POST", "/draft", {"dataSources": shop.both, "model": {"name": "Refunds"}})
    assert renamed.status_code == 200
    assert renamed.get_json()["draft"]["model"]["name"] == "Refunds"

    problem(api("POST", "/save", {"dataSources": shop.both, "title": "  "}), 422, field="title")
    saved = api(
        "POST",
        "/save",
        {"dataSources": shop.both, "title": "Refunds by country", "description": "AI"},
    )
    assert saved.status_code == 201, saved.get_data(as_text=True)
    result = saved.get_json()
    model_id = result["dataModelId"]
    assert saved.headers["Location"].endswith(f"/projects/{shop.project_id}/models/{model_id}")
    assert result["url"] == f"/projects/{shop.project_id}/models/{model_id}"
    with database.system_session() as s:
        model = s.get(DataModel, model_id)
        assert model.name == "Refunds by country" and "refunded" in model.query
        request = s.get(PipelineRequest, result["refreshRequestId"])
        assert (request.kind, request.target_id, request.status) == (
            "refresh_model",
            model_id,
            "queued",
        )
    # the session is closed: its state is gone, a second save has nothing to save
    problem(api("GET", f"/state?dataSources={shop.orders},{shop.customers}"), 404)
    problem(api("POST", "/save", {"dataSources": shop.both, "title": "x"}), 400)

    history = api("GET", f"/conversations/{model_id}")
    assert history.status_code == 200
    conversation = history.get_json()
    assert conversation["title"] == "Refunds by country"
    assert [m["role"] for m in conversation["messages"]] == ["user", "assistant"]
    assert conversation["messages"][1]["answer"]["sql"] == REVENUE_SQL

    # a viewer reads the conversation (JSON and page) and finds it from the model page
    viewer = Api(ai_app, shop.project_id, shop.tokens["viewer"])
    assert viewer("GET", f"/conversations/{model_id}").status_code == 200
    viewer_page = ai_app.test_client()
    viewer_page.post("/auth/login", data={"email": shop.viewer.email, "password": DEFAULT_PASSWORD})
    model_page = viewer_page.get(f"/projects/{shop.project_id}/models/{model_id}")
    link = f"/projects/{shop.project_id}/ai/conversations/{model_id}"
    assert link in model_page.get_data(as_text=True)
    page = viewer_page.get(link)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "revenue by country" in text and "orders.customer_id references" in text
    assert "Analysis" in text and "SQL" in text


def test_discard_is_idempotent(ai_app, shop):
    api = Api(ai_app, shop.project_id, shop.tokens["editor"])
    assert api("POST", "/initialize", {"dataSources": [shop.orders]}).status_code == 201
    first = api("DELETE", f"/session?dataSources={shop.orders}")
    assert first.status_code == 200 and first.get_json() == {"discarded": True}
    second = api("DELETE", "/session", {"dataSources": [shop.orders]})
    assert second.status_code == 200 and second.get_json() == {"discarded": False}
    problem(api("GET", f"/state?dataSources={shop.orders}"), 404)


# --- the page: session cookie + CSRF token, as ai_chat.js sends them ----------------------


def test_the_page_and_its_script_use_the_same_endpoints_with_the_csrf_token(
    database, tmp_path, shop, gemini
):
    app = make_ai_app(database, tmp_path, gemini, WTF_CSRF_ENABLED=True)
    try:
        browser = app.test_client()
        login_page = browser.get("/auth/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
        signed_in = browser.post(
            "/auth/login",
            data={"email": shop.editor.email, "password": DEFAULT_PASSWORD, "csrf_token": token},
        )
        assert signed_in.status_code == 302
        page = browser.get(f"/projects/{shop.project_id}/ai")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)
        assert "js/ai_chat.js" in html and "<script>" not in html  # no inline script (CSP)
        config = json.loads(
            re.search(
                r'<script type="application/json" id="ai-data">(.*?)</script>', html, re.S
            ).group(1)
        )
        assert {s["name"] for s in config["sources"]} == {"Shop", "CRM"}
        assert config["configured"] and config["problem"] is None
        base = f"/api/v1/projects/{shop.project_id}/ai"
        assert config["urls"]["chat"] == f"{base}/chat"

        refused = browser.post(f"{base}/initialize", json={"dataSources": shop.both})
        assert problem(refused, 400)["detail"].startswith("The CSRF token")
        headers = {"X-CSRFToken": csrf}
        assert (
            browser.post(
                f"{base}/initialize", json={"dataSources": shop.both}, headers=headers
            ).status_code
            == 201
        )
        gemini.answer(proposal())
        chat = browser.post(
            f"{base}/chat",
            json={"dataSources": shop.both, "message": "revenue by country"},
            headers=headers,
        )
        assert chat.status_code == 200 and chat.get_json()["answer"]["status"] == "ok"

        # reopened: the page restores the session (one active per user and source set)
        ids = f"{shop.customers},{shop.orders}"
        reopened = browser.get(f"/projects/{shop.project_id}/ai?dataSources={ids}")
        restored = json.loads(
            re.search(
                r'<script type="application/json" id="ai-data">(.*?)</script>',
                reopened.get_data(as_text=True),
                re.S,
            ).group(1)
        )
        assert restored["state"]["draft"]["sql"] == REVENUE_SQL
        assert len(restored["state"]["messages"]) == 2
        listed = browser.get(f"/projects/{shop.project_id}/ai").get_data(as_text=True)
        assert "Your open sessions" in listed and "Revenue by country" in listed

        # the plan page counts the generation against the tier's cap (Free: 10)
        plan = browser.get("/account/subscription").get_data(as_text=True)
        assert re.search(r"AI generations this month</span>\s*<span[^>]*>1 / 10", plan)

        saved = browser.post(
            f"{base}/save",
            json={"dataSources": shop.both, "title": "Revenue by country"},
            headers=headers,
        )
        assert saved.status_code == 201
        landing = browser.get(saved.get_json()["url"]).get_data(as_text=True)
        assert "The data model has been saved" in landing and "AI conversation" in landing
        gone = browser.delete(f"{base}/session?dataSources={ids}", headers=headers)
        assert gone.status_code == 200 and gone.get_json() == {"discarded": False}
    finally:
        app.extensions["dra_database"].dispose()


def test_the_ai_modeler_tab_is_shown_to_those_who_may_use_it(ai_app, shop):
    owner = ai_app.test_client()
    owner.post("/auth/login", data={"email": shop.editor.email, "password": DEFAULT_PASSWORD})
    project_page = owner.get(f"/projects/{shop.project_id}").get_data(as_text=True)
    assert f'href="/projects/{shop.project_id}/ai">AI modeler</a>' in project_page
    viewer = ai_app.test_client()
    viewer.post("/auth/login", data={"email": shop.viewer.email, "password": DEFAULT_PASSWORD})
    viewer_page = viewer.get(f"/projects/{shop.project_id}").get_data(as_text=True)
    assert "AI modeler" not in viewer_page
    assert viewer.get(f"/projects/{shop.project_id}/ai").status_code == 403


# --- errors as problem details --------------------------------------------------------------


def test_refusals_are_problem_details_and_change_nothing(ai_app, database, shop, gemini):
    api = Api(ai_app, shop.project_id, shop.tokens["editor"])
    body = problem(api("POST", "/chat", {"dataSources": shop.both, "message": "hi"}), 400)
    assert body["detail"] == NO_SESSION and body["title"] == "Bad request"
    body = problem(api("POST", "/initialize", {"dataSources": []}), 400, field="dataSources")
    assert body["detail"] == EMPTY_SOURCES
    problem(api("POST", "/initialize", {}), 400, field="dataSources")
    problem(api("GET", "/state"), 400, field="dataSources")
    problem(api("POST", "/initialize", [1, 2]), 400, field="body")
    problem(api("POST", "/initialize", data="not json", content_type="application/json"), 400)
    # another project's source or model: 404, as if it did not exist
    problem(api("POST", "/initialize", {"dataSources": [shop.orders, shop.other_source]}), 404)
    problem(api("GET", f"/conversations/{shop.other_model_id}"), 404)
    problem(api("GET", f"/suggested-joins?dataSource={shop.other_source}"), 404)

    assert api("POST", "/initialize", {"dataSources": shop.both}).status_code == 201
    problem(api("POST", "/chat", {"dataSources": shop.both, "message": " "}), 400, field="message")
    gemini.error(503)
    body = problem(api("POST", "/chat", {"dataSources": shop.both, "message": "revenue"}), 502)
    assert body["detail"] == PROVIDER_UNAVAILABLE
    state = api("GET", f"/state?dataSources={shop.orders},{shop.customers}").get_json()
    assert state["messages"] == [] and usage(database, shop.editor) == 0
    problem(
        api("PUT", "/draft", {"dataSources": shop.both, "queryJson": "x"}), 400, field="queryJson"
    )
    problem(api("POST", "/save", {"dataSources": shop.both}), 422, field="title")


def test_a_viewer_and_other_projects_members_are_refused(ai_app, shop):
    for role, status in (("viewer", 403), ("outsider", 404)):
        api = Api(ai_app, shop.project_id, shop.tokens[role])
        problem(api("POST", "/initialize", {"dataSources": shop.both}), status)
        problem(api("POST", "/chat", {"dataSources": shop.both, "message": "x"}), status)
        problem(api("GET", f"/suggested-joins?dataSource={shop.orders}"), status)
    anonymous = ai_app.test_client().post(
        f"/api/v1/projects/{shop.project_id}/ai/initialize", json={"dataSources": shop.both}
    )
    problem(anonymous, 401)


def test_the_tiers_monthly_cap_answers_403_with_the_upgrade_prompt(ai_app, database, shop, gemini):
    api = Api(ai_app, shop.project_id, shop.tokens["editor"])
    assert api("POST", "/initialize", {"dataSources": shop.both}).status_code == 201
    with database.system_session() as s:  # the editor is on the default Free tier: 10
        month = datetime.now(UTC).date().replace(day=1)
        s.add(AIUsage(user_id=shop.editor.id, month=month, count=10))
    gemini.answer(proposal())
    body = problem(api("POST", "/chat", {"dataSources": shop.both, "message": "revenue"}), 403)
    assert "Upgrade your plan" in body["detail"] and "AI generations" in body["detail"]
    assert gemini.requests == []


def test_twenty_ai_requests_an_hour_per_user_then_429_with_retry_after(
    database, tmp_path, shop, gemini
):
    app = make_ai_app(database, tmp_path, gemini, RATELIMIT_ENABLED=True)
    try:
        editor = Api(app, shop.project_id, shop.tokens["editor"])
        owner = Api(app, shop.project_id, shop.tokens["owner"])
        message = {"dataSources": shop.both, "message": "hello"}
        codes = [editor("POST", "/chat", message).status_code for _ in range(20)]
        assert codes == [400] * 20  # no session yet: refused, yet counted
        blocked = editor("POST", "/chat", message)
        body = problem(blocked, 429)
        assert int(blocked.headers["Retry-After"]) > 0
        assert "20" in body["detail"] and "hour" in body["detail"]
        assert owner("POST", "/chat", message).status_code == 400  # per user
        # the other steps are not AI requests
        assert editor("POST", "/initialize", {"dataSources": shop.both}).status_code == 201
    finally:
        app.extensions["dra_database"].dispose()


# --- no provider configured ---------------------------------------------------------------------


def test_without_a_provider_the_page_says_how_and_join_suggestions_still_work(
    database, tmp_path, shop
):
    app = make_ai_app(database, tmp_path, gemini=None)
    try:
        client = app.test_client()
        client.post("/auth/login", data={"email": shop.editor.email, "password": DEFAULT_PASSWORD})
        html = client.get(f"/projects/{shop.project_id}/ai").get_data(as_text=True)
        assert "The AI assistant is not configured" in html and "DRA_GEMINI_API_KEY" in html
        api = Api(app, shop.project_id, shop.tokens["editor"])
        assert api("POST", "/initialize", {"dataSources": shop.both}).status_code == 201
        body = problem(api("POST", "/chat", {"dataSources": shop.both, "message": "x"}), 503)
        assert "DRA_GEMINI_API_KEY" in body["detail"]
        joins = api("GET", "/suggested-joins?tables=orders,customers")
        assert joins.status_code == 200
        best = joins.get_json()["suggestions"][0]
        assert (best["left_table"], best["left_column"], best["right_table"]) == (
            "orders",
            "customer_id",
            "customers",
        )
        assert best["right_column"] == "id" and best["confidence"] >= 0.9
        alone = api("GET", f"/suggested-joins?dataSource={shop.orders}").get_json()
        assert alone == {"suggestions": [], "message": "No join candidates detected in schema."}
        problem(api("GET", "/suggested-joins?tables=orders,nope"), 400, field="tables")
        problem(api("GET", "/suggested-joins?dataSource=abc"), 400, field="dataSource")
    finally:
        app.extensions["dra_database"].dispose()


# --- untrusted text: the model's answer and the table's column names -----------------------


def test_a_hostile_answer_and_hostile_column_names_are_escaped(ai_app, database, shop, gemini):
    columns = [Column("id", "id", "bigint"), Column(HOSTILE_COLUMN, HOSTILE_COLUMN, "text")]
    load_table(database, raw_schema(shop.project_id), "notes", columns, [(1, "a")])
    with database.system_session() as s:
        source = DataSource(project_id=shop.project_id, name="Notes </script>", type="csv")
        s.add(source)
        s.flush()
        s.add(
            DataSourceTable(
                data_source_id=source.id,
                source_table="notes",
                raw_table="notes",
                row_count=1,
                columns=[
                    {"name": c.name, "source_name": c.source_name, "type": c.pg_type}
                    for c in columns
                ],
            )
        )
        notes = source.id
    ids = [shop.orders, shop.customers, notes]
    api = Api(ai_app, shop.project_id, shop.tokens["editor"])
    assert api("POST", "/initialize", {"dataSources": ids}).status_code == 201
    gemini.answer(proposal(analysis=f"Read it {HOSTILE}", unresolved=[HOSTILE]))
    assert api("POST", "/chat", {"dataSources": ids, "message": HOSTILE}).status_code == 200

    client = ai_app.test_client()
    client.post("/auth/login", data={"email": shop.editor.email, "password": DEFAULT_PASSWORD})
    query = ",".join(map(str, ids))
    html = client.get(f"/projects/{shop.project_id}/ai?dataSources={query}").get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html and '</script>"' not in html
    block = re.search(r'<script type="application/json" id="ai-data">(.*?)</script>', html, re.S)
    data = json.loads(block.group(1))
    assert data["state"]["messages"][1]["answer"]["analysis"] == f"Read it {HOSTILE}"
    assert HOSTILE_COLUMN in data["state"]["schemaContext"]

    saved = api("POST", "/save", {"dataSources": ids, "title": "Revenue"})
    model_id = saved.get_json()["dataModelId"]
    page = client.get(f"/projects/{shop.project_id}/ai/conversations/{model_id}")
    text = page.get_data(as_text=True)
    assert "<script>alert" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in text
    assert "&lt;img src=x onerror=alert(2)&gt;" in text  # in what the assistant saw


# --- the query builder: join suggestions and an AI draft to open ---------------------------


def test_the_builder_offers_join_suggestions_and_opens_an_ai_draft(ai_app, shop, gemini):
    api = Api(ai_app, shop.project_id, shop.tokens["editor"])
    api("POST", "/initialize", {"dataSources": shop.both})
    gemini.answer(proposal())
    api("POST", "/chat", {"dataSources": shop.both, "message": "revenue"})
    client = ai_app.test_client()
    client.post("/auth/login", data={"email": shop.editor.email, "password": DEFAULT_PASSWORD})
    ids = f"{shop.orders},{shop.customers}"
    html = client.get(f"/projects/{shop.project_id}/models/new?ai={ids}").get_data(as_text=True)
    data = json.loads(
        re.search(
            r'<script type="application/json" id="builder-data">(.*?)</script>', html, re.S
        ).group(1)
    )
    base = f"/api/v1/projects/{shop.project_id}/ai"
    assert data["joins_url"] == f"{base}/suggested-joins"
    assert data["ai"]["state_url"] == f"{base}/state?dataSources={ids}"
    assert data["ai"]["draft_url"] == f"{base}/draft"
    assert data["ai"]["data_sources"] == [shop.orders, shop.customers]
    assert data["ai"]["back_url"] == f"/projects/{shop.project_id}/ai?dataSources={ids}"
    plain = client.get(f"/projects/{shop.project_id}/models/new").get_data(as_text=True)
    assert '"ai": null' in plain and "suggested-joins" in plain


def test_open_sessions_of_other_users_are_not_listed(ai_app, database, shop):
    Api(ai_app, shop.project_id, shop.tokens["owner"])(
        "POST", "/initialize", {"dataSources": shop.both}
    )
    client = ai_app.test_client()
    client.post("/auth/login", data={"email": shop.editor.email, "password": DEFAULT_PASSWORD})
    html = client.get(f"/projects/{shop.project_id}/ai").get_data(as_text=True)
    assert "Your open sessions" not in html
    with database.system_session() as s:
        assert s.scalar(select(func.count()).select_from(AISession)) == 1
        assert s.scalar(select(func.count()).select_from(AIConversation)) == 0


def test_a_failed_answer_shows_the_database_message_and_cannot_be_saved(ai_app, shop, gemini):
    api = Api(ai_app, shop.project_id, shop.tokens["editor"])
    assert api("POST", "/initialize", {"dataSources": shop.both}).status_code == 201
    wrong = REVENUE_SQL.replace("sum(o.amount)", "sum(o.total)")
    for _ in range(4):  # the answer and its 3 correction rounds
        gemini.answer(proposal(wrong))
    chat = api("POST", "/chat", {"dataSources": shop.both, "message": "revenue"})
    answer = chat.get_json()["answer"]
    assert answer["status"] == "failed" and not answer["saveable"] and answer["rounds"] == 3
    assert "total" in answer["error"] and answer["preview"] is None
    body = problem(api("POST", "/save", {"dataSources": shop.both, "title": "x"}), 400, field="sql")
    assert "failed and cannot be saved" in body["detail"]
