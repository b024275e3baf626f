"""`dra run` end to end (web app only, to stay quick): ready, healthy, Ctrl-C stops all."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from dra.runtime import ensure_port_free
from dra.settings import PROJECT_ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_running_on(data_dir) -> bool:
    needle = f"-D\0{data_dir}/pg\0"
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if needle in cmdline.read_text():
                return True
        except OSError:
            continue
    return False


def test_run_starts_everything_and_ctrl_c_stops_everything(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DRA_DATA_DIR": str(tmp_path),
        "DRA_WEB_PORT": str(port),
        "DRA_ENV": "development",
    }
    env.pop("DRA_DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "dra", "run", "--no-dagster"],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Press Ctrl-C" in line:
                break
        output = "".join(lines)
        assert "DRA platform is running" in output, output
        assert f"http://127.0.0.1:{port}" in output and "admin@demo.local" in output
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/auth/login") as resp:
            assert resp.status == 200
        assert _postgres_running_on(tmp_path)

        second = subprocess.run(
            [sys.executable, "-m", "dra", "run", "--no-dagster"],
            env=env,
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode != 0 and "already using" in second.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    assert proc.returncode == 0
    assert not _postgres_running_on(tmp_path)
    ensure_port_free("127.0.0.1", port, "DRA_WEB_PORT")  # free again for the next run
