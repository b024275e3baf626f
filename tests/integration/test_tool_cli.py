"""``dra dbt ...`` and ``dra dagster ...``: the tools run against the platform's own database
(the environment ``dra run`` gives its children), and the dbt profile's defaults reach the
embedded server rather than whatever listens on 127.0.0.1:5432."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from dra.attribution.dbt_env import DBT_PROJECT_DIR, dbt_executable
from dra.settings import PROJECT_ROOT


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DRA_", "DBT_", "DAGSTER_")) and k != "PWD"
    }
    env.update(
        DRA_ENV="development",
        DBT_USE_COLORS="false",
        DBT_LOG_PATH=str(tmp_path / "dbt-logs"),
        DBT_TARGET_PATH=str(tmp_path / "dbt-target"),
        **extra,
    )
    return env


def _dra(args: list[str], env: dict[str, str], cwd: Path, timeout: int = 240):
    return subprocess.run(
        [sys.executable, "-m", "dra", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _socket_dir(url: str) -> str | None:
    host = make_url(url).query.get("host")
    return host[0] if isinstance(host, tuple) else host


def test_dra_dbt_connects_to_the_platform_database_from_anywhere(database_url, tmp_path):
    env = _env(tmp_path, DRA_DATABASE_URL=database_url, DRA_DATA_DIR=str(tmp_path / "data"))
    proc = _dra(["dbt", "debug"], env, cwd=tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "All checks passed" in out and "OK connection ok" in out
    url = make_url(database_url)
    assert f"database: {url.database}" in out
    assert f"host: {_socket_dir(database_url) or url.host}" in out


def test_dra_dbt_starts_the_embedded_server_when_the_platform_is_not_running(tmp_path):
    import shutil
    import tempfile

    from tests.integration.test_run_command import _postgres_running_on

    # not under pytest's basetemp, which another pytest run on this machine may prune
    data = Path(tempfile.mkdtemp(prefix="dra-dbt-"))
    try:
        proc = _dra(["dbt", "debug"], _env(tmp_path, DRA_DATA_DIR=str(data)), cwd=tmp_path)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 0, out
        assert "OK connection ok" in out and "database: dra" in out
        assert f"host: {data / 'pg'}" in out
        assert not _postgres_running_on(data)  # started for the command, stopped after it
    finally:
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture
def checkout_like(pg_cluster):
    """A folder laid out like a checkout whose data/pg holds the test server's socket
    (short: a socket path has at most 107 characters)."""
    import shutil
    import tempfile

    socket_dir = _socket_dir(pg_cluster.admin_url)
    if not socket_dir:
        pytest.skip("the test server is not reached through a unix socket")
    root = Path(tempfile.mkdtemp(prefix="dra-co-"))
    (root / "data").mkdir()
    (root / "dbt_project").mkdir()
    (root / "data" / "pg").symlink_to(socket_dir)
    yield root
    shutil.rmtree(root)


def test_the_profile_defaults_reach_the_embedded_server_not_localhost(
    checkout_like, database_url, tmp_path
):
    """`cd dbt_project && dbt build` with nothing set: the shell's PWD is dbt_project, and
    the profile's default host is the socket folder of the data folder beside it."""
    dbname = make_url(database_url).database
    env = _env(tmp_path, PWD=str(checkout_like / "dbt_project"), DRA_DBT_DBNAME=dbname)
    proc = subprocess.run(
        [dbt_executable(), "debug"],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert f"host: {checkout_like}/data/pg" in out and "OK connection ok" in out
    # DRA_DATA_DIR (absolute) wins over the folder beside dbt_project
    env = _env(tmp_path, DRA_DATA_DIR=str(checkout_like / "data"), DRA_DBT_DBNAME=dbname)
    proc = subprocess.run(
        [dbt_executable(), "debug"],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert f"host: {checkout_like}/data/pg" in out


def test_dra_dagster_uses_the_platform_instance_and_storage(pg_cluster, tmp_path):
    storage = pg_cluster.create_database()
    try:
        data = tmp_path / "data"
        env = _env(tmp_path, DRA_DATABASE_URL=storage, DRA_DATA_DIR=str(data))
        info = _dra(["dagster", "instance", "info"], env, cwd=tmp_path)
        out = info.stdout + info.stderr
        assert info.returncode == 0, out
        assert str(data / "dagster") in out and "PostgresRunStorage" in out
        engine = create_engine(storage)
        with engine.connect() as conn:
            tables = set(
                conn.execute(
                    text("select tablename from pg_tables where schemaname = 'public'")
                ).scalars()
            )
        engine.dispose()
        assert {"runs", "event_logs"} <= tables  # Dagster's storage is in that database
        jobs = _dra(["dagster", "job", "list"], env, cwd=tmp_path)
        assert jobs.returncode == 0, jobs.stdout + jobs.stderr
        assert "Job: backup_job" in jobs.stdout and "Job: daily_ingest" in jobs.stdout
    finally:
        pg_cluster.drop_database(storage.rsplit("/", 1)[1].split("?")[0])


def test_unknown_tool_arguments_pass_through(tmp_path, database_url):
    env = _env(tmp_path, DRA_DATABASE_URL=database_url, DRA_DATA_DIR=str(tmp_path / "data"))
    proc = _dra(["dbt", "--version"], env, cwd=PROJECT_ROOT, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Core:" in proc.stdout or "installed" in proc.stdout
