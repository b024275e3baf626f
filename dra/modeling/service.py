"""Data-model operations the web app calls (UC-DM-01..09). Views stay thin.

``session`` is the caller's session (row-level security as the acting user);
``database`` gives the system session for catalog reads and tier limits (the
project's owner's tier applies) and runs queries as the project's role.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dra.billing.limits import Limit, check_project_limit, row_limit
from dra.db import Database
from dra.errors import one_line_text, project_row
from dra.modeling import lineage
from dra.modeling.catalog import Catalog, load_catalog
from dra.modeling.errors import ModelingError
from dra.modeling.executor import QueryResult, run_readonly
from dra.modeling.prepare import Prepared, prepare, prepare_model
from dra.models import (
    Dashboard,
    DashboardWidget,
    DataModel,
    DataModelSource,
)
from dra.models.data_models import DataModelStatus
from dra.pipeline_requests import enqueue, open_request
from dra.projects.members import project_owner

PREVIEW_ROWS = 100
REFRESH_KIND = "refresh_model"
NAME_MAX = 200


def catalog_for(database: Database, project_id: int) -> Catalog:
    with database.system_session() as s:
        return load_catalog(s, project_id)


def _no_project() -> ModelingError:
    return ModelingError("Invalid project_id.", status=400, field="project_id")


def tier_rows(database: Database, project_id: int) -> int | None:
    """Rows a query of the project may return: its owner's tier's (None: unlimited)."""
    with database.system_session() as s:
        return row_limit(s, project_owner(s, project_id, _no_project()))


def list_models(session: Session, project_id: int) -> list[DataModel]:
    return list(
        session.scalars(
            select(DataModel)
            .where(DataModel.project_id == project_id)
            .order_by(DataModel.name, DataModel.id)
        )
    )


def get_model(session: Session, project_id: int, model_id: int) -> DataModel:
    missing = ModelingError("The data model was not found.", status=404)
    return project_row(session, DataModel, project_id, model_id, missing)


def execute(
    database: Database,
    project_id: int,
    prepared: Prepared,
    *,
    limit: int | None = None,
    timeout_ms: int = 15000,
) -> QueryResult:
    """UC-DM-03: run as the project's role with the tier's row limit."""
    return run_readonly(
        database,
        prepared.sql,
        prepared.params,
        project_id=project_id,
        limit=limit,
        tier_limit=tier_rows(database, project_id),
        timeout_ms=timeout_ms,
    )


def preview_definition(
    database: Database,
    project_id: int,
    *,
    query_json: object = None,
    sql: object = None,
    limit: int = PREVIEW_ROWS,
    timeout_ms: int = 15000,
) -> QueryResult:
    """UC-DM-09 for an unsaved definition (the builder's Preview button)."""
    prepared = prepare(catalog_for(database, project_id), query_json=query_json, sql=sql)
    return execute(database, project_id, prepared, limit=limit, timeout_ms=timeout_ms)


def preview_model(
    database: Database,
    model: DataModel,
    *,
    limit: int | None = PREVIEW_ROWS,
    timeout_ms: int = 15000,
) -> QueryResult:
    prepared = prepare_model(catalog_for(database, model.project_id), model.query, model.query_json)
    return execute(database, model.project_id, prepared, limit=limit, timeout_ms=timeout_ms)


def _clean_name(name: object) -> str:
    return one_line_text(
        name,
        missing=ModelingError("Give the data model a name.", status=422, field="name"),
        too_long=ModelingError(f"Names are limited to {NAME_MAX} characters.", field="name"),
        limit=NAME_MAX,
    )


def _source_ids(catalog: Catalog, tables: list[str]) -> list[int]:
    ids: list[int] = []
    for t in tables:
        sid = catalog.tables[t].data_source_id
        if sid is not None and sid not in ids:
            ids.append(sid)
    return ids


def _check_model_limit(
    session: Session, database: Database, project_id: int, source_ids: list[int]
) -> None:
    for sid in source_ids:
        check_project_limit(
            session,
            database,
            project_id,
            Limit.MODELS_PER_SOURCE,
            missing=_no_project(),
            data_source_id=sid,
        )


@dataclass(frozen=True)
class Saved:
    model: DataModel
    result: QueryResult
    refresh_request_id: int | None


def save_model(
    session: Session,
    database: Database,
    project_id: int,
    user_id: int,
    *,
    name: object,
    query_json: object = None,
    sql: object = None,
    description: str | None = None,
    model_id: int | None = None,
    timeout_ms: int = 15000,
) -> Saved:
    """UC-DM-02: validate by executing (BR-DM-02), store both forms, queue materialization."""
    name = _clean_name(name)
    catalog = catalog_for(database, project_id)
    prepared = prepare(catalog, query_json=query_json, sql=sql)
    upstream = lineage.upstream_models(session, project_id, prepared.tables)
    lineage.check_no_cycle(session, model_id, upstream)
    result = execute(database, project_id, prepared, limit=1, timeout_ms=timeout_ms)
    sources = _source_ids(catalog, prepared.tables)
    if model_id is None:
        _check_model_limit(session, database, project_id, sources)
        model = DataModel(project_id=project_id, created_by=user_id, name=name)
        session.add(model)
    else:
        model = get_model(session, project_id, model_id)
        model.version = model.version + 1
    model.name = name
    model.description = (description or "").strip() or None
    model.query = prepared.display_sql
    model.query_json = (
        query_json
        if isinstance(query_json, dict) and query_json
        else {"mode": "sql", "sql": str(sql).strip()}
    )
    model.data_source_id = sources[0] if len(sources) == 1 else None
    if model.status == DataModelStatus.BROKEN:
        model.status = DataModelStatus.DRAFT
    session.flush()
    _link_sources(session, model.id, sources)
    lineage.link_inputs(session, model.id, upstream)
    request = request_refresh(session, model, user_id)
    return Saved(model, result, request.id if request else None)


def _link_sources(session: Session, model_id: int, sources: list[int]) -> None:
    session.execute(delete(DataModelSource).where(DataModelSource.data_model_id == model_id))
    for sid in sources:
        session.add(DataModelSource(data_model_id=model_id, data_source_id=sid))
    session.flush()


def request_refresh(session: Session, model: DataModel, user_id: int | None):
    """UC-DM-04: queue a materialization (an open request for the model is reused)."""
    existing = open_request(session, REFRESH_KIND, model.id)
    if existing is not None:
        return existing
    return enqueue(
        session, REFRESH_KIND, target_id=model.id, project_id=model.project_id, requested_by=user_id
    )


def latest_refresh(session: Session, model_id: int):
    from dra.models import PipelineRequest

    return session.scalar(
        select(PipelineRequest)
        .where(PipelineRequest.kind == REFRESH_KIND, PipelineRequest.target_id == model_id)
        .order_by(PipelineRequest.id.desc())
        .limit(1)
    )


def copy_model(
    session: Session, database: Database, project_id: int, model_id: int, user_id: int
) -> DataModel:
    """UC-DM-05: same query, name + " (Copy)", tier limit checked, queued for building."""
    try:
        source = get_model(session, project_id, model_id)
    except ModelingError:
        raise ModelingError("The data model could not be copied.", status=400) from None
    source_ids = [link.data_source_id for link in source.source_links]
    _check_model_limit(session, database, project_id, source_ids)
    copy = DataModel(
        project_id=project_id,
        created_by=user_id,
        name=(source.name + " (Copy)")[:NAME_MAX],
        description=source.description,
        query=source.query,
        query_json=source.query_json,
        data_source_id=source.data_source_id,
    )
    session.add(copy)
    session.flush()
    _link_sources(session, copy.id, source_ids)
    lineage.link_inputs(session, copy.id, [link.upstream_model_id for link in source.input_links])
    request_refresh(session, copy, user_id)
    return copy


def dashboards_using(session: Session, model_id: int) -> list[Dashboard]:
    """Dashboards with a widget bound to the model (named before a delete, UC-DM-06)."""
    return list(
        session.scalars(
            select(Dashboard)
            .where(
                Dashboard.id.in_(
                    select(DashboardWidget.dashboard_id).where(
                        DashboardWidget.data_model_id == model_id
                    )
                )
            )
            .order_by(Dashboard.name)
        )
    )


def models_reading(session: Session, model_id: int) -> list[DataModel]:
    """Models that read this model's table (named before a delete: their builds will fail)."""
    readers = lineage.readers_of(session, model_id)
    if not readers:
        return []
    return list(
        session.scalars(select(DataModel).where(DataModel.id.in_(readers)).order_by(DataModel.name))
    )


def delete_model(
    session: Session, database: Database, project_id: int, model_id: int
) -> tuple[str, str | None]:
    """UC-DM-06: delete the record (widgets keep a NULL model); returns (name, table)."""
    model = get_model(session, project_id, model_id)
    name, table = model.name, model.materialized_table
    session.delete(model)
    session.flush()
    return name, table


def project_model_tables(
    session: Session, database: Database, project_id: int
) -> list[dict[str, Any]]:
    """UC-DM-07: every model of the project with its table and columns."""
    catalog = catalog_for(database, project_id)
    out = []
    for model in list_models(session, project_id):
        info = catalog.tables.get(model.materialized_table or "")
        out.append(
            {
                "id": model.id,
                "name": model.name,
                "table": model.materialized_table,
                "schema": info.schema if info else None,
                "status": model.status,
                "version": model.version,
                "columns": [
                    {"name": c, "type": t} for c, t in (info.columns.items() if info else [])
                ],
            }
        )
    return out


def count_models(session: Session, project_id: int) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(DataModel).where(DataModel.project_id == project_id)
        )
        or 0
    )


def models_reading_source(database: Database, source_id: int) -> list[int]:
    """Models built from a source (refreshed after that source's ingestion)."""
    with database.system_session() as s:
        return list(
            s.scalars(
                select(DataModelSource.data_model_id)
                .where(DataModelSource.data_source_id == source_id)
                .order_by(DataModelSource.data_model_id)
            )
        )


def models_reading_model(database: Database, model_id: int) -> list[int]:
    """Models that read a model's table (refreshed after that model is rebuilt)."""
    with database.system_session() as s:
        return lineage.readers_of(s, model_id)


def first_to_refresh(database: Database, model_ids: list[int]) -> list[int]:
    """Of models to rebuild, those that read none of the others (the rest follow them)."""
    with database.system_session() as s:
        return lineage.without_downstream(s, model_ids)


def model_ids(database: Database) -> list[int]:
    """Every data model (the request sensor checks a refresh target still exists)."""
    with database.system_session() as s:
        return list(s.scalars(select(DataModel.id)))
