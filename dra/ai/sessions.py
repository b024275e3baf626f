"""The AI data modeler's service (UC-AI-01..09): what the web pages and JSON routes call.

Sessions live in ``app.ai_sessions`` (not Redis): one active session per user, project
and set of data sources (single-source: one id; cross-source: several, tables tagged by
source), restored when reopened (BR-AI-03/04), 24 hours from creation (BR-AI-01). An
expired session counts as absent. Its messages are rows of ``app.ai_session_messages``:
a turn appends two and rewrites none. What the assistant is told of the sources comes
from ``dra.ai.context.project_tables``, read again only when the project's data changed.
``session`` is the caller's SQLAlchemy session acting
as the user (row-level security, ``dra.db.act_as``); the caller commits on success and
rolls back on any error (every refusal is a ``DraError``: message, HTTP status, field),
so a refused or failed call changes nothing. Authorization (owner, admin or editor for
everything but ``conversation_for_model``, which any member may read) and the 20-an-hour
rate limit are the web layer's.

Functions (``data_source_ids``: the list the page sent; the same set finds the same
session whatever its order):

- ``initialize(session, database, *, user_id, project_id, data_source_ids) -> SessionState``
  400 ``dataSources must be a non-empty array.``; 404 for a source of another project;
  400 ``Schema introspection failed...`` when a single source has no ingested tables
  (cross-source: the others are used and ``unavailable_sources`` names the left-out ones;
  400 when none is available); 403 when the tier's monthly AI generations are used up.
- ``chat(session, database, provider, *, user_id, project_id, data_source_ids, message)
  -> ChatResult``: one generation (counted in ``app.ai_usage``; 403 with the upgrade
  prompt at the tier's ``max_ai_generations_per_month``, -1 unlimited, platform admins
  exempt); the conversation sent is the last ``HISTORY_TURNS`` turns plus the current
  draft; the answer is checked by running it (``dra.ai.answers.propose``); 400 ``No
  active session found...``; 409 while another message of the same session is being
  answered; 502 when the provider fails. ``timings`` says where the turn's time went
  (milliseconds: ``context``, ``check``, ``preview``, ``builder``, ``model``, ``total``)
  and ``platform_ms`` is the platform's own share, the model's time excluded.
- ``update_draft(session, database, *, ..., sql=None, query_json=None, model=None)
  -> SessionState`` (UC-AI-05): the edited SQL or builder JSON, checked statically (it
  is run when saved).
- ``state(session, database, *, ...) -> SessionState`` (UC-AI-06): 404 when there is none.
- ``open_sessions(session, *, user_id, project_id) -> list[dict]``: the user's active
  sessions in the project (newest first), for the page to offer resuming them.
- ``save(session, database, *, ..., title, description=None) -> SaveResult`` (UC-AI-07):
  422 naming ``title`` when empty; 400 when there is nothing saveable; the model is made
  by ``dra.modeling.service.save_model`` (validated by executing it, its build queued as a
  ``refresh_model`` request), the conversation stored in ``ai_conversations`` /
  ``ai_messages`` with the structured answers and what the assistant saw, the session
  closed; all in the caller's one transaction.
- ``discard(session, *, ...) -> bool`` (UC-AI-08): idempotent.
- ``conversation_for_model(session, project_id, model_id) -> ConversationView``
  (UC-AI-09): 404 when the model has none.
- ``expire_sessions(database, now=None) -> ExpiryResult``: for the Dagster schedule.
- ``set_sample_values(session, *, user_id, project_id, enabled) -> bool``: the project's
  "AI may see sample values" setting, owners only (403).
- ``configuration_problem(settings)`` (from ``dra.ai.provider``): None, or how to enable
  the assistant.

Every result has ``as_dict()`` (camelCase keys) for JSON answers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, select, text, type_coerce, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from dra.ai.answers import CheckedAnswer, propose
from dra.ai.context import ProjectTables, SchemaContext, project_tables, system_prompt
from dra.ai.errors import EMPTY_SOURCES, INTROSPECTION_FAILED, NO_SESSION, AIError
from dra.ai.provider import Provider, Turn, configuration_problem
from dra.ai.usage import check_generations, count_generation
from dra.db import Database
from dra.errors import Conflict, Forbidden, Invalid, NotFound, one_line_text
from dra.modeling import service as modeling
from dra.modeling.errors import ModelingError
from dra.modeling.prepare import prepare
from dra.models import (
    AIConversation,
    AIMessage,
    AISession,
    AISessionMessage,
    DataModel,
    DataSource,
    Project,
    ProjectMember,
)
from dra.models.ai import AISessionStatus

__all__ = [
    "ChatResult",
    "ConversationView",
    "ExpiryResult",
    "SaveResult",
    "SessionState",
    "chat",
    "configuration_problem",
    "conversation_for_model",
    "discard",
    "expire_sessions",
    "initialize",
    "open_sessions",
    "save",
    "set_sample_values",
    "state",
    "update_draft",
]

SESSION_TTL = timedelta(hours=24)
PURGE_AFTER = timedelta(days=7)
"""Closed and expired sessions are deleted this long after they expired."""
HISTORY_TURNS = 10
"""Turns of the conversation sent with each message (BR-AI-06), plus the current draft."""
MESSAGE_MAX = 4000
SQL_MAX = 50_000
TITLE_MAX = 200


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _utc_iso(value: datetime) -> str:
    """A stored time as the API writes it (ISO, UTC), whatever the connection's zone."""
    return value.astimezone(UTC).isoformat()


