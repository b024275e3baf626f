"""The one database access module: URLs, engines and session factories.

Two engines reach the same database:
- the *system* engine connects as the configured user (the schema owner or a
  superuser); migrations, Dagster jobs and deliberate cross-project work use it;
- the *app* engine switches to the ``dra_app`` role on connect, so row-level
  security applies; the web app serves users through it, setting the acting
  user per transaction with :func:`act_as`.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

if TYPE_CHECKING:
    import psycopg

APP_ROLE = "dra_app"
READONLY_ROLE = "dra_readonly"  # rights-less since 0004; queries use dra.project_roles
OWNER_ROLE = "dra_owner"


class DatabaseConfigError(RuntimeError):
    """A database URL is malformed or its server cannot be reached."""


def normalise_url(raw: str, *, variable: str = "DRA_DATABASE_URL") -> str:
    """Validate a PostgreSQL URL and make it use the psycopg 3 driver."""
    try:
        url = make_url(raw)
    except ArgumentError:
        raise DatabaseConfigError(
            f"{variable} is not a valid database URL (expected postgresql://user:pass@host/db)"
        ) from None
    backend = url.get_backend_name()
    if backend not in {"postgresql", "postgres"}:
        raise DatabaseConfigError(f"{variable} must point at PostgreSQL, not {backend!r}")
    if not url.database:
        raise DatabaseConfigError(f"{variable} must name a database (…/dbname)")
    return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def describe_host(url: str | URL) -> str:
    """Human-readable host of a URL: host:port or the unix socket folder."""
    u = make_url(url) if isinstance(url, str) else url
    if u.host:
        return f"{u.host}:{u.port or 5432}"
    sock = u.query.get("host")
    return f"socket {sock}" if sock else "localhost"


def libpq_url(url: str) -> str:
    """The same URL without the SQLAlchemy driver suffix (for psql, pg_dump, Dagster)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database."""
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def check_reachable(url: str, *, variable: str = "DRA_DATABASE_URL", timeout: int = 5) -> None:
    """Open and close one connection; raise DatabaseConfigError naming variable and host."""
    u = make_url(url)
    if u.host:
        try:
            socket.create_connection((u.host, u.port or 5432), timeout=timeout).close()
        except OSError as exc:
            raise DatabaseConfigError(
                f"{variable}: cannot reach PostgreSQL at {describe_host(u)} ({exc.strerror or exc})"
            ) from None
    engine = create_engine(url, connect_args={"connect_timeout": timeout}, poolclass=None)
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001 - any driver error becomes one clear line
        first_line = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise DatabaseConfigError(
            f"{variable}: cannot connect to PostgreSQL at {describe_host(u)}: {first_line}"
        ) from None
    finally:
        engine.dispose()


@contextmanager
def connect_once(url: str, **engine_options: Any) -> Iterator[Connection]:
    """One connection, not pooled, closed with its engine afterwards: for maintenance and
    tools that reach a database once (backups, restores, scratch databases, docs).
    ``engine_options`` go to ``create_engine`` (for example ``isolation_level``)."""
    engine = create_engine(url, poolclass=NullPool, **engine_options)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def make_engine(url: str, *, role: str | None = None, **kwargs) -> Engine:
    """An engine; with ``role`` every new connection does ``SET ROLE role`` first."""
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("connect_args", {"connect_timeout": 10})
    engine = create_engine(url, **kwargs)
    if role is not None:

        @event.listens_for(engine, "connect")
        def _set_role(dbapi_conn, _record):  # pragma: no cover - exercised via sessions
            with dbapi_conn.cursor() as cur:
                cur.execute(f'SET ROLE "{role}"')
            dbapi_conn.commit()

    return engine


@dataclass
class Database:
    """Engines and session factories for one database (one per process)."""

    url: str
    system_engine: Engine = field(init=False)
    app_engine: Engine = field(init=False)
    SystemSession: sessionmaker[Session] = field(init=False)
    AppSession: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.system_engine = make_engine(self.url)
        self.app_engine = make_engine(self.url, role=APP_ROLE)
        self.SystemSession = sessionmaker(self.system_engine, expire_on_commit=False)
        self.AppSession = sessionmaker(self.app_engine, expire_on_commit=False)

    @contextmanager
    def system_session(self) -> Iterator[Session]:
        """A session that bypasses row-level security; commit on success."""
        with self.SystemSession() as session, session.begin():
            yield session

    @contextmanager
    def system_connection(self) -> Iterator[psycopg.Connection]:
        """The pool's psycopg connection of the system engine (no row-level security),
        given back to the pool when done; the caller commits (uncommitted work is rolled
        back when it goes back)."""
        raw = self.system_engine.raw_connection()
        try:
            yield raw.driver_connection  # type: ignore[misc]
        finally:
            raw.close()

    def dispose(self) -> None:
        self.system_engine.dispose()
        self.app_engine.dispose()


def act_as(session: Session, user_id: int | None, *, platform_admin: bool = False) -> None:
    """Set the acting user for row-level security for the rest of this transaction."""
    session.execute(
        text(
            "select set_config('dra.user_id', :uid, true),"
            " set_config('dra.platform_admin', :adm, true)"
        ),
        {
            "uid": "" if user_id is None else str(int(user_id)),
            "adm": "on" if platform_admin else "off",
        },
    )
