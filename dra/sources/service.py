"""Creating, listing, refreshing and deleting data sources (UC-DS-01..06, 12, 14, 15)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from dra.ads.platforms import AdAccount, OAuthToken, Platform
from dra.billing.limits import Limit, check_project_limit
from dra.db import Database
from dra.errors import DraError, one_line_text
from dra.ingestion.connectors import (
    CONNECT_TIMEOUT,
    ConnectionFailed,
    Connector,
    InvalidDetails,
    SourceTable,
    connector_for,
)
from dra.ingestion.loader import drop_raw_tables
from dra.ingestion.naming import raw_schema
from dra.ingestion.service import RECONNECT
from dra.models import DataModel, DataModelSource, DataSource, PipelineRequest
from dra.pipeline_requests import enqueue, open_request
from dra.security.crypto import Vault
from dra.settings import Settings
from dra.sources.uploads import StoredUpload, remove_file

INGEST = "ingest_source"
CONNECTION_FIELDS = (
    "host",
    "port",
    "database_name",
    "username",
    "password",
    "schema",
    "connection_string",
)


class SourceError(DraError, ValueError):
    """A request about a data source cannot be done; ``field`` names the culprit if any."""


def connection_details(form: Mapping[str, Any]) -> dict[str, Any]:
    """The connection fields of a submitted form (nothing else is kept)."""
    return {k: form.get(k) for k in CONNECTION_FIELDS if form.get(k) not in (None, "")}


def guard_target(source_type: str, details: Mapping[str, Any], settings: Settings) -> None:
    """Refuse the platform's own databases as a source: they hold every project's data."""
    if source_type != "postgresql" or not settings.database_url:
        return
    own = make_url(settings.database_url)
    own_host = own.host or own.query.get("host") or "localhost"
    host = str(details.get("host", ""))
    same_host = host == own_host or (
        host in {"localhost", "127.0.0.1", "::1"} and own_host in {"localhost", "127.0.0.1", "::1"}
    )
    same_port = int(details.get("port") or 5432) == int(own.port or 5432)
    if same_host and same_port and details.get("database_name") in {own.database, "dagster"}:
        raise SourceError(
            "This is the platform's own database; it cannot be a data source.",
            field="database_name",
        )


def open_connector(
    source_type: str,
    details: Mapping[str, Any],
    settings: Settings,
    timeout: float = CONNECT_TIMEOUT,
) -> Connector:
    """A validated connector; SourceError for missing fields or a forbidden target."""
    try:
        connector = connector_for(source_type, details, timeout=timeout)
    except InvalidDetails as exc:
        raise SourceError(str(exc), field=exc.field) from None
    guard_target(source_type, connector.details, settings)
    return connector


def check_connection(
    source_type: str,
    details: Mapping[str, Any],
    settings: Settings,
    timeout: float = CONNECT_TIMEOUT,
) -> list[SourceTable]:
    """UC-DS-01: connect live and list the tables; nothing is saved. SourceError on failure."""
    connector = open_connector(source_type, details, settings, timeout)
    try:
        connector.test()
        return connector.introspect()
    except ConnectionFailed as exc:
        raise SourceError(str(exc)) from None


def _check_name(name: str) -> str:
    return one_line_text(
        name,
        missing=SourceError("Give the data source a name.", field="name"),
        too_long=SourceError("The name can be at most 200 characters.", field="name"),
        limit=200,
    )


def _add_and_ingest(session: Session, source: DataSource) -> DataSource:
    """A new source, inserted, with its first ingestion request queued."""
    session.add(source)
    session.flush()
    enqueue(
        session,
        INGEST,
        target_id=source.id,
        project_id=source.project_id,
        requested_by=source.created_by,
    )
    return source


def create_database_source(
    session: Session,
    database: Database,
    *,
    project_id: int,
    user_id: int,
    name: str,
    source_type: str,
    details: Mapping[str, Any],
    settings: Settings,
    selected_tables: list[str],
    incremental: Mapping[str, str],
    timeout: float = CONNECT_TIMEOUT,
) -> DataSource:
    """UC-DS-02/03: tier limit (the project owner's), live test, encrypted details,
    ingestion request (caller commits)."""
    check_project_limit(session, database, project_id, Limit.SOURCES_PER_PROJECT)
    name = _check_name(name)
    tables = {t.name: t for t in check_connection(source_type, details, settings, timeout)}
    chosen = [t for t in dict.fromkeys(selected_tables) if t]
    if not chosen:
        raise SourceError("Choose at least one table to ingest.", field="tables")
    unknown = [t for t in chosen if t not in tables]
    if unknown:
        raise SourceError(
            "These tables do not exist at the source: " + ", ".join(unknown), field="tables"
        )
    cursors = {}
    for table, column in incremental.items():
        if table in chosen and column:
            if column not in {c.name for c in tables[table].columns}:
                raise SourceError(f"{column!r} is not a column of {table}.", field="incremental")
            cursors[table] = column
    clean = connector_for(source_type, details).details
    source = DataSource(
        project_id=project_id,
        name=name,
        type=source_type,
        status="pending",
        connection_encrypted=Vault(settings.encryption_keys).encrypt_json(clean),
        settings={"incremental": cursors} if cursors else {},
        selected_tables=chosen,
        created_by=user_id,
        schema_cache={"tables": [tables[t].as_dict() for t in sorted(tables)]},
        schema_cached_at=datetime.now(UTC),
    )
    return _add_and_ingest(session, source)


def create_file_source(
    session: Session,
    database: Database,
    *,
    project_id: int,
    user_id: int,
    name: str | None,
    upload: StoredUpload,
) -> DataSource:
    """UC-DS-04..06: tier limit, then record an uploaded file and queue its ingestion
    (caller commits)."""
    check_project_limit(session, database, project_id, Limit.SOURCES_PER_PROJECT)
    source = DataSource(
        project_id=project_id,
        name=_check_name(name or Path(upload.original_filename).stem),
        type=upload.type,
        status="pending",
        file_path=upload.relative_path,
        original_filename=upload.original_filename,
        file_size_bytes=upload.size,
        settings={"summary": upload.summary},
        created_by=user_id,
    )
    return _add_and_ingest(session, source)


def create_ad_source(
    session: Session,
    database: Database,
    *,
    project_id: int,
    user_id: int,
    name: str | None,
    platform: Platform,
    token: OAuthToken,
    account: AdAccount,
    settings: Settings,
) -> DataSource:
    """UC-DS-07..11: an advertising source for the chosen account (tier limit, tokens
    encrypted, ingestion request queued; the caller commits)."""
    check_project_limit(session, database, project_id, Limit.SOURCES_PER_PROJECT)
    source = DataSource(
        project_id=project_id,
        name=_check_name(name or f"{platform.label} {account.name}"),
        type=platform.key,
        status="pending",
        connection_encrypted=Vault(settings.encryption_keys).encrypt_json(
            {"token": token.as_dict()}
        ),
        settings={"account": account.as_dict(), "provider": platform.provider},
        selected_tables=[t.name for t in platform.tables],
        created_by=user_id,
    )
    return _add_and_ingest(session, source)


def reconnect_ad_source(
    session: Session,
    source: DataSource,
    *,
    user_id: int,
    platform: Platform,
    token: OAuthToken,
    accounts: list[AdAccount],
    settings: Settings,
) -> DataSource:
    """Reconnect: the new ``token`` (from the OAuth flow run again) replaces the source's,
    encrypted, if it can still read the source's account; the "reconnect needed" mark and
    the last error go and an ingestion is queued (the caller commits). The same source,
    its raw tables and cursors kept: nothing is created."""
    if source.type != platform.key:
        raise SourceError(f"This source is not a {platform.label} source.", status=400)
    account_id = str((source.settings or {}).get("account", {}).get("id"))
    account = next((a for a in accounts if a.id == account_id), None)
    if account is None:
        raise SourceError(
            f"This {platform.label} login cannot read the source's {platform.account_noun} "
            f"({account_id}): sign in with an account that can.",
            status=400,
        )
    vault = Vault(settings.encryption_keys)
    details = vault.decrypt_json(source.connection_encrypted) if source.connection_encrypted else {}
    source.connection_encrypted = vault.encrypt_json({**details, "token": token.as_dict()})
    kept = {k: v for k, v in (source.settings or {}).items() if k != RECONNECT}
    source.settings = {**kept, "account": account.as_dict()}
    source.status = "pending"
    source.last_error = None
    session.flush()
    enqueue(
        session, INGEST, target_id=source.id, project_id=source.project_id, requested_by=user_id
    )
    return source


def get_source(session: Session, project_id: int, source_id: int) -> DataSource:
    source = session.scalar(
        select(DataSource).where(DataSource.id == source_id, DataSource.project_id == project_id)
    )
    if source is None:
        raise LookupError("No such data source in this project.")
    return source


@dataclass(frozen=True)
class SourceStatus:
    id: int
    name: str
    type: str
    status: str
    rows: int | None
    last_refreshed_at: datetime | None
    last_error: str | None
    request_status: str | None
    progress: int | None
    step: str | None = None  # what the ingestion's run is doing ("loading the tables")

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "status": self.status,
            "rows": self.rows,
            "last_error": self.last_error,
            "last_refreshed_at": self.last_refreshed_at.isoformat()
            if self.last_refreshed_at
            else None,
            "request_status": self.request_status,
            "progress": self.progress,
            "step": self.step,
            "busy": self.status == "ingesting" or self.request_status in ("queued", "running"),
        }


def list_sources(session: Session, project_id: int) -> list[SourceStatus]:
    """UC-DS-12: every source of the project with its state and any open ingestion request."""
    sources = session.scalars(
        select(DataSource)
        .where(DataSource.project_id == project_id)
        .order_by(DataSource.name, DataSource.id)
    ).all()
    open_requests: dict[int, PipelineRequest] = {}
    if sources:
        for req in session.scalars(
            select(PipelineRequest)
            .where(
                PipelineRequest.kind == INGEST,
                PipelineRequest.target_id.in_([s.id for s in sources]),
                PipelineRequest.status.in_(("queued", "running")),
            )
            .order_by(PipelineRequest.id)
        ):
            open_requests[req.target_id] = req
    return [
        SourceStatus(
            id=s.id,
            name=s.name,
            type=s.type,
            status=s.status,
            rows=s.row_count,
            last_refreshed_at=s.last_refreshed_at,
            last_error=s.last_error,
            request_status=open_requests[s.id].status if s.id in open_requests else None,
            progress=open_requests[s.id].progress if s.id in open_requests else None,
            step=open_requests[s.id].step if s.id in open_requests else None,
        )
        for s in sources
    ]


def check_reachable(
    source: DataSource, settings: Settings, timeout: float = CONNECT_TIMEOUT
) -> None:
    """For a database source, a live connection test (SourceError when unreachable)."""
    if not source.connection_encrypted or source.type not in (
        "postgresql",
        "mysql",
        "mariadb",
        "mongodb",
    ):
        return
    details = Vault(settings.encryption_keys).decrypt_json(source.connection_encrypted)
    connector = open_connector(source.type, details, settings, timeout)
    try:
        connector.test()
    except ConnectionFailed as exc:
        raise SourceError(f"{exc} The data loaded last time is kept.") from None


def request_refresh(session: Session, source: DataSource, user_id: int) -> tuple[int, bool]:
    """UC-DS-14: queue an ingestion (or reuse the open one); (request id, newly queued)."""
    existing = open_request(session, INGEST, source.id)
    if existing is not None:
        return existing.id, False
    request = enqueue(
        session, INGEST, target_id=source.id, project_id=source.project_id, requested_by=user_id
    )
    return request.id, True


def dependent_models(session: Session, source_id: int) -> list[DataModel]:
    """Data models that read the source (directly or among several sources)."""
    linked = select(DataModelSource.data_model_id).where(
        DataModelSource.data_source_id == source_id
    )
    return list(
        session.scalars(
            select(DataModel)
            .where(or_(DataModel.data_source_id == source_id, DataModel.id.in_(linked)))
            .order_by(DataModel.name)
        )
    )


@dataclass(frozen=True)
class Deleted:
    name: str
    broken_models: list[str]
    raw_tables: list[str]
    file_path: str | None
    schema: str


def delete_source(session: Session, source: DataSource) -> Deleted:
    """UC-DS-15, database part: models marked broken, open requests closed, row deleted.

    The caller commits, then calls :func:`remove_source_data` for files and raw tables.
    """
    models = dependent_models(session, source.id)
    for model in models:
        model.status = "broken"
        model.last_error = f"Its data source {source.name!r} was deleted."
    session.execute(
        update(PipelineRequest)
        .where(
            PipelineRequest.kind == INGEST,
            PipelineRequest.target_id == source.id,
            PipelineRequest.status == "queued",
        )
        .values(
            status="failed", error="The data source was deleted.", finished_at=datetime.now(UTC)
        )
    )
    result = Deleted(
        name=source.name,
        broken_models=[m.name for m in models],
        raw_tables=[t.raw_table for t in source.tables],
        file_path=source.file_path if source.type in ("csv", "excel", "pdf") else None,
        schema=raw_schema(source.project_id),
    )
    session.delete(source)
    session.flush()
    return result


def remove_source_data(database: Database, settings: Settings, deleted: Deleted) -> None:
    """Drop the deleted source's raw tables and remove its uploaded file."""
    drop_raw_tables(database, deleted.schema, deleted.raw_tables)
    remove_file(settings.data_dir, deleted.file_path)
