"""The backup asset and the scheduled-backup sensor (UC-ADM-07) in real Dagster runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
from sqlalchemy import select

from assets.backups import build_backup_asset, queue_due_backups, scheduled_backup_sensor
from dra.models import Alert, Backup, BackupSchedule, PipelineRequest
from dra.operations import faults
from dra.operations.backups import request_backup
from dra.operations.schedules import save_schedule
from orchestration.requests import REQUEST_TAG
from orchestration.resources import PlatformResource

FAST_RETRY = dg.RetryPolicy(max_retries=1, delay=0.05, backoff=dg.Backoff.EXPONENTIAL)


def _platform(database, settings) -> PlatformResource:
    return PlatformResource(database_url=database.url, data_dir=str(settings.data_dir))


def _schedule(database, keep: int, due: bool = True) -> int:
    with database.system_session() as s:
        schedule = save_schedule(s, name="nightly", cron="0 2 * * *", retention_count=keep)
        if due:
            schedule.next_run_at = datetime.now(UTC) - timedelta(minutes=1)
        return schedule.id


def test_sensor_queues_due_schedules_and_the_asset_keeps_the_newest(
    database, settings, materialize
):
    schedule_id = _schedule(database, keep=1)
    asset = build_backup_asset(FAST_RETRY)
    files = []
    for _ in range(2):
        with dg.build_sensor_context(resources={"platform": _platform(database, settings)}) as ctx:
            skip = scheduled_backup_sensor(ctx)
        assert "queued backup request" in skip.skip_message
        with database.system_session() as s:
            request = s.scalars(
                select(PipelineRequest).where(PipelineRequest.status == "queued")
            ).one()
            request_id = request.id
            s.get(BackupSchedule, schedule_id).next_run_at = datetime.now(UTC)  # due again
        result = materialize([asset], tags={REQUEST_TAG: str(request_id)})
        assert result.success
        files.append(
            result.asset_materializations_for_node("database_backup")[0].metadata["file"].value
        )
    with database.system_session() as s:
        backups = s.scalars(select(Backup)).all()
        requests = s.scalars(select(PipelineRequest.status)).all()
        schedule = s.get(BackupSchedule, schedule_id)
    assert [(b.kind, b.file_name, b.drill_status) for b in backups] == [
        ("scheduled", files[1], "passed")
    ]  # retention 1: the first one was removed
    assert sorted(p.name for p in settings.backup_dir.glob("*.zip")) == [files[1]]
    assert requests == ["succeeded", "succeeded"]
    assert schedule.last_run_at is not None


def test_a_schedule_not_due_or_blocked_waits(database, settings):
    _schedule(database, keep=3, due=False)
    assert queue_due_backups(_platform(database, settings), datetime.now(UTC)) == ([], [])
    with database.system_session() as s:
        request_backup(s, requested_by=None)  # a manual backup is already queued
        s.execute(
            BackupSchedule.__table__.update().values(
                next_run_at=datetime.now(UTC) - timedelta(minutes=1)
            )
        )
    queued, skipped = queue_due_backups(_platform(database, settings), datetime.now(UTC))
    assert queued == [] and "waits" in skipped[0]


def test_failing_backup_is_retried_by_dagster_then_alerted(
    database, settings, materialize, monkeypatch
):
    monkeypatch.setenv(faults.FAULT_VARIABLE, "pg_dump")
    with database.system_session() as s:
        _, request = request_backup(s, requested_by=None)
        request_id = request.id
    result = materialize(
        [build_backup_asset(FAST_RETRY)], raise_on_error=False, tags={REQUEST_TAG: str(request_id)}
    )
    assert not result.success
    retried = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert len(retried) == 1
    with database.system_session() as s:
        backup = s.scalars(select(Backup)).one()
        request = s.get(PipelineRequest, request_id)
        assert (backup.status, backup.attempt, backup.next_retry_at) == ("failed", 2, None)
        assert backup.metadata_["attempts"][0]["retry_at"] is not None
        assert (request.status, "pg_dump failed" in request.error) == ("failed", True)
    assert list(settings.backup_dir.glob("*.zip*")) == []


def test_restore_job_failure_is_recorded_and_alerted(database, settings, materialize):
    from assets.backups import restore_job

    with database.system_session() as s:
        backup = Backup(file_name="dra-backup-20260101T000000Z.zip", status="succeeded")
        s.add(backup)
        s.flush()
        request = PipelineRequest(
            kind="restore", target_id=backup.id, status="running", dedupe_key="database-operation"
        )
        s.add(request)
        s.flush()
        request_id = request.id
    result = restore_job.execute_in_process(
        instance=materialize.instance,
        raise_on_error=False,
        tags={REQUEST_TAG: str(request_id)},
        resources={"platform": _platform(database, settings)},
    )
    assert not result.success
    with database.system_session() as s:
        request = s.get(PipelineRequest, request_id)
        assert request.status == "failed" and "no longer in the backup folder" in request.error
        alert = s.scalars(select(Alert)).one()
        assert alert.title == "Database restore failed"
