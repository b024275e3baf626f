"""The AI modeler page of a project and a saved model's conversation (UC-AI-01..09).

The page is a shell: ai_chat.js drives the JSON API (``webapp.ai.api``) and renders every
answer with ``textContent`` (the model's text and SQL are untrusted). The page's data
(sources, the restored session, the API's URLs, whether a provider is configured) is a
``<script type="application/json">`` block. The conversation page is rendered here.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from dra.ai import sessions
from dra.ai.errors import NO_SESSION
from dra.ai.provider import configuration_problem
from dra.errors import NotFound
from dra.models import DataSource
from dra.permissions import Permission, role_allows
from dra.sources import service as sources
from webapp.ai import source_ids
from webapp.authz import ProjectAccess, project_role, project_scoped, requires
from webapp.database import app_settings, db_session, get_database

bp = project_scoped(Blueprint("ai", __name__, url_prefix="/projects/<int:project_id>/ai"))


def _api_urls(project_id: int) -> dict[str, str]:
    def api(endpoint: str) -> str:
        return url_for(f"ai_api.{endpoint}", project_id=project_id)

    return {
        "initialize": api("initialize"),
        "chat": api("chat"),
        "draft": api("draft"),
        "state": api("state"),
        "save": api("save"),
        "discard": api("discard"),
        "joins": api("suggested_joins"),
        "page": url_for("ai.index", project_id=project_id),
        "builder": url_for("models.new", project_id=project_id),
    }


@bp.get("")
@requires(Permission.DATA_MODEL_CREATE)
def index(project_id: int, access: ProjectAccess):
    """Pick one source (UC-AI-01) or several (UC-AI-02); the chat of that set restores."""
    session = db_session()
    selected = source_ids(request.args.getlist("dataSources"))
    state = None
    if selected:
        try:
            state = sessions.state(
                session,
                get_database(),
                user_id=current_user.id,
                project_id=project_id,
                data_source_ids=selected,
            )
        except NotFound as exc:
            if exc.message != NO_SESSION:
                raise
    listed = sources.list_sources(session, project_id)
    names = {s.id: s.name for s in listed}
    open_sessions = [
        s | {"names": [names.get(i, f"#{i}") for i in s["dataSourceIds"]]}
        for s in sessions.open_sessions(session, user_id=current_user.id, project_id=project_id)
    ]
    problem = configuration_problem(app_settings())
    data = {
        "projectId": project_id,
        "sources": [
            {"id": s.id, "name": s.name, "type": s.type, "status": s.status, "rows": s.rows}
            for s in listed
        ],
        "selected": selected,
        "state": state.as_dict() if state is not None else None,
        "configured": problem is None,
        "problem": problem,
        "urls": _api_urls(project_id),
    }
    return render_template(
        "ai/index.html",
        data=data,
        sources=listed,
        selected=selected,
        open_sessions=open_sessions,
        problem=problem,
    )


@bp.get("/conversations/<int:model_id>")
@requires(Permission.DATA_MODEL_VIEW)
def conversation(project_id: int, model_id: int, access: ProjectAccess):
    """UC-AI-09: the saved conversation of a data model, for every member."""
    session = db_session()
    found = sessions.conversation_for_model(session, project_id, model_id)
    names = {
        s.id: s.name
        for s in session.scalars(select(DataSource).where(DataSource.id.in_(found.data_source_ids)))
    }
    return render_template(
        "ai/conversation.html",
        conversation=found,
        source_names=[names.get(i, f"#{i}") for i in found.data_source_ids],
        model_id=model_id,
    )


@bp.app_template_global()
def ai_conversation_url(project_id: int, model_id: int) -> str | None:
    """The link to a data model's AI conversation (model page), or None when it has none."""
    try:
        sessions.conversation_for_model(db_session(), project_id, model_id)
    except NotFound:
        return None
    return url_for("ai.conversation", project_id=project_id, model_id=model_id)


@bp.app_template_global()
def ai_builder_config(project_id: int) -> dict | None:
    """For the query builder opened with ``?ai=<source ids>``: where to read the AI draft
    and where to send the edited one back (UC-AI-05)."""
    raw = request.args.get("ai")
    if not raw:
        return None
    ids = source_ids([raw], "ai")
    joined = ",".join(map(str, ids))
    return {
        "data_sources": ids,
        "state_url": url_for("ai_api.state", project_id=project_id, dataSources=joined),
        "draft_url": url_for("ai_api.draft", project_id=project_id),
        "back_url": url_for("ai.index", project_id=project_id, dataSources=joined),
    }


@bp.record_once
def _register_tab_guard(state) -> None:
    """The project tabs show "AI modeler" to those who may use it (not to viewers)."""

    def may_use(project_id: int) -> bool:
        return role_allows(project_role(project_id), Permission.DATA_MODEL_CREATE)

    state.app.extensions.setdefault("dra_section_visible", {})["ai"] = may_use