# --- results ---------------------------------------------------------------------------------


@dataclass
class SessionState:
    id: int
    project_id: int
    user_id: int
    data_source_ids: list[int]
    cross_source: bool
    status: str
    created_at: datetime | None
    expires_at: datetime
    messages: list[dict[str, Any]]
    draft: dict[str, Any]
    schema_context: str
    """The schema Markdown last sent (or that the next message will send)."""
    system_prompt: str
    """The system prompt as the next message will send it (rules, schema, draft)."""
    tables: list[str] = field(default_factory=list)
    left_out_tables: list[str] = field(default_factory=list)
    unavailable_sources: list[dict[str, Any]] = field(default_factory=list)
    restored: bool = False
    greeting: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "sessionId": self.id,
            "projectId": self.project_id,
            "dataSourceIds": self.data_source_ids,
            "isCrossSource": self.cross_source,
            "status": self.status,
            "createdAt": _iso(self.created_at),
            "expiresAt": _iso(self.expires_at),
            "messages": self.messages,
            "draft": self.draft,
            "schemaContext": self.schema_context,
            "systemPrompt": self.system_prompt,
            "tables": self.tables,
            "leftOutTables": self.left_out_tables,
            "unavailableSources": self.unavailable_sources,
            "restored": self.restored,
            "greeting": self.greeting,
        }


@dataclass
class ChatResult:
    state: SessionState
    answer: CheckedAnswer
    timings: dict[str, float] = field(default_factory=dict)
    """Milliseconds of the turn: ``context`` (the sources and the monthly cap, which of
    them are ingested, the schema and the prompt), the answer's ``check``, ``preview``,
    ``builder`` and ``model`` (waiting for the provider, every round), ``total`` (the
    whole call)."""

    @property
    def platform_ms(self) -> float:
        """The platform's own work in this turn: everything but waiting for the model."""
        return max(0.0, self.timings.get("total", 0.0) - self.timings.get("model", 0.0))

    def as_dict(self) -> dict[str, Any]:
        return {"answer": self.answer.as_dict(), "session": self.state.as_dict()}


@dataclass
class SaveResult:
    data_model_id: int
    name: str
    conversation_id: int
    refresh_request_id: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataModelId": self.data_model_id,
            "name": self.name,
            "conversationId": self.conversation_id,
            "refreshRequestId": self.refresh_request_id,
        }


@dataclass
class ConversationView:
    id: int
    title: str
    data_model_id: int | None
    data_source_ids: list[int]
    user_id: int | None
    created_at: datetime | None
    messages: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "conversationId": self.id,
            "title": self.title,
            "dataModelId": self.data_model_id,
            "dataSourceIds": self.data_source_ids,
            "userId": self.user_id,
            "createdAt": _iso(self.created_at),
            "messages": self.messages,
        }


