"""Backups (UC-ADM-05) against the real embedded PostgreSQL: the archive, its metadata, the
restore drill, one operation at a time, and failures that leave no file behind."""

from __future__ import annotations

import json
import subprocess
import zipfile

import pytest
from sqlalchemy import select

from dra.migrate import head_revision
from dra.models import Alert, Backup
from dra.operations import faults
from dra.operations.backups import (
    drill_backup,
    record_attempt_failure,
    request_backup,
    run_backup,
)
from dra.operations.locking import OperationBusy, operation_lock
from dra.operations.pgtools import ToolError


@pytest.fixture
def admin(make_user):
    return make_user(email="ops@example.com", platform_admin=True)


def _queued(database, user_id=None) -> int:
    with database.system_session() as s:
        backup, _ = request_backup(s, requested_by=user_id)
        return backup.id


def _files(settings) -> list[str]:
    folder = settings.backup_dir
    return sorted(p.name for p in folder.iterdir() if p.name != ".tmp") if folder.exists() else []


def test_backup_writes_one_zip_with_metadata_and_passes_its_drill(database, settings, admin):
    backup_id = _queued(database, admin.id)
    outcome = run_backup(database, settings, backup_id)
    assert _files(settings) == [outcome.path.name]
    with zipfile.ZipFile(outcome.path) as zf:
        assert sorted(zf.namelist()) == ["database.dump", "metadata.json"]
        meta = json.loads(zf.read("metadata.json"))
        assert zf.read("database.dump").startswith(b"PGDMP")  # custom format
    assert meta["created_by"]["email"] == "ops@example.com"
    assert meta["alembic_revision"] == head_revision()
    assert meta["server_version"].startswith("16")
    assert meta["tables"]["app.users"] == 1
    assert meta["tables"]["app.subscription_tiers"] >= 1
    assert meta["dump"]["sha256"] == outcome.sha256 and len(outcome.sha256) == 64
    drill = drill_backup(database, settings, backup_id)
    assert drill.passed, drill.mismatches
    with database.system_session() as s:
        row = s.get(Backup, backup_id)
        assert (row.status, row.drill_status, row.progress) == ("succeeded", "passed", 100)
        assert row.drill_seconds > 0 and row.size_bytes == outcome.size_bytes


def test_second_backup_request_while_one_is_open_is_refused(database):
    _queued(database)
    with pytest.raises(OperationBusy, match="already in progress"), database.system_session() as s:
        request_backup(s, requested_by=None)


def test_backup_while_another_runs_is_refused_and_leaves_nothing(database, settings):
    backup_id = _queued(database)
    with (
        operation_lock(database.url, "restore"),
        pytest.raises(OperationBusy, match="already running"),
    ):
        run_backup(database, settings, backup_id)
    assert _files(settings) == []


def test_pg_dump_failing_midway_removes_the_partial_file(database, settings):
    """A real pg_dump whose output is cut after 4 kB, then a failing exit status."""

    def broken_runner(args, **kwargs):
        script = '"$@" | head -c 4096; exit 3'
        return subprocess.Popen(["sh", "-c", script, "sh", *args], **kwargs)

    backup_id = _queued(database)
    with pytest.raises(ToolError, match="pg_dump failed"):
        run_backup(database, settings, backup_id, runner=broken_runner)
    assert _files(settings) == []


@pytest.mark.parametrize(("fault", "error"), [("pg_dump", ToolError), ("disk_full", OSError)])
def test_injected_failures_leave_no_file(database, settings, monkeypatch, fault, error):
    monkeypatch.setenv(faults.FAULT_VARIABLE, fault)
    backup_id = _queued(database)
    with pytest.raises(error):
        run_backup(database, settings, backup_id)
    assert _files(settings) == []


def test_failed_attempts_schedule_retries_then_alert(database):
    backup_id = _queued(database)
    first = record_attempt_failure(database, backup_id, attempt=1, error="boom", retry_delay=60)
    assert first is not None
    with database.system_session() as s:
        row = s.get(Backup, backup_id)
        assert (row.status, row.attempt, row.next_retry_at) == ("failed", 1, first)
        assert not s.scalars(select(Alert)).all()
    assert (
        record_attempt_failure(database, backup_id, attempt=2, error="boom again", retry_delay=None)
        is None
    )
    with database.system_session() as s:
        row = s.get(Backup, backup_id)
        assert row.next_retry_at is None and len(row.metadata_["attempts"]) == 2
        alert = s.scalars(select(Alert)).one()
        assert alert.source == "backup" and "after 2 attempt(s)" in alert.details["message"]


def test_no_matching_pg_dump_is_a_clear_error(monkeypatch, database):
    from dra.operations import pgtools

    monkeypatch.setattr(pgtools, "server_version", lambda url: (99, "99.1"))
    with pytest.raises(ToolError, match="No pg_dump for PostgreSQL 99.*postgresql-client-99"):
        pgtools.matching_tool("pg_dump", database.url)
