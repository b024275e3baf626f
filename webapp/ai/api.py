"""JSON API of the AI data modeler (UC-AI-01..10) under ``/api/v1/projects/<id>/ai/``.

Signed in with an API token (``Authorization: Bearer <token>``: no CSRF token needed) or
with the session cookie and the page's CSRF token (``X-CSRFToken``, as ai_chat.js sends
it). Bodies and answers are declared (webapp/api ``operation``: the OpenAPI document);
a body of the wrong shape or type answers **400** naming the field, as this area did
before the REST API, and the core's own checks (no sources, a blank message...) too.
Owners, admins and editors use the assistant and the join suggestions; any member
of the project reads a saved conversation. ``dataSources`` is a list of the project's
data source ids in a body, ``1,2`` in a query string. Refusals are problem details
(RFC 9457, webapp/errors.py). Each chat message is an AI request: ``AI_RATE`` per user,
shared with insight generation (``webapp.ai.ai_rate_limit``)
(429 with Retry-After); the tier's monthly generations are counted by the core (403).

| method | path | body / query | answer |
|---|---|---|---|
| POST | ``/initialize`` | ``{dataSources}`` | 201 new session, 200 restored one |
| POST | ``/chat`` | ``{dataSources, message}`` | 200 ``{answer, session}`` |
| PUT, POST | ``/draft`` | ``{dataSources, sql? , queryJson?, model?}`` | 200 session |
| GET | ``/state`` | ``?dataSources=1,2`` | 200 session, 404 none |
| POST | ``/save`` | ``{dataSources, title, description?}`` | 201 ``{dataModelId...}`` |
| DELETE | ``/session`` | ``?dataSources=1,2`` or body | 200 ``{discarded}`` |
| GET | ``/conversations/<model_id>`` | | 200 conversation, 404 none |
| GET | ``/suggested-joins`` | ``?dataSource=<id>`` or ``?tables=a,b`` | 200 suggestions |
"""

from __future__ import annotations

from typing import Any

from flask import flash, jsonify, request, url_for
from flask_login import current_user
from pydantic import ConfigDict, Field

from dra.ai import sessions
from dra.errors import NotFound
from dra.modeling.errors import ModelingError
from dra.modeling.joins import suggest_joins
from dra.permissions import Permission
from webapp.ai import ai_rate_limit, provider, source_ids
from webapp.api import Id, Model, Problem, Strict, api_blueprint, operation
from webapp.authz import ProjectAccess
from webapp.database import db_session, get_database, statement_timeout_ms

bp = api_blueprint("ai", "/projects/<int:project_id>/ai", endpoint="ai_api")

USE = Permission.DATA_MODEL_CREATE
READ = Permission.DATA_MODEL_VIEW
AI = {"tags": ["AI modeler"], "invalid_status": 400}
IDS = "the project's data source ids of the session"
IDS_QUERY = "the project's data source ids of the session, comma separated: 1,2"


class Body(Strict):
    """JSON types exactly (no coercion of a text to a number); the core checks the rest."""

    model_config = ConfigDict(extra="forbid", strict=True)
    dataSources: list[Id] | None = Field(None, description=IDS)


class ChatIn(Body):
    message: str | None = Field(None, description="the analyst's message")


class DraftEdit(Body):
    sql: str | None = None
    queryJson: dict[str, Any] | None = Field(None, description="the builder's query")
    model: dict[str, Any] | None = Field(None, description="name and description")


class DraftIn(DraftEdit):
    modelState: DraftEdit | None = Field(None, description="the same fields, wrapped")


class SaveIn(Body):
    title: str | None = Field(None, description="the data model's name")
    description: str | None = None


class SourcesQuery(Strict):
    dataSources: str | None = Field(None, description=IDS_QUERY)


class JoinsQuery(Strict):
    dataSource: str | None = Field(None, description="within this data source (its id)")
    tables: str | None = Field(None, description="between these tables: a,b")


class SessionOut(Model):
    sessionId: int
    projectId: int
    dataSourceIds: list[int]
    isCrossSource: bool
    status: str
    createdAt: str | None = Field(json_schema_extra={"format": "date-time"})
    expiresAt: str | None = Field(json_schema_extra={"format": "date-time"})
    messages: list[dict[str, Any]] = Field(description="role, content, answer, seen...")
    draft: dict[str, Any] = Field(description="sql, queryJson, model, status")
    schemaContext: str = Field(description="the schema the assistant is told (Markdown)")
    systemPrompt: str
    tables: list[str]
    leftOutTables: list[str]
    unavailableSources: list[dict[str, Any]]
    restored: bool
    greeting: str


class ChatOut(Model):
    answer: dict[str, Any] = Field(
        description="analysis, model, sql, status (ok or failed), saveable, rounds, error, "
        "preview {columns, rows}, queryJson, attempts, usage"
    )
    session: SessionOut


class SavedOut(Model):
    dataModelId: int
    name: str
    conversationId: int
    refreshRequestId: int | None = Field(description="the build of the new model")
    message: str
    url: str = Field(description="the model's page")
    conversationUrl: str


class DiscardedOut(Model):
    discarded: bool


class ConversationOut(Model):
    conversationId: int
    title: str
    dataModelId: int | None
    dataSourceIds: list[int]
    userId: int | None
    createdAt: str | None = Field(json_schema_extra={"format": "date-time"})
    messages: list[dict[str, Any]]


class JoinCondition(Model):
    left_column: str
    right_column: str


