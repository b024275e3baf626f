"""Ingesting a data source: the plain function the Dagster assets call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from dra.accounts.notifications import notify
from dra.db import Database
from dra.errors import NotFound
from dra.ingestion.loader import drop_raw_tables
from dra.ingestion.naming import raw_schema
from dra.ingestion.registry import ReconnectNeeded, SourceSnapshot, TableState, loader_for
from dra.models import DataSource, DataSourceTable
from dra.security.crypto import Vault
from dra.settings import Settings

ACTIVE_STATUSES = ("pending", "ready", "failed", "ingesting")


class SourceGone(NotFound, LookupError):
    """The data source was deleted (perhaps while its ingestion was running)."""


@dataclass
class IngestOutcome:
    source_id: int
    ok: bool
    rows: int = 0
    tables: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    skipped: bool = False

    def metadata(self) -> dict[str, object]:
        meta: dict[str, object] = {"rows": self.rows, "tables": ", ".join(self.tables) or "-"}
        if self.error:
            meta["error"] = self.error
        return meta


@dataclass
class IngestSummary:
    outcomes: list[IngestOutcome]

    @property
    def rows(self) -> int:
        return sum(o.rows for o in self.outcomes)

    @property
    def succeeded(self) -> int:
        return sum(1 for o in self.outcomes if o.ok)

    @property
    def failed(self) -> int:
        return sum(1 for o in self.outcomes if not o.ok and not o.skipped)


def active_source_ids(database: Database, *, refreshable: bool = False) -> list[int]:
    """Every source that exists and is not being deleted; with ``refreshable`` only those
    a scheduled refresh can load (not the ones waiting to be reconnected)."""
    query = select(DataSource.id).where(DataSource.status.in_(ACTIVE_STATUSES))
    if refreshable:
        query = query.where(~DataSource.settings.has_key(RECONNECT))
    with database.system_session() as s:
        return list(s.scalars(query.order_by(DataSource.id)))


def _snapshot(database: Database, settings: Settings, source_id: int) -> SourceSnapshot:
    with database.system_session() as s:
        source = s.get(DataSource, source_id)
        if source is None:
            raise SourceGone(f"Data source {source_id} no longer exists.")
        source.status = "ingesting"
        taken = s.scalars(
            select(DataSourceTable.raw_table)
            .join(DataSource)
            .where(DataSource.project_id == source.project_id, DataSource.id != source.id)
        )
        connection = {}
        if source.connection_encrypted:
            connection = Vault(settings.encryption_keys).decrypt_json(source.connection_encrypted)
        file_path = None
        if source.file_path:
            file_path = Path(source.file_path)
            if not file_path.is_absolute():
                file_path = settings.data_dir / file_path
        return SourceSnapshot(
            id=source.id,
            project_id=source.project_id,
            name=source.name,
            type=source.type,
            file_path=file_path,
            connection=connection,
            selected_tables=list(source.selected_tables or []),
            settings=dict(source.settings or {}),
            taken_names=frozenset(taken),
            tables_state={
                t.source_table: TableState(t.raw_table, t.cursor_column, t.cursor_value)
                for t in source.tables
            },
            app_settings=settings,
        )


def _record_success(database: Database, snapshot: SourceSnapshot, loaded) -> bool:
    """Record the loaded tables; False when the source was deleted meanwhile."""
    now = datetime.now(UTC)
    source_id = snapshot.id
    with database.system_session() as s:
        source = s.get(DataSource, source_id, with_for_update=True)
        if source is None:
            return False
        if "schema" in snapshot.discovered:  # re-introspected by this load
            source.schema_cache = {
                "tables": snapshot.discovered["schema"],
                "foreign_keys": snapshot.discovered.get(
                    "foreign_keys", (source.schema_cache or {}).get("foreign_keys", [])
                ),
            }
            source.schema_cached_at = now
        existing = {t.source_table: t for t in source.tables}
        by_raw = {t.raw_table: t for t in source.tables}
        for source_table, result in loaded:
            row = existing.pop(source_table, None)
            if row is None and result.table in by_raw:  # the same table, named anew
                row = existing.pop(by_raw[result.table].source_table, None)
            if row is None:
                row = DataSourceTable(data_source_id=source_id, raw_table=result.table)
            row.source_table = source_table
            row.raw_table = result.table
            row.row_count = result.total_rows
            row.cursor_column = result.cursor_column
            row.cursor_value = result.cursor_value
            row.columns = [
                {"name": c.name, "source_name": c.source_name, "type": c.pg_type}
                for c in result.columns
            ]
            row.last_loaded_at = now
            row.last_error = None
            s.add(row)
        source.row_count = sum(r.total_rows for _, r in loaded)
        source.last_refreshed_at = now
        source.last_error = None
        source.status = "ready"
    return True


RECONNECT = "reconnect_needed"
"""Set in a source's settings when its credentials were revoked (cleared on reconnect)."""