@dataclass
class ExpiryResult:
    expired: int
    purged: int

    def as_dict(self) -> dict[str, int]:
        return {"expired": self.expired, "purged": self.purged}


# --- sources and sessions ----------------------------------------------------------------


def _source_ids(value: object) -> list[int]:
    if not isinstance(value, (list, tuple)) or not value:
        raise AIError(EMPTY_SOURCES, field="dataSources")
    ids: set[int] = set()
    for item in value:
        if isinstance(item, bool):
            raise AIError("dataSources must list data source ids.", field="dataSources")
        try:
            ids.add(int(item))
        except (TypeError, ValueError):
            raise AIError("dataSources must list data source ids.", field="dataSources") from None
    return sorted(ids)


def _project(session: Session, project_id: int) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound("The project was not found.")
    return project


def _sources(session: Session, project_id: int, ids: list[int]) -> list[DataSource]:
    found = list(
        session.scalars(
            select(DataSource)
            .where(DataSource.project_id == project_id, DataSource.id.in_(ids))
            .order_by(DataSource.name, DataSource.id)
        )
    )
    if len(found) != len(ids):
        _project(session, project_id)  # a missing project is named first
        raise NotFound("Data source not found.", field="dataSources")
    return found


def _grounding(
    session: Session,
    database: Database,
    project_id: int,
    ids: list[int],
    *,
    generating_user: int | None = None,
) -> tuple[list[DataSource], ProjectTables]:
    """The session's sources (404 for another project's) and what the assistant is told
    of them. For a ``generating_user`` (opening a session or sending a message), the
    tier's monthly AI generations are checked first (403) and sources without any
    ingested table refused (400 ``Schema introspection failed...``; several sources: the
    others are used, ``ProjectTables.available`` says which)."""
    sources = _sources(session, project_id, ids)
    if generating_user is not None:
        check_generations(session, generating_user)
    tables = project_tables(database, project_id, ids)
    if generating_user is not None and not tables.available:
        raise AIError(INTROSPECTION_FAILED, field="dataSources")
    return sources, tables


def _draft_tables(draft: dict[str, Any] | None) -> list[str]:
    """The tables the current draft reads (the question's focus when there is none)."""
    return list(((draft or {}).get("model") or {}).get("tables") or [])


def _key(query, user_id: int, project_id: int, ids: list[int]):
    single = (
        AISession.data_source_id == ids[0] if len(ids) == 1 else AISession.data_source_id.is_(None)
    )
    return query.where(
        AISession.user_id == user_id,
        AISession.project_id == project_id,
        single,
        AISession.data_source_ids == type_coerce(ids, JSONB),
    )


def _lock_key(session: Session, user_id: int, project_id: int, ids: list[int]) -> None:
    """Serialise the creation of one user's session for one source set."""
    session.execute(
        text("select pg_advisory_xact_lock(hashtext('dra.ai_session'), hashtext(:k))"),
        {"k": f"{user_id}:{project_id}:{','.join(map(str, ids))}"},
    )


def _active(
    session: Session,
    user_id: int,
    project_id: int,
    ids: list[int],
    now: datetime,
    *,
    for_update: bool = False,
) -> AISession | None:
    query = _key(select(AISession), user_id, project_id, ids).where(
        AISession.status == AISessionStatus.ACTIVE, AISession.expires_at > now
    )
    if for_update:
        query = query.with_for_update(nowait=True)
    try:
        return session.scalar(query.order_by(AISession.id.desc()).limit(1))
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) == "55P03":  # lock_not_available
            raise Conflict(
                "The assistant is still answering your previous message. Please wait.",
                field="message",
            ) from None
        raise


def _require(session: Session, user_id: int, project_id: int, ids: object, now, **kw):
    ids = _source_ids(ids)
    found = _active(session, user_id, project_id, ids, now, **kw)
    if found is None:
        raise AIError(NO_SESSION)
    return found


