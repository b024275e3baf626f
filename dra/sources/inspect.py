"""Schema and preview of a data source (UC-DS-13), live where possible, cached otherwise."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql

from dra.ads.platforms import is_ad_source
from dra.db import Database
from dra.ingestion.connectors import PREVIEW_LIMIT, ConnectionFailed, decode_cursor
from dra.ingestion.naming import raw_schema
from dra.models import DataSource
from dra.security.crypto import Vault
from dra.settings import Settings
from dra.sources.service import SourceError, open_connector

DATABASE_TYPES = ("postgresql", "mysql", "mariadb", "mongodb")


@dataclass
class SchemaView:
    tables: list[dict[str, Any]]
    """[{name, columns: [{name, type, pg_type}], raw_table?, rows?}]"""
    live: bool
    stale: bool = False
    cached_at: datetime | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)


def _cursor_label(column: str | None, value: str | None) -> str | None:
    """ "incremental on id, last value 250" for the page (None for full reloads)."""
    if not column:
        return None
    try:
        last = decode_cursor(value)
    except (ValueError, KeyError, TypeError):
        last = None
    return f"incremental on {column}" + (f", last value {last}" if last is not None else "")


def _ingested(source: DataSource) -> dict[str, dict[str, Any]]:
    return {
        t.source_table: {
            "raw_table": t.raw_table,
            "rows": t.row_count,
            "cursor": _cursor_label(t.cursor_column, t.cursor_value),
            "columns": [
                {"name": c.get("source_name", c["name"]), "type": c["type"], "pg_type": c["type"]}
                for c in (t.columns or [])
            ],
        }
        for t in source.tables
    }


def source_schema(source: DataSource, settings: Settings, timeout: float = 10) -> SchemaView:
    """Tables and columns: live from a database (cache refreshed), else the cache, marked stale.

    The caller commits (the schema cache is updated on the source when fetched live).
    """
    ingested = _ingested(source)
    if source.type not in DATABASE_TYPES:
        tables = [{"name": name, **info} for name, info in sorted(ingested.items())]
        what = "account's reports have" if is_ad_source(source.type) else "file has"
        notes = [] if tables else [f"The {what} not been ingested yet."]
        return SchemaView(tables=tables, live=False, notes=notes)
    details = Vault(settings.encryption_keys).decrypt_json(source.connection_encrypted)
    try:
        connector = open_connector(source.type, details, settings, timeout)
        live = [t.as_dict() for t in connector.introspect()]
        foreign_keys = [fk.as_dict() for fk in connector.foreign_keys()]
    except (ConnectionFailed, SourceError) as exc:
        cached = (source.schema_cache or {}).get("tables")
        if cached is None:
            raise SourceError(f"{exc} No schema was cached earlier.") from None
        return SchemaView(
            tables=_annotate(cached, ingested, source),
            live=False,
            stale=True,
            cached_at=source.schema_cached_at,
            error=str(exc),
        )
    source.schema_cache = {"tables": live, "foreign_keys": foreign_keys}
    source.schema_cached_at = datetime.now(UTC)
    return SchemaView(
        tables=_annotate(live, ingested, source), live=True, cached_at=source.schema_cached_at
    )


def _annotate(tables: list[dict], ingested: dict[str, dict], source: DataSource) -> list[dict]:
    chosen = set(source.selected_tables or [])
    out = []
    for table in tables:
        info = dict(table)
        info["selected"] = table["name"] in chosen
        if table["name"] in ingested:
            info["raw_table"] = ingested[table["name"]]["raw_table"]
            info["rows"] = ingested[table["name"]]["rows"]
            info["cursor"] = ingested[table["name"]]["cursor"]
        out.append(info)
    return sorted(out, key=lambda t: (not t["selected"], t["name"]))


@dataclass
class Preview:
    table: str
    columns: list[str]
    rows: list[tuple]


def preview_table(
    database: Database,
    source: DataSource,
    raw_table: str,
    limit: int = PREVIEW_LIMIT,
    timeout_ms: int = 5000,
) -> Preview:
    """The first rows of one of the source's ingested tables (read-only, time-limited)."""
    known = {t.raw_table: t.source_table for t in source.tables}
    if raw_table not in known:
        raise LookupError("This table does not belong to the data source.")
    schema = raw_schema(source.project_id)
    with database.system_connection() as conn:
        with conn.cursor() as cur:
            cur.execute("set transaction read only")
            cur.execute(
                sql.SQL("set local statement_timeout = {}").format(sql.Literal(int(timeout_ms)))
            )
            try:
                cur.execute(
                    sql.SQL("select * from {}.{} limit {}").format(
                        sql.Identifier(schema), sql.Identifier(raw_table), sql.Literal(int(limit))
                    )
                )
            except psycopg.errors.UndefinedTable:
                conn.rollback()
                raise LookupError("This table has not been ingested yet.") from None
            columns = [d.name for d in cur.description]
            rows = cur.fetchall()
        conn.rollback()
    return Preview(table=known[raw_table], columns=columns, rows=rows)