class JoinOut(Model):
    left_table: str
    left_column: str
    right_table: str
    right_column: str
    confidence: float
    reasons: list[str]
    relationship: str = Field(description="many_to_one, one_to_one or many_to_many")
    declared: bool
    containment: float | None
    conditions: list[JoinCondition]


class JoinsOut(Model):
    suggestions: list[JoinOut] = Field(description="best first")
    message: str | None


def _who(project_id: int) -> dict:
    return {"user_id": current_user.id, "project_id": project_id}


@bp.post("/initialize")
@operation(USE, json=Body, resp={200: SessionOut, 201: SessionOut}, **AI)
def initialize(project_id: int, access: ProjectAccess):
    """UC-AI-01/02: open the user's session for these sources (201), or restore it (200)."""
    state = sessions.initialize(
        db_session(),
        get_database(),
        **_who(project_id),
        data_source_ids=request.context.json.dataSources,
    )
    return jsonify(state.as_dict()), 200 if state.restored else 201


@bp.post("/chat")
@ai_rate_limit()
@operation(USE, json=ChatIn, resp={200: ChatOut, 502: Problem, 503: Problem}, **AI)
def chat(project_id: int, access: ProjectAccess):
    """UC-AI-03/04: one message; the assistant's answer, checked by running its SQL (502:
    the provider failed; 503: no provider configured)."""
    body: ChatIn = request.context.json
    result = sessions.chat(
        db_session(),
        get_database(),
        provider(),
        **_who(project_id),
        data_source_ids=body.dataSources,
        message=body.message,
        timeout_ms=statement_timeout_ms(),
    )
    return jsonify(result.as_dict())


@bp.route("/draft", methods=["PUT", "POST"])
@operation(USE, json=DraftIn, resp={200: SessionOut}, **AI)
def draft(project_id: int, access: ProjectAccess):
    """UC-AI-05: the analyst's edit of the draft (SQL, builder JSON, name, description);
    ``modelState`` may wrap them, as the specification's clients send it."""
    body: DraftIn = request.context.json
    edit = body.modelState or body
    state = sessions.update_draft(
        db_session(),
        get_database(),
        **_who(project_id),
        data_source_ids=body.dataSources,
        sql=edit.sql,
        query_json=edit.queryJson,
        model=edit.model,
    )
    return jsonify(state.as_dict())


@bp.get("/state")
@operation(USE, query=SourcesQuery, resp={200: SessionOut}, **AI)
def state(project_id: int, access: ProjectAccess):
    """UC-AI-06: the active session (messages, draft, what the assistant sees); 404 none."""
    found = sessions.state(
        db_session(),
        get_database(),
        **_who(project_id),
        data_source_ids=source_ids(request.args.getlist("dataSources")),
    )
    return jsonify(found.as_dict())


@bp.post("/save")
@operation(USE, json=SaveIn, resp={201: SavedOut}, **AI)
def save(project_id: int, access: ProjectAccess):
    """UC-AI-07: the draft becomes a data model (its build queued), the conversation is
    kept, the session closed."""
    body: SaveIn = request.context.json
    result = sessions.save(
        db_session(),
        get_database(),
        **_who(project_id),
        data_source_ids=body.dataSources,
        title=body.title,
        description=body.description,
        timeout_ms=statement_timeout_ms(),
    )
    url = url_for("models.detail", project_id=project_id, model_id=result.data_model_id)
    message = "The data model has been saved. Its table is being built."
    if not current_user.via_api_token:
        flash(message, "success")
    answer = jsonify(
        result.as_dict()
        | {
            "message": message,
            "url": url,
            "conversationUrl": url_for(
                "ai.conversation", project_id=project_id, model_id=result.data_model_id
            ),
        }
    )
    return answer, 201, {"Location": url}


@bp.delete("/session")
@operation(USE, query=SourcesQuery, resp={200: DiscardedOut}, **AI)
def discard(project_id: int, access: ProjectAccess):
    """UC-AI-08: close the session without saving (``?dataSources=``, or a JSON body
    ``{dataSources}``); discarding again is fine."""
    ids = request.args.getlist("dataSources")
    if ids:
        data_source_ids: object = source_ids(ids)
    else:
        body = request.get_json(silent=True)
        data_source_ids = body.get("dataSources") if isinstance(body, dict) else None
    discarded = sessions.discard(db_session(), **_who(project_id), data_source_ids=data_source_ids)
    return jsonify(discarded=discarded)


@bp.get("/conversations/<int:model_id>")
@operation(READ, resp={200: ConversationOut}, **AI)
def history(project_id: int, model_id: int, access: ProjectAccess):
    """UC-AI-09: the conversation that produced a data model (any member)."""
    return jsonify(sessions.conversation_for_model(db_session(), project_id, model_id).as_dict())


@bp.get("/suggested-joins")
@operation(USE, query=JoinsQuery, resp={200: JoinsOut}, **AI)
def suggested_joins(project_id: int, access: ProjectAccess):
    """UC-AI-10: join candidates, best first, without the model: within one source
    (``dataSource``), between the given tables (``tables=a,b``; one table: those touching
    it) or across the project."""
    raw_source = request.args.get("dataSource")
    tables = [t.strip() for t in request.args.get("tables", "").split(",") if t.strip()]
    ids = source_ids([raw_source], "dataSource") if raw_source else []
    try:
        result = suggest_joins(
            get_database(),
            project_id,
            tables=tables or None,
            data_source_id=ids[0] if ids else None,
        )
    except ModelingError as exc:
        if exc.field == "data_source_id":
            raise NotFound(exc.message, field="dataSource") from None
        raise
    return jsonify(result.as_dict())
