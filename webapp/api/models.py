"""Data models (UC-DM-01..09) under ``/api/v1/projects/<id>/models``.

Members read; owners, admins and editors create from SQL or the builder's ``query_json``
(validated by running it, then built by the pipeline: 202 with the build request), run,
refresh, copy; owners and admins delete. The same service as the pages (dra.modeling).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response, jsonify, request
from flask_login import current_user
from pydantic import AliasChoices, Field, model_validator

from dra.modeling import service
from dra.modeling.dbt_export import dbt_file_name, to_dbt
from dra.modeling.materialize import drop_model_table
from dra.permissions import Permission
from webapp.api import (
    Model,
    RequestOut,
    Strict,
    accepted,
    api_blueprint,
    listing,
    operation,
    out,
    request_body,
)
from webapp.database import commit, db_session, get_database, statement_timeout_ms

bp = api_blueprint("models", "/projects/<int:project_id>/models")
TAGS = ["data models"]


class ModelOut(Model):
    id: int
    name: str
    description: str | None
    status: str = Field(description="draft, building, ready, failed, broken")
    version: int
    row_count: int | None
    table: str | None = Field(validation_alias=AliasChoices("table", "materialized_table"))
    last_materialized_at: datetime | None
    last_error: str | None


class ModelDetailOut(ModelOut):
    sql: str | None = Field(validation_alias=AliasChoices("sql", "query"))
    query_json: dict[str, Any] | None
    build: RequestOut | None = Field(None, description="its latest build request")


class Definition(Strict):
    sql: str | None = Field(None, description="one read-only SELECT over the project's tables")
    query_json: dict[str, Any] | None = Field(None, description="the query builder's JSON")

    @model_validator(mode="after")
    def _one_form(self):
        if not self.sql and not self.query_json:
            raise ValueError("Send sql or query_json.")
        return self


class ModelIn(Definition):
    name: str
    description: str | None = None


class QueryResultOut(Model):
    columns: list[dict[str, str]]
    rows: list[list[Any]]
    rowLimitApplied: bool
    truncated: bool
    rowCount: int
    message: str | None
    elapsedMs: float


class QueuedModelOut(Model):
    model: ModelOut
    request: RequestOut


class BuildOut(Model):
    model: ModelOut
    request: RequestOut | None


class DeletedModelOut(Model):
    deleted: bool
    name: str


def _model(project_id: int, model_id: int):
    return service.get_model(db_session(), project_id, model_id)


def _queued(model):
    req = service.latest_refresh(db_session(), model.id)
    return accepted(req, {"model": ModelOut.model_validate(model).model_dump(mode="json")})


def _save(project_id: int, model_id: int | None):
    body: ModelIn = request.context.json
    saved = service.save_model(
        db_session(),
        get_database(),
        project_id,
        current_user.id,
        name=body.name,
        query_json=body.query_json,
        sql=body.sql,
        description=body.description,
        model_id=model_id,
        timeout_ms=statement_timeout_ms(),
    )
    return _queued(saved.model)


@bp.get("")
@listing(Permission.DATA_MODEL_VIEW, ModelOut, tags=TAGS)
def index(project_id: int, access):
    """The project's models by name."""
    return service.list_models(db_session(), project_id)


@bp.post("")
@operation(Permission.DATA_MODEL_CREATE, json=ModelIn, resp={202: QueuedModelOut}, tags=TAGS)
def create(project_id: int, access):
    """A new model, checked by running it once; its table is built by the pipeline."""
    return _save(project_id, None)


@bp.post("/preview")
@operation(Permission.DATA_MODEL_EXECUTE, json=Definition, resp={200: QueryResultOut}, tags=TAGS)
def preview(project_id: int, access):
    """The first 100 rows of a definition being written (nothing is saved)."""
    body: Definition = request.context.json
    result = service.preview_definition(
        get_database(),
        project_id,
        query_json=body.query_json,
        sql=body.sql,
        timeout_ms=statement_timeout_ms(),
    )
    return jsonify(result.as_dict())


