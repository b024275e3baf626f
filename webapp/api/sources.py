"""Data sources (UC-DS-01..06, 12..15) under ``/api/v1/projects/<id>/sources``.

Members read; owners and admins add and refresh; owners delete (the pages' rules). Adding a
source or refreshing one queues its ingestion: 202 with the request to poll.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from flask import jsonify, request
from flask_login import current_user
from pydantic import Field

from dra.errors import Conflict, NotFound
from dra.permissions import Permission
from dra.pipeline_requests import latest_request
from dra.sources import inspect, service
from dra.sources.service import INGEST, SourceError
from dra.sources.uploads import UploadRejected
from webapp.api import (
    Model,
    Page,
    PageQuery,
    RequestOut,
    Strict,
    accepted,
    api_blueprint,
    operation,
    out,
    paged,
    request_body,
)
from webapp.database import app_settings, commit, db_session, get_database, rollback
from webapp.sources.views import _source, check_source_limit, save_upload

bp = api_blueprint("sources", "/projects/<int:project_id>/sources")
TAGS = ["data sources"]


class SourceOut(Model):
    id: int
    name: str
    type: str
    status: str = Field(description="pending, ingesting, ready, failed...")
    rows: int | None
    last_refreshed_at: datetime | None
    last_error: str | None
    request_status: str | None = Field(description="its open ingestion request's status")
    progress: int | None
    step: str | None


class Column(Model):
    name: str
    type: str | None = None


class SchemaTable(Model):
    name: str
    raw_table: str | None = Field(None, description="the ingested table's name")
    rows: int | None = None
    columns: list[Column] = []


class SourceDetailOut(SourceOut):
    tables: list[SchemaTable]
    schema_live: bool = Field(description="read live from the database just now")
    schema_stale: bool = Field(description="the database was unreachable: the cached schema")
    schema_error: str | None
    notes: list[str]


class PreviewQuery(Strict):
    table: str | None = Field(None, description="an ingested table (default: the first)")


class PreviewOut(Model):
    table: str
    columns: list[str]
    rows: list[list[Any]]


class DatabaseSourceIn(Strict):
    name: str
    type: Literal["postgresql", "mysql", "mariadb", "mongodb"]
    host: str | None = None
    port: int | None = Field(None, ge=1, le=65535)
    database_name: str | None = None
    username: str | None = None
    password: str | None = None
    schema_: str | None = Field(None, alias="schema")
    connection_string: str | None = Field(None, description="MongoDB only")
    tables: list[str] = Field(description="the tables (collections) to ingest")
    incremental: dict[str, str] = Field(
        default_factory=dict, description="table -> cursor column, for incremental loads"
    )


class FileSourceIn(Strict):
    file: Any = Field(json_schema_extra={"type": "string", "format": "binary"})
    kind: Literal["csv", "excel", "pdf"] = "csv"
    name: str | None = Field(None, description="default: the file's own name")


class QueuedSourceOut(Model):
    source: SourceOut
    request: RequestOut


class StatusOut(Model):
    source: SourceOut
    request: RequestOut | None = Field(description="its latest ingestion request")


class DeletedSourceOut(Model):
    deleted: bool
    name: str
    broken_models: list[str]


def _status(project_id: int, source_id: int) -> dict:
    found = next(
        (r for r in service.list_sources(db_session(), project_id) if r.id == source_id), None
    )
    if found is None:
        raise NotFound("No such data source in this project.", field="source_id")
    return SourceOut.model_validate(found).model_dump(mode="json")


def _queued(project_id: int, source_id: int):
    req = latest_request(db_session(), INGEST, source_id)
    return accepted(req, {"source": _status(project_id, source_id)})


@bp.get("")
@operation(Permission.DATA_SOURCE_VIEW, query=PageQuery, resp={200: Page[SourceOut]}, tags=TAGS)
def index(project_id: int, access):
    """The project's sources by name, with their ingestion state."""
    rows = service.list_sources(db_session(), project_id)
    return paged(SourceOut, rows, request.context.query)


