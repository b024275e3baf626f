"""MongoDB sources through pymongo: collections become tables, fields become columns.

Fields are the top-level keys seen in a sample of each collection; nested documents
and arrays land as jsonb. Rows are streamed with a cursor in batches.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any, ClassVar

import pymongo
import pymongo.errors

from dra.ingestion.connectors import (
    CREDENTIALS_REFUSED,
    MONGODB_MESSAGE,
    ConnectionFailed,
    Connector,
    InvalidDetails,
    SourceColumn,
    SourceTable,
    StreamRequest,
    register_connector,
)

SAMPLE_DOCS = 500
BATCH = 2000
SYNTHETIC_SCHEMA = "dra_mongodb"


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "bigint" if -(2**63) <= value < 2**63 else "numeric"
    if isinstance(value, float):
        return "double precision"
    if isinstance(value, datetime):
        return "timestamp"
    if isinstance(value, dict | list):
        return "jsonb"
    return "text"


def _merge(kinds: set[str]) -> str:
    kinds.discard("null")
    if not kinds:
        return "text"
    if len(kinds) == 1:
        return kinds.pop()
    if kinds <= {"bigint", "numeric", "double precision"}:
        return "double precision" if "double precision" in kinds else "numeric"
    return "text"


def _convert(value: Any, pg_type: str) -> Any:
    if value is None:
        return None
    if pg_type == "jsonb":
        return json.dumps(value, default=str)
    if pg_type == "text" and not isinstance(value, str):
        return json.dumps(value, default=str) if isinstance(value, dict | list) else str(value)
    return value


@register_connector("mongodb")
class MongoConnector(Connector):
    type = "mongodb"
    label = "MongoDB"
    client_factory: ClassVar[Callable[..., Any]] = pymongo.MongoClient
    """Replaced by ``mongomock.MongoClient`` in tests (no MongoDB server can run there)."""

    @classmethod
    def validate(cls, details: Mapping[str, Any]) -> dict[str, Any]:
        uri = str(details.get("connection_string") or "").strip()
        if not uri:
            raise InvalidDetails(MONGODB_MESSAGE, field="connection_string")
        if not uri.startswith(("mongodb://", "mongodb+srv://")):
            raise InvalidDetails(
                "A MongoDB connection string starts with mongodb:// or mongodb+srv://.",
                field="connection_string",
            )
        clean = {"connection_string": uri, "schema": SYNTHETIC_SCHEMA}
        if str(details.get("database_name") or "").strip():
            clean["database_name"] = str(details["database_name"]).strip()
        return clean

    @contextmanager
    def database(self) -> Iterator[Any]:
        ms = int(self.timeout * 1000)
        try:
            client = self.client_factory(
                self.details["connection_string"],
                serverSelectionTimeoutMS=ms,
                connectTimeoutMS=ms,
                socketTimeoutMS=max(ms, 60_000),
                appname="dra-ingestion",
            )
        except pymongo.errors.ConfigurationError as exc:
            raise InvalidDetails(
                f"The connection string is not valid: {exc}", field="connection_string"
            ) from None
        try:
            name = self.details.get("database_name")
            try:
                db = client.get_database(name) if name else client.get_default_database()
            except pymongo.errors.ConfigurationError:
                raise InvalidDetails(
                    "Name the database in the connection string "
                    "(mongodb://host/dbname) or in database_name.",
                    field="database_name",
                ) from None
            yield db
        except pymongo.errors.OperationFailure as exc:
            if exc.code in (18, 8000):
                raise ConnectionFailed(CREDENTIALS_REFUSED) from None
            raise ConnectionFailed(str(exc)) from None
        except pymongo.errors.ServerSelectionTimeoutError:
            raise ConnectionFailed(
                f"no MongoDB server answered within {self.timeout:g} seconds."
            ) from None
        except pymongo.errors.PyMongoError as exc:
            raise ConnectionFailed(str(exc)) from None
        finally:
            client.close()

    def test(self) -> None:
        with self.database() as db:
            db.command("ping")

    def introspect(self) -> list[SourceTable]:
        tables = []
        with self.database() as db:
            for name in sorted(db.list_collection_names()):
                kinds: dict[str, set[str]] = {"_id": set()}
                for doc in db[name].find({}).limit(SAMPLE_DOCS):
                    for key, value in doc.items():
                        kinds.setdefault(key, set()).add("null" if value is None else _kind(value))
                columns = [
                    SourceColumn(
                        k,
                        "objectId" if k == "_id" else "/".join(sorted(v)) or "unknown",
                        "text" if k == "_id" else _merge(set(v)),
                    )
                    for k, v in kinds.items()
                ]
                tables.append(SourceTable(name, columns))
        return tables

    @contextmanager
    def read(self, request: StreamRequest) -> Iterator[Iterator[tuple]]:
        table, cursor_column = request.table, request.cursor_column
        query: dict[str, Any] = {}
        if cursor_column and request.after is not None:
            query[cursor_column] = {"$gt": request.after}
        with self.database() as db:
            cursor = db[table.name].find(query, {c.name: 1 for c in table.columns})
            if cursor_column:
                cursor = cursor.sort(cursor_column, 1)
            if request.limit is not None:
                cursor = cursor.limit(int(request.limit))
            cursor = cursor.batch_size(BATCH)
            columns = [(c.name, c.pg_type) for c in table.columns]
            yield (tuple(_convert(doc.get(n), t) for n, t in columns) for doc in cursor)