@bp.get("/<int:model_id>")
@operation(Permission.DATA_MODEL_VIEW, resp={200: ModelDetailOut}, tags=TAGS)
def get(project_id: int, model_id: int, access):
    """One model with its SQL, builder JSON and latest build."""
    model = _model(project_id, model_id)
    build = service.latest_refresh(db_session(), model_id)
    body = ModelDetailOut.model_validate(model).model_dump(mode="json")
    body["build"] = request_body(build) if build else None
    return jsonify(body)


@bp.put("/<int:model_id>")
@operation(Permission.DATA_MODEL_EDIT, json=ModelIn, resp={202: QueuedModelOut}, tags=TAGS)
def update(project_id: int, model_id: int, access):
    """Change its definition (checked by running it); rebuilt by the pipeline."""
    _model(project_id, model_id)
    return _save(project_id, model_id)


def _run(project_id: int, model_id: int, **limit):
    model = _model(project_id, model_id)
    result = service.preview_model(
        get_database(), model, timeout_ms=statement_timeout_ms(), **limit
    )
    return jsonify(result.as_dict())


@bp.post("/<int:model_id>/preview")
@operation(Permission.DATA_MODEL_EXECUTE, resp={200: QueryResultOut}, tags=TAGS)
def preview_saved(project_id: int, model_id: int, access):
    """Its first 100 rows, from its query."""
    return _run(project_id, model_id)


@bp.post("/<int:model_id>/execute")
@operation(Permission.DATA_MODEL_EXECUTE, resp={200: QueryResultOut}, tags=TAGS)
def execute(project_id: int, model_id: int, access):
    """Its query, up to the tier's row limit."""
    return _run(project_id, model_id, limit=None)


@bp.post("/<int:model_id>/refresh")
@operation(Permission.DATA_MODEL_EDIT, resp={202: QueuedModelOut}, tags=TAGS)
def refresh(project_id: int, model_id: int, access):
    """Rebuild its table (an open build request is reused)."""
    model = _model(project_id, model_id)
    service.request_refresh(db_session(), model, current_user.id)
    return _queued(model)


@bp.get("/<int:model_id>/build")
@operation(Permission.DATA_MODEL_VIEW, resp={200: BuildOut}, tags=TAGS)
def build(project_id: int, model_id: int, access):
    """Its build state: the model and its latest build request (null if never queued)."""
    model = _model(project_id, model_id)
    req = service.latest_refresh(db_session(), model_id)
    body = {"model": ModelOut.model_validate(model).model_dump(mode="json")}
    return jsonify(body | {"request": request_body(req) if req else None})


@bp.post("/<int:model_id>/copy")
@operation(Permission.DATA_MODEL_CREATE, resp={202: QueuedModelOut}, tags=TAGS)
def copy(project_id: int, model_id: int, access):
    """A copy named "<name> (Copy)", built by the pipeline (the tier's limit applies)."""
    new_model = service.copy_model(
        db_session(), get_database(), project_id, model_id, current_user.id
    )
    return _queued(new_model)


@bp.delete("/<int:model_id>")
@operation(Permission.DATA_MODEL_DELETE, resp={200: DeletedModelOut}, tags=TAGS)
def delete(project_id: int, model_id: int, access):
    """Delete it (its widgets then show "Data model not found.") and drop its table."""
    name, table = service.delete_model(db_session(), get_database(), project_id, model_id)
    commit()
    drop_model_table(get_database(), project_id, table)
    return out(DeletedModelOut, {"deleted": True, "name": name})


@bp.get("/<int:model_id>/dbt")
@operation(Permission.DATA_MODEL_VIEW, resp={200: None}, tags=TAGS)
def dbt(project_id: int, model_id: int, access):
    """The model as a dbt model file (text/plain): source() and ref() for its tables."""
    model = _model(project_id, model_id)
    body = to_dbt(
        service.catalog_for(get_database(), project_id), model.name, model.query, model.query_json
    )
    disposition = f'attachment; filename="{dbt_file_name(model.name)}"'
    return Response(body, mimetype="text/plain", headers={"Content-Disposition": disposition})
