"""One backup or restore at a time: the web queue refuses a second request, and a
PostgreSQL advisory lock (held in the server's maintenance database, so it survives the
restore's database switch) refuses a second run."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from dra.db import with_database
from dra.errors import Conflict

OPERATION_DEDUPE_KEY = "database-operation"
MAINTENANCE_DATABASE = "postgres"


class OperationBusy(Conflict, RuntimeError):
    """Another backup or restore is queued or running."""


def maintenance_url(url: str) -> str:
    """The same server's maintenance database (for CREATE/DROP/ALTER DATABASE)."""
    return with_database(url, MAINTENANCE_DATABASE)


def lock_key(url: str) -> int:
    return zlib.crc32(f"dra-database-operation:{make_url(url).database}".encode())


@contextmanager
def operation_lock(url: str, what: str = "operation") -> Iterator[None]:
    """Hold the backup/restore lock for the database of ``url``, or raise OperationBusy."""
    engine = create_engine(maintenance_url(url), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    conn = engine.connect()
    try:
        got = conn.execute(text("select pg_try_advisory_lock(:k)"), {"k": lock_key(url)}).scalar()
        if not got:
            raise OperationBusy(f"Cannot start the {what}: a backup or restore is already running.")
        try:
            yield
        finally:
            conn.execute(text("select pg_advisory_unlock(:k)"), {"k": lock_key(url)})
    finally:
        conn.close()
        engine.dispose()
