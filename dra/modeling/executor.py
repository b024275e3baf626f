"""Run a query as its project's role, in a read-only transaction, with a statement
timeout and a row limit.

The transaction is opened on the system engine and narrowed at once:
``SET TRANSACTION READ ONLY``, ``SET LOCAL ROLE`` to the project's role (SELECT on that
project's raw/models/clean tables only; no privilege on schema ``app`` nor on any other
project's schemas, see ``dra.project_roles``), ``SET LOCAL statement_timeout``. It is
always rolled back.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql

from dra.db import Database
from dra.modeling.errors import ModelingError
from dra.project_roles import ensure_project_role

TIER_MESSAGE = "Showing first {n} rows (tier limit applied)."


@dataclass
class QueryResult:
    columns: list[dict[str, str]]
    rows: list[list[Any]]
    row_limit_applied: bool = False
    truncated: bool = False
    limit: int | None = None
    elapsed_ms: float = 0.0
    messages: list[str] = field(default_factory=list)

    @property
    def message(self) -> str | None:
        if self.row_limit_applied:
            return TIER_MESSAGE.format(n=len(self.rows))
        return None

    def as_dict(self) -> dict[str, Any]:
        return {
            "columns": self.columns,
            "rows": [[jsonable(v) for v in r] for r in self.rows],
            "rowLimitApplied": self.row_limit_applied,
            "truncated": self.truncated,
            "rowCount": len(self.rows),
            "message": self.message,
            "elapsedMs": round(self.elapsed_ms, 1),
        }


def jsonable(value: Any) -> Any:
    """A value JSON can carry (numbers stay numbers, times become ISO text)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return (
            int(value)
            if value == value.to_integral_value() and abs(value) < 2**53
            else float(value)
        )
    if isinstance(value, (datetime, date, dtime)):
        return value.isoformat()
    if isinstance(value, (timedelta, UUID)):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        return "\\x" + bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return str(value)


def effective_limit(requested: int | None, tier: int | None) -> tuple[int | None, bool]:
    """(rows to return, whether that bound is the tier's)."""
    if tier is None:
        return requested, False
    if requested is None or tier <= requested:
        return tier, True
    return requested, False


def narrow(cur: psycopg.Cursor, role: str, timeout_ms: int) -> None:
    """Make the current transaction read-only, as the project's role, with a timeout (one
    round trip: the statements go together, without parameters)."""
    cur.execute(
        sql.SQL("; ").join(
            [
                sql.SQL("set transaction read only"),
                sql.SQL("set local role {}").format(sql.Identifier(role)),
                _timeout(timeout_ms),
                sql.SQL("set local search_path = pg_catalog, pg_temp"),
            ]
        )
    )


def _timeout(timeout_ms: int) -> sql.Composed:
    return sql.SQL("set local statement_timeout = {}").format(sql.Literal(f"{int(timeout_ms)}ms"))


def set_timeout(cur: psycopg.Cursor, timeout_ms: int) -> None:
    """``SET LOCAL statement_timeout`` for the rest of the current transaction."""
    cur.execute(_timeout(timeout_ms))


def translate_error(exc: psycopg.Error, timeout_ms: int) -> ModelingError:
    if isinstance(exc, psycopg.errors.QueryCanceled):
        return ModelingError(
            f"The query took longer than {timeout_ms / 1000:g} seconds and was stopped.",
            status=408,
            field="query",
        )
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return ModelingError("The query reads something data models may not read.", field="query")
    if isinstance(exc, psycopg.errors.ReadOnlySqlTransaction):
        return ModelingError("Data model queries are read-only.", field="query")
    diag = exc.diag
    primary = (diag.message_primary if diag else None) or str(exc).splitlines()[0]
    return ModelingError(f"The query failed: {primary[:400]}", field="query")


@contextmanager
def readonly_cursor(
    database: Database, project_id: int, timeout_ms: int
) -> Iterator[psycopg.Cursor]:
    """A cursor in one transaction narrowed to ``project_id``'s role (read-only, statement
    timeout), for several statements; always rolled back. A psycopg error becomes the
    ModelingError of ``translate_error``."""
    with database.system_connection() as conn:
        conn.rollback()
        try:
            with conn.cursor() as cur:
                # the role is made once, in a transaction of its own (bounded too: it may
                # wait for the project's first ingestion, which makes it as well)
                set_timeout(cur, timeout_ms)
                role = ensure_project_role(cur, project_id)
                conn.commit()
                narrow(cur, role, timeout_ms)
                yield cur
        except psycopg.Error as exc:
            raise translate_error(exc, timeout_ms) from None
        finally:
            conn.rollback()


def run_readonly(
    database: Database,
    text: str,
    params: dict[str, Any] | None = None,
    *,
    project_id: int,
    limit: int | None = None,
    tier_limit: int | None = None,
    timeout_ms: int = 15000,
) -> QueryResult:
    """Run one SELECT (already checked or compiled) as ``project_id``'s role and return at
    most the limit's rows."""
    bound, by_tier = effective_limit(limit, tier_limit)
    wrapped = sql.SQL("select * from ({}) as dra_query").format(sql.SQL(text))
    if bound is not None:
        wrapped = sql.SQL("{} limit {}").format(wrapped, sql.Literal(bound + 1))
    started = time.perf_counter()
    with readonly_cursor(database, project_id, timeout_ms) as cur:
        cur.execute(wrapped, params or None)
        rows = [list(r) for r in cur.fetchall()]
        columns = [
            {"name": d.name, "type": _type_name(cur.connection, d.type_code)}
            for d in cur.description or []
        ]
    truncated = bound is not None and len(rows) > bound
    if truncated:
        rows = rows[:bound]
    return QueryResult(
        columns=columns,
        rows=rows,
        row_limit_applied=truncated and by_tier,
        truncated=truncated,
        limit=bound,
        elapsed_ms=(time.perf_counter() - started) * 1000,
    )


def _type_name(conn: psycopg.Connection, oid: int) -> str:
    info = conn.adapters.types.get(oid)
    return info.name if info else "unknown"
