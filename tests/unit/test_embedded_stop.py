"""How `dra run` knows the embedded server is gone: its postmaster's pid, and whether a
process is alive (a zombie, exited but not reaped, is not)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from dra.embedded import postmaster_pid, process_alive


def test_postmaster_pid_reads_the_first_line(tmp_path):
    assert postmaster_pid(tmp_path) is None  # not running: no file
    (tmp_path / "postmaster.pid").write_text("16366\n/tmp/x/pg\n1796538586\n5432\n")
    assert postmaster_pid(tmp_path) == 16366
    (tmp_path / "postmaster.pid").write_text("")
    assert postmaster_pid(tmp_path) is None


def test_a_running_process_is_alive_an_exited_one_is_not():
    assert process_alive(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # exited, not yet reaped: a zombie
        with open(f"/proc/{child.pid}/stat") as stat:
            if stat.read().rsplit(")", 1)[-1].split()[0] == "Z":
                break
        time.sleep(0.01)
    assert not process_alive(child.pid)
    child.wait()
    assert not process_alive(child.pid)  # reaped: no such process
