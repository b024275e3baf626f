"""What ``dra run`` and ``dra test`` share: the data folder lock, ports, and the database."""

from __future__ import annotations

import fcntl
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from dra import embedded
from dra.db import DatabaseConfigError, check_reachable, with_database
from dra.settings import Settings


class StartupError(RuntimeError):
    """Something stops the platform from starting; the message says what and how to fix it."""


class RunLock:
    """An exclusive lock on the data folder, so two run commands never share one PostgreSQL."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "run.lock"
        self._fh = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = self.path.open("a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            fh.close()
            raise StartupError(
                f"Another 'dra run' is already using {self.path.parent} (pid {holder}). "
                "Stop it first (Ctrl-C in its terminal), or set DRA_DATA_DIR to another folder."
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


def ensure_port_free(host: str, port: int, variable: str) -> None:
    """Raise StartupError naming the port and the variable that changes it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            raise StartupError(
                f"Port {port} on {host} is already in use. Stop what uses it, "
                f"or choose another port with {variable}=<port>."
            ) from None


@dataclass
class DatabaseHandle:
    """The platform's database and Dagster's storage database, plus the server if embedded."""

    app_url: str
    dagster_url: str
    server: embedded.EmbeddedPostgres | None = None

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


def open_database(settings: Settings) -> DatabaseHandle:
    """Start the embedded server or check the configured one; create databases if needed."""
    if settings.database_url is not None:
        try:
            check_reachable(settings.database_url, variable="DRA_DATABASE_URL")
        except DatabaseConfigError as exc:
            raise StartupError(str(exc)) from None
        dagster_url = os.environ.get("DRA_DAGSTER_DATABASE_URL") or settings.database_url
        return DatabaseHandle(app_url=settings.database_url, dagster_url=dagster_url)
    server = embedded.start_embedded(settings.pg_dir)
    superuser = server.url("postgres")
    embedded.ensure_database(superuser, embedded.APP_DATABASE)
    embedded.ensure_database(superuser, embedded.DAGSTER_DATABASE)
    return DatabaseHandle(
        app_url=server.url(embedded.APP_DATABASE),
        dagster_url=server.url(embedded.DAGSTER_DATABASE),
        server=server,
    )


@contextmanager
def platform_database(settings: Settings) -> Iterator[DatabaseHandle]:
    """The platform's databases for a one-off command (``dra db``, ``dra dbt``, ``dra dagster``).

    ``DRA_DATABASE_URL`` when set. Otherwise the embedded server of the data folder: while
    ``dra run`` holds it, reached through its socket and left running; else started for the
    command (holding the data folder's lock meanwhile) and stopped afterwards.
    """
    if settings.database_url is not None:
        yield open_database(settings)
        return
    lock = RunLock(settings.data_dir)
    try:
        lock.acquire()
    except StartupError:  # `dra run` holds the server: use it, it is not ours to stop
        running = open_database(settings)
        yield DatabaseHandle(app_url=running.app_url, dagster_url=running.dagster_url)
        return
    try:
        db = open_database(settings)
        try:
            yield db
        finally:
            db.stop()
    finally:
        lock.release()


DAGSTER_YAML = """\
# Written by `dra run`; storage in PostgreSQL through dagster-postgres.
storage:
  postgres:
    postgres_url:
      env: DRA_DAGSTER_PG_URL
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 4
    tag_concurrency_limits:  # one dbt build at a time (jobs tagged dra/dbt)
      - key: "dra/dbt"
        limit: 1
    # a queued run starts within a second (default 5 s), each launch in its own thread
    dequeue_interval_seconds: 1
    dequeue_use_threads: true
sensors:  # each sensor ticks in its own thread: a slow one never delays the request sensor
  use_threads: true
  num_workers: 4
telemetry:
  enabled: false
nux:
  enabled: false
"""


def write_dagster_home(dagster_home: Path) -> Path:
    """Create DAGSTER_HOME with the instance config (PostgreSQL storage, no telemetry)."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    path = dagster_home / "dagster.yaml"
    path.write_text(DAGSTER_YAML)
    return path


def dagster_storage_url(url: str) -> str:
    """Dagster's storage URL, pinned to psycopg2.

    SQLAlchemy 2.1 defaults to psycopg 3, whose server-side parameter binding breaks
    dagster-postgres's ``NOTIFY run_events, %(id)s`` statement.
    """
    return make_url(url).set(drivername="postgresql+psycopg2").render_as_string(hide_password=False)


def child_environment(settings: Settings, db: DatabaseHandle) -> dict[str, str]:
    """Environment for the web app, Dagster and dbt processes."""
    env = dict(os.environ)
    env.update(
        DRA_DATABASE_URL=db.app_url,
        DRA_DAGSTER_PG_URL=dagster_storage_url(db.dagster_url),
        DRA_DATA_DIR=str(settings.data_dir),
        DAGSTER_HOME=str(settings.dagster_home),
        DO_NOT_TRACK="1",
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        SODA_CORE_TELEMETRY_ENABLED="false",
        DAGSTER_DISABLE_TELEMETRY="1",
    )
    from dra.attribution.dbt_env import dbt_connection_env

    env.update(dbt_connection_env(db.app_url))  # read by dbt_project/profiles.yml
    return env


__all__ = [
    "DatabaseHandle",
    "RunLock",
    "StartupError",
    "child_environment",
    "ensure_port_free",
    "open_database",
    "platform_database",
    "with_database",
    "write_dagster_home",
]