def _greeting(sources: list[DataSource], context: SchemaContext, missing: list[dict]) -> str:
    names = ", ".join(f"“{s.name}”" for s in sources if s.id not in {m["id"] for m in missing})
    if not context.tables:
        text_ = f"I found no tables in {names}. Ingest the data source first, then ask me."
    else:
        text_ = (
            f"I can see {len(context.tables)} table(s) from {names}. Describe the data model "
            "you need, for example “monthly revenue by country for repeat customers”."
        )
    if missing:
        text_ += " Left out (not available yet): " + ", ".join(f"“{m['name']}”" for m in missing)
        text_ += "."
    return text_


def _state(
    row: AISession,
    messages: list[AISessionMessage],
    sources: list[DataSource],
    tables: ProjectTables,
    context: SchemaContext,
    *,
    restored: bool = False,
) -> SessionState:
    available = tables.available
    missing = [{"id": s.id, "name": s.name} for s in sources if s.id not in available]
    return SessionState(
        id=row.id,
        project_id=row.project_id,
        user_id=row.user_id,
        data_source_ids=list(row.data_source_ids),
        cross_source=row.data_source_id is None,
        status=row.status,
        created_at=row.created_at,
        expires_at=row.expires_at,
        messages=[_public_message(m) for m in messages],
        draft=dict(row.draft or {}),
        schema_context=context.markdown,
        system_prompt=system_prompt(context, row.draft),
        tables=context.tables,
        left_out_tables=context.left_out,
        unavailable_sources=missing,
        restored=restored,
        greeting=_greeting(sources, context, missing),
    )


def _public_message(message: AISessionMessage) -> dict[str, Any]:
    """A message as the page shows it (the model's raw text left out)."""
    out: dict[str, Any] = {"role": message.role, "at": _utc_iso(message.created_at)}
    if message.role == "assistant":
        out["answer"] = message.payload
        out["seen"] = message.seen
    else:
        out["content"] = message.content
    return out


def _messages(session: Session, session_id: int) -> list[AISessionMessage]:
    """The session's conversation, in order."""
    return list(
        session.scalars(
            select(AISessionMessage)
            .where(AISessionMessage.session_id == session_id)
            .order_by(AISessionMessage.position)
        )
    )


# --- UC-AI-01/02 ----------------------------------------------------------------------------


def initialize(
    session: Session,
    database: Database,
    *,
    user_id: int,
    project_id: int,
    data_source_ids: object,
    now: datetime | None = None,
) -> SessionState:
    """Open (or restore) the user's session for these sources."""
    now = _now(now)
    ids = _source_ids(data_source_ids)
    sources, tables = _grounding(session, database, project_id, ids, generating_user=user_id)
    context = tables.context()
    _lock_key(session, user_id, project_id, ids)
    row = _active(session, user_id, project_id, ids, now)
    if row is not None:
        row.schema_context = context.markdown
        session.flush()
        messages = _messages(session, row.id)
        return _state(row, messages, sources, tables, context, restored=True)
    # an expired one for the same key is closed first (one active session per key)
    session.execute(
        _key(update(AISession), user_id, project_id, ids)
        .where(AISession.status == AISessionStatus.ACTIVE)
        .values(status=AISessionStatus.EXPIRED)
        .execution_options(synchronize_session=False)
    )
    row = AISession(
        project_id=project_id,
        user_id=user_id,
        data_source_id=ids[0] if len(ids) == 1 else None,
        data_source_ids=ids,
        status=AISessionStatus.ACTIVE,
        schema_context=context.markdown,
        draft={},
        expires_at=now + SESSION_TTL,
    )
    session.add(row)
    session.flush()
    session.refresh(row)
    return _state(row, [], sources, tables, context)


# --- UC-AI-03/04 ----------------------------------------------------------------------------


def _clean_message(message: object) -> str:
    if not isinstance(message, str) or not message.strip():
        raise AIError("Write a message for the assistant.", field="message")
    message = message.strip()
    if len(message) > MESSAGE_MAX:
        raise AIError(f"Messages are limited to {MESSAGE_MAX} characters.", field="message")
    return message


