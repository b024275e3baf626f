"""The embedded PostgreSQL server (the ``pgserver`` wheel) kept in the data folder."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

log = logging.getLogger(__name__)

APP_DATABASE = "dra"
DAGSTER_DATABASE = "dagster"


@dataclass
class EmbeddedPostgres:
    """A running pgserver-managed PostgreSQL on a unix socket inside ``pgdata``."""

    pgdata: Path
    _server: object

    def url(self, database: str = APP_DATABASE) -> str:
        """SQLAlchemy URL (psycopg 3) for a database on this server, as superuser."""
        base = self._server.get_uri(database)  # postgresql://postgres:@/db?host=...
        return base.replace("postgresql://", "postgresql+psycopg://", 1)

    def stop(self, wait_seconds: float = 30) -> None:
        """Stop the server (fast shutdown), whatever handles are still open, and wait for
        its postmaster to be gone: pg_ctl returns once the pid file is removed, which the
        postmaster does just before it exits (a moment that a loaded machine stretches)."""
        pid = postmaster_pid(self.pgdata)
        bin_dir = pg_bin_dir()
        cmd = [str(bin_dir / "pg_ctl"), "-D", str(self.pgdata), "-m", "fast", "-w", "stop"]
        user = getattr(self._server, "system_user", None)
        if user:
            cmd = ["su", "-s", "/bin/sh", user, "-c", " ".join(cmd)]
        subprocess.run(cmd, check=False, capture_output=True, timeout=60)
        deadline = time.monotonic() + wait_seconds
        while pid is not None and process_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)


def postmaster_pid(pgdata: Path) -> int | None:
    """The running postmaster's process id from ``postmaster.pid`` (None: not running)."""
    try:
        first = (pgdata / "postmaster.pid").read_text().split("\n", 1)[0]
        return int(first)
    except (OSError, ValueError):
        return None


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` exists and has not exited (an exited one not yet reaped by
    its parent, a zombie, counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def pg_bin_dir() -> Path:
    """Folder holding the embedded server's binaries (pg_dump, psql, pg_restore …)."""
    import pgserver._commands as commands

    return Path(commands.POSTGRES_BIN_PATH)


def start_embedded(pgdata: Path) -> EmbeddedPostgres:
    """Initialise (first time) and start the embedded server; return a handle."""
    import pgserver

    pgdata.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata, cleanup_mode=None)
    return EmbeddedPostgres(pgdata=pgdata, _server=server)


def ensure_database(superuser_url: str, name: str) -> None:
    """Create database ``name`` on the server of ``superuser_url`` if it is missing."""
    engine = create_engine(superuser_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.execute(
                text("select 1 from pg_database where datname = :n"), {"n": name}
            ).scalar()
            if not exists:
                conn.execute(text(f'create database "{name}"'))
    finally:
        engine.dispose()


def find_pg_tool(tool: str, server_major: int) -> Path | None:
    """A ``tool`` (pg_dump, pg_restore, psql) whose major version matches the server."""
    candidates = [pg_bin_dir() / tool]
    which = shutil.which(tool)
    if which:
        candidates.append(Path(which))
    candidates += sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{tool}"), reverse=True)
    for path in candidates:
        if path.exists() and os.access(path, os.X_OK):
            try:
                out = subprocess.run(
                    [str(path), "--version"], capture_output=True, text=True, timeout=10
                ).stdout
            except OSError:
                continue
            digits = out.strip().split()[-1].split(".")[0]
            if digits.isdigit() and int(digits) == server_major:
                return path
    return None