@bp.get("/<int:source_id>")
@operation(Permission.DATA_SOURCE_VIEW, resp={200: SourceDetailOut}, tags=TAGS)
def get(project_id: int, source_id: int, access):
    """One source with its tables and columns (live from a database, else cached)."""
    source = _source(project_id, source_id)
    try:
        schema = inspect.source_schema(source, app_settings())
        commit()  # the refreshed schema cache
        tables, live, stale, error, notes = (
            schema.tables,
            schema.live,
            schema.stale,
            schema.error,
            schema.notes,
        )
    except SourceError as exc:
        rollback()
        tables, live, stale, error, notes = [], False, True, exc.message, []
    body = _status(project_id, source_id) | {
        "tables": tables,
        "schema_live": live,
        "schema_stale": stale,
        "schema_error": error,
        "notes": notes,
    }
    return out(SourceDetailOut, body)


@bp.get("/<int:source_id>/preview")
@operation(Permission.DATA_SOURCE_VIEW, query=PreviewQuery, resp={200: PreviewOut}, tags=TAGS)
def preview(project_id: int, source_id: int, access):
    """The first 100 rows of one of its ingested tables."""
    source = _source(project_id, source_id)
    wanted = request.context.query.table or (source.tables[0].raw_table if source.tables else None)
    if wanted is None:
        raise Conflict("The data source has no ingested table yet.", field="table")
    try:
        found = inspect.preview_table(get_database(), source, wanted)
    except LookupError as exc:
        raise NotFound(str(exc), field="table") from None
    return out(PreviewOut, {"table": found.table, "columns": found.columns, "rows": found.rows})


@bp.post("")
@operation(
    Permission.DATA_SOURCE_CREATE,
    json=DatabaseSourceIn,
    resp={202: QueuedSourceOut},
    tags=TAGS,
)
def create_database(project_id: int, access):
    """A database source: the connection is tested live, then its tables are ingested."""
    body: DatabaseSourceIn = request.context.json
    check_source_limit(project_id)
    details = service.connection_details(body.model_dump(by_alias=True))
    source = service.create_database_source(
        db_session(),
        get_database(),
        project_id=project_id,
        user_id=current_user.id,
        name=body.name,
        source_type=body.type,
        details=details,
        settings=app_settings(),
        selected_tables=body.tables,
        incremental=body.incremental,
    )
    commit()
    return _queued(project_id, source.id)


@bp.post("/files")
@operation(Permission.DATA_SOURCE_CREATE, form=FileSourceIn, resp={202: QueuedSourceOut}, tags=TAGS)
def upload(project_id: int, access):
    """A CSV, Excel or PDF file (multipart ``file``), checked, stored, then ingested."""
    check_source_limit(project_id)
    form = request.context.form
    try:
        source, _stored = save_upload(project_id, request.files.get("file"), form.kind, form.name)
    except UploadRejected as exc:  # about the file: named as the field
        raise SourceError(exc.message, field="file") from None
    return _queued(project_id, source.id)


@bp.post("/<int:source_id>/refresh")
@operation(Permission.DATA_SOURCE_EDIT, resp={202: QueuedSourceOut}, tags=TAGS)
def refresh(project_id: int, source_id: int, access):
    """Ingest again (a database is tested first; an open request is reused)."""
    source = _source(project_id, source_id)
    service.check_reachable(source, app_settings())
    service.request_refresh(db_session(), source, current_user.id)
    return _queued(project_id, source_id)


@bp.get("/<int:source_id>/status")
@operation(Permission.DATA_SOURCE_VIEW, resp={200: StatusOut}, tags=TAGS)
def status(project_id: int, source_id: int, access):
    """Its ingestion state and latest ingestion request."""
    req = latest_request(db_session(), INGEST, source_id)
    body = {
        "source": _status(project_id, source_id),
        "request": request_body(req) if req else None,
    }
    return jsonify(body)


@bp.delete("/<int:source_id>")
@operation(Permission.DATA_SOURCE_DELETE, resp={200: DeletedSourceOut}, tags=TAGS)
def delete(project_id: int, source_id: int, access):
    """Delete it: models reading it are marked broken, its tables and file removed."""
    deleted = service.delete_source(db_session(), _source(project_id, source_id))
    commit()
    service.remove_source_data(get_database(), app_settings(), deleted)
    return out(DeletedSourceOut, {"deleted": True, **deleted.__dict__})