def _turns(messages: list[AISessionMessage]) -> list[Turn]:
    recent = [m for m in messages if m.role in ("user", "assistant")][-HISTORY_TURNS:]
    while recent and recent[0].role != "user":
        recent = recent[1:]
    return [Turn(m.role, m.content or "") for m in recent]


def chat(
    session: Session,
    database: Database,
    provider: Provider,
    *,
    user_id: int,
    project_id: int,
    data_source_ids: object,
    message: object,
    timeout_ms: int = 15000,
    now: datetime | None = None,
) -> ChatResult:
    """One message and the assistant's checked answer; the draft follows the answer."""
    started = time.perf_counter()
    now = _now(now)
    message = _clean_message(message)
    row = _require(session, user_id, project_id, data_source_ids, now, for_update=True)
    ids = list(row.data_source_ids)
    context_started = time.perf_counter()
    sources, tables = _grounding(session, database, project_id, ids, generating_user=user_id)
    draft = dict(row.draft or {})
    context = tables.context(" ".join([message, *_draft_tables(draft)]))
    system = system_prompt(context, draft)
    context_ms = (time.perf_counter() - context_started) * 1000
    messages = _messages(session, row.id)
    turns = [*_turns(messages), Turn("user", message)]
    answer = propose(
        provider,
        database,
        project_id,
        system=system,
        history=turns,
        context=context,
        timeout_ms=timeout_ms,
        catalog=tables.catalog,  # the check reads the same catalog as the context
    )
    count_generation(session, user_id, now)
    payload = answer.as_dict()
    at = now.isoformat()
    position = messages[-1].position + 1 if messages else 0
    added = [  # the turn's two rows; no earlier one is rewritten
        AISessionMessage(  # every column given: both rows go in one INSERT
            session_id=row.id,
            position=position,
            role="user",
            content=message,
            payload=None,
            seen=None,
            created_at=now,
        ),
        AISessionMessage(
            session_id=row.id,
            position=position + 1,
            role="assistant",
            content=answer.proposal.raw,
            payload=payload,
            seen={"systemPrompt": system, "turnsSent": len(turns)},
            created_at=now,
        ),
    ]
    session.add_all(added)
    if answer.proposal.sql:
        row.draft = {
            "model": answer.proposal.model,
            "sql": answer.proposal.sql,
            "queryJson": answer.query_json,
            "status": answer.status,
            "error": answer.error,
            "rounds": answer.rounds,
            "preview": payload["preview"],
            "updatedAt": at,
        }
    row.schema_context = context.markdown
    session.flush()
    result = ChatResult(_state(row, [*messages, *added], sources, tables, context), answer)
    result.timings = {
        "context": context_ms,
        **answer.timings,
        "total": (time.perf_counter() - started) * 1000,
    }
    return result


# --- UC-AI-05/06 ----------------------------------------------------------------------------


def update_draft(
    session: Session,
    database: Database,
    *,
    user_id: int,
    project_id: int,
    data_source_ids: object,
    sql: object = None,
    query_json: object = None,
    model: object = None,
    now: datetime | None = None,
) -> SessionState:
    """The analyst's edit of the draft: SQL or builder JSON (checked, run when saved)."""
    now = _now(now)
    row = _require(session, user_id, project_id, data_source_ids, now, for_update=True)
    if sql is None and query_json is None and model is None:
        raise AIError("Send the edited sql, queryJson or model.", field="modelState")
    draft = dict(row.draft or {})
    catalog = project_tables(database, project_id, list(row.data_source_ids)).catalog
    if query_json is not None:
        if not isinstance(query_json, dict):
            raise AIError("queryJson must be an object.", field="queryJson")
        prepared = prepare(catalog, query_json=query_json)
        draft.update(queryJson=query_json, sql=prepared.display_sql)
    elif sql is not None:
        if not isinstance(sql, str) or len(sql) > SQL_MAX:
            raise AIError(f"sql must be text of at most {SQL_MAX} characters.", field="sql")
        prepare(catalog, sql=sql)
        draft.update(sql=sql.strip(), queryJson=None)
    if model is not None:
        if not isinstance(model, dict):
            raise AIError("model must be an object.", field="model")
        merged = dict(draft.get("model") or {})
        for key in ("name", "description"):
            if isinstance(model.get(key), str):
                merged[key] = model[key].strip()[: TITLE_MAX if key == "name" else 2000]
        draft["model"] = merged
    draft.update(status="edited", error=None, preview=None, updatedAt=now.isoformat())
    row.draft = draft
    session.flush()
    return state(
        session,
        database,
        user_id=user_id,
        project_id=project_id,
        data_source_ids=data_source_ids,
        now=now,
    )


