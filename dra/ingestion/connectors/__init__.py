"""Database connectors: test a connection, list tables and columns, stream rows.

Each database type is one module that subclasses :class:`Connector` and registers
itself with :func:`register_connector`. Connectors never write anywhere; loading into
PostgreSQL is the loader's job (``dra.ingestion.sources.databases``).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from dra.errors import DraError

CONNECT_TIMEOUT = 10
"""Seconds: an unreachable server or a wrong password answers within this."""

PREVIEW_LIMIT = 100
RELATIONAL_FIELDS = ("host", "port", "database_name", "username")
RELATIONAL_MESSAGE = (
    "Please provide all connection fields (host, port, database_name, username, password)."
)
MONGODB_MESSAGE = (
    "MongoDB requires a connection_string (for example mongodb://user:pass@host:27017/db)."
)


class ConnectionFailed(Exception):
    """The source could not be reached or refused the credentials; the message says which."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"The data source could not be connected: {reason}")


CREDENTIALS_REFUSED = "the user name or password was refused."


def no_answer(host: str, port: int, timeout: float) -> str:
    return f"no answer from {host}:{port} within {timeout:g} seconds."


def nothing_listening(host: str, port: int) -> str:
    return f"nothing is listening at {host}:{port} (connection refused)."


def unknown_host(host: str) -> str:
    return f"the host {host!r} is unknown."


class InvalidDetails(DraError, ValueError):
    """Connection details are missing or malformed; ``field`` names the first bad one."""


@dataclass(frozen=True)
class SourceColumn:
    name: str
    source_type: str
    pg_type: str


@dataclass(frozen=True)
class SourceTable:
    name: str
    """Qualified name at the source: ``schema.table`` or a collection name."""
    columns: list[SourceColumn]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "columns": [
                {"name": c.name, "type": c.source_type, "pg_type": c.pg_type} for c in self.columns
            ],
        }


@dataclass(frozen=True)
class ForeignKey:
    """A foreign-key constraint declared at the source (read at introspection).

    Table names are spelled as :class:`SourceTable` names (``schema.table`` for
    PostgreSQL, the table for MySQL); ``columns[i]`` references ``ref_columns[i]``.
    """

    name: str
    table: str
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "table": self.table,
            "columns": list(self.columns),
            "ref_table": self.ref_table,
            "ref_columns": list(self.ref_columns),
        }


@dataclass(frozen=True)
class StreamRequest:
    """What :meth:`Connector.stream` reads: the table's columns, in cursor order if any."""

    table: SourceTable
    cursor_column: str | None = None
    after: Any = None
    limit: int | None = None

    def select(self, quote: Callable[[str], str], table_sql: str) -> tuple[str, list[Any]]:
        """The SELECT of a relational source (``%s`` placeholders) and its parameters;
        ``quote`` quotes an identifier, ``table_sql`` is the table's quoted name."""
        query = "select {} from {}".format(
            ", ".join(quote(c.name) for c in self.table.columns), table_sql
        )
        params: list[Any] = []
        if self.cursor_column:
            if self.after is not None:
                query += f" where {quote(self.cursor_column)} > %s"
                params.append(self.after)
            query += f" order by {quote(self.cursor_column)}"
        if self.limit is not None:
            query += f" limit {int(self.limit)}"
        return query, params


