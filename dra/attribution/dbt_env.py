"""The dbt connection (``DRA_DBT_*`` variables read by dbt_project/profiles.yml), and the
arguments of an attribution build (which projects, which options, full refresh or not)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
MARTS_SCHEMA = "marts"
INTERMEDIATE_SCHEMA = "intermediate"
# What int_touchpoints' last build of each options saw of the events (per project and
# month): created by the model's hooks (dbt_project/macros/attribution_partitions.sql).
PARTITIONS_STATE = "int_touchpoints_state"


def build_args(
    build_vars: Mapping[str, Any] | None = None, *, full_refresh: bool = False
) -> list[str]:
    """``dbt build`` arguments: ``--full-refresh`` and ``--vars`` (project_ids,
    lookback_days, conversion_event_types) when given."""
    args = ["build"]
    if full_refresh:
        args.append("--full-refresh")
    if build_vars:
        args += ["--vars", json.dumps(dict(build_vars), sort_keys=True)]
    return args


def partitions_state_exists(session: Session) -> bool:
    """Whether int_touchpoints is built by partitions already; without the state table (a
    new platform, or one whose touchpoints table predates it) a build must be a full
    refresh, which creates both."""
    found = session.scalar(
        text("SELECT to_regclass(:name) IS NOT NULL"),
        {"name": f'"{INTERMEDIATE_SCHEMA}"."{PARTITIONS_STATE}"'},
    )
    return bool(found)


def dbt_executable() -> str:
    """The dbt CLI installed beside this Python (a virtualenv is often not on PATH)."""
    import shutil
    import sys

    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def dbt_connection_env(database_url: str) -> dict[str, str]:
    """``DRA_DBT_*`` variables for the database of a platform URL (unix sockets included)."""
    url = make_url(database_url)
    socket_dir = url.query.get("host")
    if isinstance(socket_dir, tuple):
        socket_dir = socket_dir[0]
    port = url.port or url.query.get("port") or 5432
    return {
        "DRA_DBT_HOST": str(url.host or socket_dir or "127.0.0.1"),
        "DRA_DBT_PORT": str(port),
        "DRA_DBT_USER": url.username or "postgres",
        "DRA_DBT_PASSWORD": url.password or "",
        "DRA_DBT_DBNAME": url.database or "",
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def run_dbt(
    database_url: str, args: list[str], *, target_path: Path | None = None, timeout: int = 600
) -> str:
    """Run the dbt CLI on the platform project against ``database_url``; its output.

    For tests and benchmarks; pipelines go through the ``@dbt_assets`` of assets/dbt.py.
    Raises RuntimeError with dbt's output when the command fails.
    """
    import os
    import subprocess

    env = {**os.environ, **dbt_connection_env(database_url)}
    if target_path is not None:
        env["DBT_TARGET_PATH"] = str(target_path)
        env["DBT_LOG_PATH"] = str(target_path)
    proc = subprocess.run(
        [dbt_executable(), *args, "--profiles-dir", str(DBT_PROJECT_DIR)],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"dbt {' '.join(args)} failed:\n{proc.stdout[-4000:]}{proc.stderr}")
    return proc.stdout
