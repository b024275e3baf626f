"""Source types plug in here: one module per type under dra/ingestion/sources/."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import psycopg

from dra.ingestion.loader import LoadResult


@dataclass(frozen=True)
class SourceSnapshot:
    """What a loader needs to know about a data source, detached from the ORM."""

    id: int
    project_id: int
    name: str
    type: str
    file_path: Path | None
    connection: dict[str, Any]
    selected_tables: list[str]
    settings: dict[str, Any]
    taken_names: frozenset[str] = field(default_factory=frozenset)
    """Raw table names other sources of the project already use."""
    tables_state: dict[str, TableState] = field(default_factory=dict)
    """What the last load left, per source table (raw table name, incremental cursor)."""
    discovered: dict[str, Any] = field(default_factory=dict)
    """What a loader learned about the source (``schema``: its tables), recorded on success."""
    app_settings: Any = None
    """The platform's ``dra.settings.Settings`` (API addresses, keys to re-encrypt a
    renewed OAuth token): set by ``dra.ingestion.service``."""


@dataclass(frozen=True)
class TableState:
    raw_table: str
    cursor_column: str | None = None
    cursor_value: str | None = None


class SourceLoader(Protocol):
    def __call__(
        self,
        conn: psycopg.Connection,
        source: SourceSnapshot,
        schema: str,
        log: Callable[[str], None],
    ) -> list[tuple[str, LoadResult]]:
        """Load the source's tables into ``schema``; return (source table name, result) pairs."""


_LOADERS: dict[str, SourceLoader] = {}


def register(*types: str) -> Callable[[SourceLoader], SourceLoader]:
    def decorator(fn: SourceLoader) -> SourceLoader:
        for t in types:
            _LOADERS[t] = fn
        return fn

    return decorator


def loader_for(source_type: str) -> SourceLoader:
    import dra.ingestion.sources  # noqa: F401 - registers the built-in types

    try:
        return _LOADERS[source_type]
    except KeyError:
        raise LookupError(f"Data sources of type {source_type!r} cannot be ingested yet.") from None


def supported_types() -> list[str]:
    import dra.ingestion.sources  # noqa: F401

    return sorted(_LOADERS)


class ReconnectNeeded(Exception):
    """The source's credentials were revoked or expired for good (an OAuth refresh token
    refused with ``invalid_grant``, Meta's error 190): only its owner can fix it, by
    connecting again. ``dra.ingestion.service`` marks the source and notifies the owner;
    ``daily_ingest`` then skips it until it is reconnected, and its other sources go on."""