def needs_reconnect(source: DataSource) -> bool:
    return bool((source.settings or {}).get(RECONNECT))


def _record_failure(
    database: Database, source_id: int, message: str, *, reconnect: bool = False
) -> bool:
    """Mark the source failed; False when it no longer exists. With ``reconnect`` (its
    credentials were revoked) it is also marked "reconnect needed" and, the first time,
    the person who connected it and the project's owner are notified."""
    with database.system_session() as s:
        source = s.get(DataSource, source_id)
        if source is None:
            return False
        source.status = "failed"
        source.last_error = message[:4000]
        if reconnect and not needs_reconnect(source):
            source.settings = {**(source.settings or {}), RECONNECT: True}
            owners = {source.created_by, source.project.owner_id} - {None}
            for user_id in sorted(owners):
                notify(
                    s,
                    user_id,
                    type="data_source.reconnect",
                    title=f"Reconnect the data source “{source.name}”",
                    message=message[:2000],
                    link=f"/projects/{source.project_id}/sources/{source.id}",
                )
        return True


def ingest_source(
    database: Database,
    settings: Settings,
    source_id: int,
    log: Callable[[str], None] = lambda _m: None,
) -> IngestOutcome:
    """Load every table of one source into the project's raw schema, atomically per table."""
    snapshot = _snapshot(database, settings, source_id)
    schema = raw_schema(snapshot.project_id)
    with database.system_connection() as conn:
        try:
            conn.autocommit = True  # each table load is its own explicit transaction
            loaded = loader_for(snapshot.type)(conn, snapshot, schema, log)
        except Exception as exc:
            if not _record_failure(
                database,
                source_id,
                str(exc) or exc.__class__.__name__,
                reconnect=isinstance(exc, ReconnectNeeded),
            ):
                raise SourceGone(
                    f"Data source {source_id} was deleted during its ingestion."
                ) from exc
            raise
        finally:
            conn.autocommit = False  # the connection goes back to the pool as it came
    if not _record_success(database, snapshot, loaded):
        # deleted while loading: what this run wrote belongs to nobody, so it goes too
        drop_raw_tables(database, schema, [r.table for _, r in loaded])
        log(
            f"source #{source_id} {snapshot.name!r} was deleted during its ingestion; "
            "its tables were removed"
        )
        return IngestOutcome(source_id=source_id, ok=False, skipped=True, error="deleted")
    rows = sum(r.rows for _, r in loaded)
    log(f"source #{source_id} {snapshot.name!r}: processed {rows} rows")
    return IngestOutcome(
        source_id=source_id, ok=True, rows=rows, tables={r.table: r.rows for _, r in loaded}
    )


def ingest_all_active(
    database: Database, settings: Settings, log: Callable[[str], None] = lambda _m: None
) -> IngestSummary:
    """Refresh every active source; one failing source does not stop the others. A
    source whose credentials were revoked is left for its owner to reconnect."""
    outcomes = []
    for source_id in active_source_ids(database, refreshable=True):
        try:
            outcomes.append(ingest_source(database, settings, source_id, log))
        except SourceGone:
            outcomes.append(IngestOutcome(source_id, ok=False, skipped=True, error="deleted"))
        except ReconnectNeeded as exc:  # the owner was notified: not the pipeline's failure
            log(f"source #{source_id}: reconnect needed: {exc}")
            outcomes.append(IngestOutcome(source_id, ok=False, skipped=True, error=str(exc)))
        except Exception as exc:  # noqa: BLE001 - recorded on the source, reported in the summary
            log(f"source #{source_id}: failed: {exc}")
            outcomes.append(IngestOutcome(source_id, ok=False, error=str(exc)))
    return IngestSummary(outcomes)