class Connector(ABC):
    """One database type. Subclasses implement test, introspect and read (and foreign_keys
    where the source declares them); :meth:`stream` is the one way rows are asked for."""

    type: ClassVar[str]
    label: ClassVar[str]

    def __init__(self, details: Mapping[str, Any], timeout: float = CONNECT_TIMEOUT) -> None:
        self.details = self.validate(details)
        self.timeout = timeout

    @classmethod
    def validate(cls, details: Mapping[str, Any]) -> dict[str, Any]:
        """Clean details (stripped strings, int port) or raise InvalidDetails."""
        clean = {
            k: (v.strip() if isinstance(v, str) and k != "password" else v)
            for k, v in details.items()
            if v is not None
        }
        for name in RELATIONAL_FIELDS:
            if not str(clean.get(name, "")).strip():
                raise InvalidDetails(RELATIONAL_MESSAGE, field=name)
        try:
            port = int(clean["port"])
        except (TypeError, ValueError):
            raise InvalidDetails("The port must be a number, such as 5432.", field="port") from None
        if not 0 < port < 65536:
            raise InvalidDetails("The port must be between 1 and 65535.", field="port")
        clean["port"] = port
        try:  # what the driver's name lookup does first (a UnicodeError there otherwise)
            str(clean["host"]).encode("idna")
        except UnicodeError:
            raise InvalidDetails(
                "The host must be a host name or an IP address.", field="host"
            ) from None
        clean.setdefault("password", "")
        return clean

    @abstractmethod
    def test(self) -> None:
        """Open and close a connection; raise ConnectionFailed with a plain reason."""
        ...

    @abstractmethod
    def introspect(self) -> list[SourceTable]:
        """Every table (or collection) with its columns and types."""
        ...

    def foreign_keys(self) -> list[ForeignKey]:
        """Foreign keys declared between the source's tables (none for schemaless sources)."""
        return []

    def stream(
        self,
        table: SourceTable,
        *,
        cursor_column: str | None = None,
        after: Any = None,
        limit: int | None = None,
    ) -> AbstractContextManager[Iterator[tuple[Any, ...]]]:
        """Rows of ``table`` in column order, streamed from a server-side cursor.

        With ``cursor_column`` the rows come ordered by it, and only those greater
        than ``after`` when it is not None.
        """
        return self.read(StreamRequest(table, cursor_column, after, limit))

    @abstractmethod
    def read(self, request: StreamRequest) -> AbstractContextManager[Iterator[tuple[Any, ...]]]:
        """The rows that :meth:`stream` describes, from this source."""
        ...

    def preview(self, table: SourceTable, limit: int = PREVIEW_LIMIT) -> list[tuple[Any, ...]]:
        with self.stream(table, limit=limit) as rows:
            return [tuple(r) for r in rows]

    def find_table(self, name: str) -> SourceTable:
        for table in self.introspect():
            if table.name == name:
                return table
        raise LookupError(f"The table {name!r} no longer exists at the source.")


_CONNECTORS: dict[str, type[Connector]] = {}


def register_connector(*types: str) -> Callable[[type[Connector]], type[Connector]]:
    def decorator(cls: type[Connector]) -> type[Connector]:
        for t in types:
            _CONNECTORS[t] = cls
        return cls

    return decorator


def _load_builtins() -> None:
    from dra.ingestion.connectors import mongodb, mysql, postgresql  # noqa: F401


def connector_class(source_type: str) -> type[Connector]:
    _load_builtins()
    try:
        return _CONNECTORS[source_type]
    except KeyError:
        raise InvalidDetails(
            f"{source_type!r} is not a supported database type.", field="type"
        ) from None


def connector_for(
    source_type: str, details: Mapping[str, Any], timeout: float = CONNECT_TIMEOUT
) -> Connector:
    return connector_class(source_type)(details, timeout=timeout)


def database_types() -> dict[str, str]:
    """type -> label of every registered database connector."""
    _load_builtins()
    return {t: cls.label for t, cls in sorted(_CONNECTORS.items())}


# Incremental cursor values are kept as JSON text with their type, so that the next
# load compares like with like at the source (numbers, dates, strings, ObjectIds).


def encode_cursor(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return json.dumps({"t": "bool", "v": value})
    if isinstance(value, int):
        return json.dumps({"t": "int", "v": value})
    if isinstance(value, float):
        return json.dumps({"t": "float", "v": value})
    if isinstance(value, Decimal):
        return json.dumps({"t": "decimal", "v": str(value)})
    if isinstance(value, datetime):
        return json.dumps({"t": "datetime", "v": value.isoformat()})
    if isinstance(value, date):
        return json.dumps({"t": "date", "v": value.isoformat()})
    if type(value).__name__ == "ObjectId":
        return json.dumps({"t": "objectid", "v": str(value)})
    return json.dumps({"t": "str", "v": str(value)})


def decode_cursor(text: str | None) -> Any:
    if not text:
        return None
    data = json.loads(text)
    kind, value = data["t"], data["v"]
    if kind == "decimal":
        return Decimal(value)
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "objectid":
        from bson import ObjectId

        return ObjectId(value)
    return value
