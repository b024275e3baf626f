"""Start-up faults give one clear line and change nothing."""

import socket
import subprocess
import sys

import pytest

from dra.db import DatabaseConfigError, check_reachable
from dra.runtime import RunLock, StartupError, ensure_port_free
from dra.settings import PROJECT_ROOT


def test_taken_port_names_port_and_variable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(StartupError, match=f"Port {port}.*DRA_WEB_PORT"):
            ensure_port_free("127.0.0.1", port, "DRA_WEB_PORT")


def test_second_run_on_the_same_data_folder_is_refused(tmp_path):
    first = RunLock(tmp_path)
    first.acquire()
    try:
        with pytest.raises(StartupError, match="already using"):
            RunLock(tmp_path).acquire()
    finally:
        first.release()
    RunLock(tmp_path).acquire()  # free again once released


def test_unreachable_server_is_reported_quickly():
    with pytest.raises(DatabaseConfigError, match=r"DRA_DATABASE_URL.*127\.0\.0\.1:1"):
        check_reachable("postgresql+psycopg://u:p@127.0.0.1:1/db", timeout=3)


def test_run_command_exits_nonzero_with_one_line_for_a_bad_url(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "DRA_DATA_DIR": str(tmp_path),
        "DRA_DATABASE_URL": "postgresql://nobody:secret@127.0.0.1:1/dra",
        "DRA_WEB_PORT": "0",
        "HOME": str(tmp_path),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "dra", "run", "--no-dagster"],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "DRA_DATABASE_URL" in lines[0] and "127.0.0.1:1" in lines[0]
    assert "secret" not in proc.stderr
    assert not (tmp_path / "pg").exists()  # nothing embedded was started


def test_the_dagster_instance_starts_queued_runs_and_ticks_sensors_without_waiting(tmp_path):
    """A queued run starts within a second; sensors tick in threads, so a slow one never
    delays the request sensor. One dbt build at a time still."""
    import yaml
    from dagster._core.instance.config import dagster_instance_config

    from dra.runtime import write_dagster_home

    config = yaml.safe_load(write_dagster_home(tmp_path).read_text())
    queue = config["run_coordinator"]["config"]
    assert (queue["dequeue_interval_seconds"], queue["dequeue_use_threads"]) == (1, True)
    assert queue["tag_concurrency_limits"] == [{"key": "dra/dbt", "limit": 1}]
    assert config["sensors"] == {"use_threads": True, "num_workers": 4}
    dagster_instance_config(str(tmp_path))  # Dagster accepts it (raises otherwise)
