"""JSON API of the AI data modeler (UC-AI-01..10) under ``/api/v1/projects/<id>/ai/``.

Signed in with an API token (``Authorization: Bearer <token>``: no CSRF token needed) or
with the session cookie and the page's CSRF token (``X-CSRFToken``, as ai_chat.js sends
it). Owners, admins and editors use the assistant and the join suggestions; any member
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

from flask import Blueprint, flash, jsonify, request, url_for
from flask_login import current_user

from dra.ai import sessions
from dra.ai.errors import AIError
from dra.errors import NotFound
from dra.modeling.errors import ModelingError
from dra.modeling.joins import suggest_joins
from dra.permissions import Permission
from webapp.ai import ai_rate_limit, provider, settings, source_ids
from webapp.authz import ProjectAccess, project_scoped, requires
from webapp.database import db_session, get_database

bp = project_scoped(
    Blueprint("ai_api", __name__, url_prefix="/api/v1/projects/<int:project_id>/ai")
)

USE = Permission.DATA_MODEL_CREATE
READ = Permission.DATA_MODEL_VIEW


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise AIError(
            'Send a JSON object (Content-Type: application/json), e.g. {"dataSources": [1, 2]}.',
            field="body",
        )
    return data


def _who(project_id: int) -> dict:
    return {"user_id": current_user.id, "project_id": project_id}


def _timeout() -> int:
    return settings().statement_timeout_ms


@bp.post("/initialize")
@requires(USE)
def initialize(project_id: int, access: ProjectAccess):
    """UC-AI-01/02: open the user's session for these sources, or restore it."""
    state = sessions.initialize(
        db_session(),
        get_database(),
        **_who(project_id),
        data_source_ids=_body().get("dataSources"),
    )
    return jsonify(state.as_dict()), 200 if state.restored else 201


@bp.post("/chat")
@ai_rate_limit()
@requires(USE)
def chat(project_id: int, access: ProjectAccess):
    """UC-AI-03/04: one message; the assistant's answer, checked by running its SQL."""
    body = _body()
    result = sessions.chat(
        db_session(),
        get_database(),
        provider(),
        **_who(project_id),
        data_source_ids=body.get("dataSources"),
        message=body.get("message"),
        timeout_ms=_timeout(),
    )
    return jsonify(result.as_dict())


@bp.route("/draft", methods=["PUT", "POST"])
@requires(USE)
def draft(project_id: int, access: ProjectAccess):
    """UC-AI-05: the analyst's edit of the draft (SQL, builder JSON, name, description);
    ``modelState`` may wrap them, as the specification's clients send it."""
    body = _body()
    edit = body.get("modelState") if isinstance(body.get("modelState"), dict) else body
    state = sessions.update_draft(
        db_session(),
        get_database(),
        **_who(project_id),
        data_source_ids=body.get("dataSources"),
        sql=edit.get("sql"),
        query_json=edit.get("queryJson"),
        model=edit.get("model"),
    )
    return jsonify(state.as_dict())


@bp.get("/state")
@requires(USE)
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
@requires(USE)
def save(project_id: int, access: ProjectAccess):
    """UC-AI-07: the draft becomes a data model (its build queued), the conversation is
    kept, the session closed."""
    body = _body()
    result = sessions.save(
        db_session(),
        get_database(),
        **_who(project_id),
        data_source_ids=body.get("dataSources"),
        title=body.get("title"),
        description=body.get("description"),
        timeout_ms=_timeout(),
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
@requires(USE)
def discard(project_id: int, access: ProjectAccess):
    """UC-AI-08: close the session without saving; discarding again is fine."""
    ids = request.args.getlist("dataSources")
    if ids:
        data_source_ids: object = source_ids(ids)
    else:
        data_source_ids = (request.get_json(silent=True) or {}).get("dataSources")
    discarded = sessions.discard(db_session(), **_who(project_id), data_source_ids=data_source_ids)
    return jsonify(discarded=discarded)


@bp.get("/conversations/<int:model_id>")
@requires(READ)
def history(project_id: int, model_id: int, access: ProjectAccess):
    """UC-AI-09: the conversation that produced a data model (any member)."""
    return jsonify(sessions.conversation_for_model(db_session(), project_id, model_id).as_dict())


@bp.get("/suggested-joins")
@requires(USE)
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