def state(
    session: Session,
    database: Database,
    *,
    user_id: int,
    project_id: int,
    data_source_ids: object,
    now: datetime | None = None,
) -> SessionState:
    """The active session: messages, draft, what the assistant sees; 404 when none."""
    now = _now(now)
    ids = _source_ids(data_source_ids)
    row = _active(session, user_id, project_id, ids, now)
    if row is None:
        raise NotFound(NO_SESSION)
    sources, tables = _grounding(session, database, project_id, ids)
    context = tables.context(" ".join(_draft_tables(row.draft)))
    messages = _messages(session, row.id)
    return _state(row, messages, sources, tables, context, restored=True)


def open_sessions(
    session: Session, *, user_id: int, project_id: int, now: datetime | None = None
) -> list[dict[str, Any]]:
    """The user's active sessions in the project, newest first: sources, messages, draft."""
    now = _now(now)
    rows = list(
        session.scalars(
            select(AISession)
            .where(
                AISession.user_id == user_id,
                AISession.project_id == project_id,
                AISession.status == AISessionStatus.ACTIVE,
                AISession.expires_at > now,
            )
            .order_by(AISession.updated_at.desc(), AISession.id.desc())
        )
    )
    counts = dict(
        session.execute(
            select(AISessionMessage.session_id, func.count())
            .where(AISessionMessage.session_id.in_([row.id for row in rows]))
            .group_by(AISessionMessage.session_id)
        ).all()
    )
    return [
        {
            "sessionId": row.id,
            "dataSourceIds": list(row.data_source_ids),
            "messages": counts.get(row.id, 0),
            "draftName": ((row.draft or {}).get("model") or {}).get("name") or "",
            "expiresAt": _iso(row.expires_at),
            "updatedAt": _iso(row.updated_at),
        }
        for row in rows
    ]


# --- UC-AI-07/08/09 -------------------------------------------------------------------------


def _clean_title(title: object) -> str:
    return one_line_text(
        title,
        missing=Invalid("Give the data model a title.", field="title"),
        too_long=Invalid(f"Titles are limited to {TITLE_MAX} characters.", field="title"),
        limit=TITLE_MAX,
    )


def save(
    session: Session,
    database: Database,
    *,
    user_id: int,
    project_id: int,
    data_source_ids: object,
    title: object,
    description: str | None = None,
    timeout_ms: int = 15000,
    now: datetime | None = None,
) -> SaveResult:
    """Create the data model from the draft, store the conversation, close the session."""
    now = _now(now)
    title = _clean_title(title)
    row = _require(session, user_id, project_id, data_source_ids, now, for_update=True)
    draft = dict(row.draft or {})
    if not draft.get("sql") and not draft.get("queryJson"):
        raise AIError("There is no proposal to save yet: ask the assistant first.")
    if draft.get("status") == "failed":
        raise AIError(
            "This proposal's SQL failed and cannot be saved: "
            f"{draft.get('error') or 'it did not run'} Ask for a correction or edit it.",
            field="sql",
        )
    model_info = draft.get("model") or {}
    try:
        saved = modeling.save_model(
            session,
            database,
            project_id,
            user_id,
            name=title,
            query_json=draft.get("queryJson"),
            sql=draft.get("sql"),
            description=description if description is not None else model_info.get("description"),
            timeout_ms=timeout_ms,
        )
    except ModelingError as exc:
        if exc.field == "name":
            raise Invalid(exc.message, field="title") from None
        raise
    conversation = AIConversation(
        project_id=project_id,
        user_id=user_id,
        data_model_id=saved.model.id,
        data_source_ids=list(row.data_source_ids),
        title=title,
    )
    session.add(conversation)
    session.flush()
    for message in _messages(session, row.id):
        if message.role not in ("user", "assistant"):
            continue
        payload = None
        content = message.content or ""
        if message.role == "assistant":
            answer = message.payload or {}
            payload = {"answer": answer, "seen": message.seen}
            content = str(answer.get("analysis") or content)
        session.add(
            AIMessage(
                conversation_id=conversation.id,
                role=message.role,
                content=content,
                payload=payload,
                created_at=message.created_at,
            )
        )
    row.status = AISessionStatus.SAVED
    session.flush()
    return SaveResult(saved.model.id, saved.model.name, conversation.id, saved.refresh_request_id)


