"""PostgreSQL client programs (pg_dump, pg_restore) matched to the server, and how to call them."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from dra.embedded import find_pg_tool
from dra.errors import DraError


class ToolError(DraError, RuntimeError):
    """A PostgreSQL client program is missing or failed; the message says which and why."""

    status = 500


Runner = Callable[..., subprocess.Popen]
"""Starts a program like ``subprocess.Popen`` (injectable, so tests can break a run)."""


@dataclass(frozen=True)
class Connection:
    """What libpq programs need: a password-free URL plus the password in the environment."""

    url: str
    env: dict[str, str]
    database: str


def libpq_connection(sqlalchemy_url: str) -> Connection:
    """Split a SQLAlchemy URL into a libpq URL without password and a PGPASSWORD env."""
    u = make_url(sqlalchemy_url)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = u.password
    plain = u.set(drivername="postgresql", password=None)
    return Connection(
        url=plain.render_as_string(hide_password=False), env=env, database=u.database or ""
    )


def server_version(url: str) -> tuple[int, str]:
    """The server's major version and its full version string."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            num = int(conn.execute(text("show server_version_num")).scalar_one())
            full = str(conn.execute(text("show server_version")).scalar_one())
    finally:
        engine.dispose()
    return num // 10000, full


def matching_tool(tool: str, url: str) -> Path:
    """``tool`` with the server's major version, or a ToolError that says what to install."""
    major, full = server_version(url)
    path = find_pg_tool(tool, major)
    if path is None:
        raise ToolError(
            f"No {tool} for PostgreSQL {major} was found (the server runs {full}); install "
            f"the PostgreSQL {major} client programs (e.g. postgresql-client-{major}) and retry."
        )
    return path


def run_tool(
    args: Sequence[str],
    conn: Connection,
    *,
    what: str,
    runner: Runner = subprocess.Popen,
    timeout: float | None = None,
) -> str:
    """Run a client program to completion; return stdout or raise ToolError with its stderr."""
    proc = runner(
        list(args), env=conn.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise ToolError(f"{what} did not finish within {timeout:.0f} s") from None
    if proc.returncode != 0:
        raise ToolError(f"{what} failed (exit {proc.returncode}): {first_lines(err)}")
    return out


def first_lines(stderr: str | bytes | None, limit: int = 3) -> str:
    """The first meaningful lines of a program's error output."""
    if isinstance(stderr, bytes):
        stderr = stderr.decode("utf-8", "replace")
    lines = [ln.strip() for ln in (stderr or "").splitlines() if ln.strip()]
    return " / ".join(lines[:limit]) or "no error output"