def discard(
    session: Session,
    *,
    user_id: int,
    project_id: int,
    data_source_ids: object,
) -> bool:
    """Delete the user's session for these sources (expired ones too); True if one was open.
    Discarding again, or with nothing open, is not an error (UC-AI-08)."""
    ids = _source_ids(data_source_ids)
    _sources(session, project_id, ids)
    result = session.execute(
        _key(delete(AISession), user_id, project_id, ids)
        .where(AISession.status.in_([AISessionStatus.ACTIVE, AISessionStatus.EXPIRED]))
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


def conversation_for_model(session: Session, project_id: int, model_id: int) -> ConversationView:
    """The conversation that produced a data model (the latest, if saved more than once)."""
    model = session.scalar(
        select(DataModel.id).where(DataModel.id == model_id, DataModel.project_id == project_id)
    )
    if model is None:
        raise NotFound("The data model was not found.")
    conversation = session.scalar(
        select(AIConversation)
        .where(AIConversation.data_model_id == model_id, AIConversation.project_id == project_id)
        .order_by(AIConversation.id.desc())
        .limit(1)
    )
    if conversation is None:
        raise NotFound("No AI conversation was saved for this data model.")
    messages = []
    for m in conversation.messages:
        item: dict[str, Any] = {"role": m.role, "content": m.content, "at": _iso(m.created_at)}
        if m.payload:
            item["answer"] = m.payload.get("answer")
            item["seen"] = m.payload.get("seen")
        messages.append(item)
    return ConversationView(
        id=conversation.id,
        title=conversation.title,
        data_model_id=conversation.data_model_id,
        data_source_ids=list(conversation.data_source_ids or []),
        user_id=conversation.user_id,
        created_at=conversation.created_at,
        messages=messages,
    )


def expire_sessions(database: Database, now: datetime | None = None) -> ExpiryResult:
    """Close sessions past their 24 hours; delete closed ones a week after they expired."""
    now = _now(now)
    with database.system_session() as s:
        expired = s.execute(
            update(AISession)
            .where(AISession.status == AISessionStatus.ACTIVE, AISession.expires_at <= now)
            .values(status=AISessionStatus.EXPIRED)
        ).rowcount
        purged = s.execute(
            delete(AISession).where(
                and_(
                    AISession.status != AISessionStatus.ACTIVE,
                    AISession.expires_at <= now - PURGE_AFTER,
                )
            )
        ).rowcount
    return ExpiryResult(int(expired or 0), int(purged or 0))


def set_sample_values(session: Session, *, user_id: int, project_id: int, enabled: object) -> bool:
    """Let the assistant see a few values of low-cardinality text columns (owners only)."""
    project = _project(session, project_id)
    is_owner = project.owner_id == user_id or session.scalar(
        select(ProjectMember.id).where(
            ProjectMember.project_id == project_id,
            ProjectMember.user_id == user_id,
            ProjectMember.role == "owner",
        )
    )
    if not is_owner:
        raise Forbidden(
            "Only the project's owner can let the AI assistant see sample values.",
            field="aiSampleValues",
        )
    if not isinstance(enabled, bool):
        raise AIError("aiSampleValues must be true or false.", field="aiSampleValues")
    project.ai_sample_values = enabled
    session.flush()
    return enabled
