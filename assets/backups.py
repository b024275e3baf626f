"""Backups and restores: the ``database_backup`` asset (dump, restore drill, retention;
retried with backoff) and ``backup_job``, the ``restore_job`` op job, and the sensor
queueing the backups that the schedules set in the admin pages make due (UC-ADM-07).

Runs find their work through their request (orchestration/requests.py): the request's
``target_id`` is the backup. A scheduled backup is a request like a click on "Back up
now": the sensor records it and the request sensor launches ``backup_job`` for it
(request id = run key), so a due backup survives a restart of Dagster.
"""

import os
from datetime import UTC, datetime

import dagster as dg

from dra.models import BackupSchedule
from dra.operations.backups import (
    apply_retention,
    drill_backup,
    notify_backup_done,
    record_attempt_failure,
    request_backup,
    run_backup,
)
from dra.operations.locking import OperationBusy
from dra.operations.schedules import due_schedules, mark_ran
from dra.pipeline_requests import mark_finished, report_progress
from orchestration.requests import request_executor, request_of
from orchestration.resources import PlatformResource

DEFAULT_MAX_RETRIES = 3
DEFAULT_RETRY_DELAY_SECONDS = 60.0


def retry_policy_from_env(env: dict[str, str] | None = None) -> dg.RetryPolicy:
    """Retries of a failed backup: ``DRA_BACKUP_MAX_RETRIES`` (3) and
    ``DRA_BACKUP_RETRY_DELAY_SECONDS`` (60, doubled each time), read when definitions are built."""
    env = os.environ if env is None else env
    return dg.RetryPolicy(
        max_retries=int(env.get("DRA_BACKUP_MAX_RETRIES") or DEFAULT_MAX_RETRIES),
        delay=float(env.get("DRA_BACKUP_RETRY_DELAY_SECONDS") or DEFAULT_RETRY_DELAY_SECONDS),
        backoff=dg.Backoff.EXPONENTIAL,
    )


def _request(context, platform: PlatformResource) -> tuple[int, int]:
    """(request id, backup id) of this run."""
    request = request_of(context, platform, target="backup")
    return request.id, int(request.target_id)


def build_backup_asset(policy: dg.RetryPolicy | None = None) -> dg.AssetsDefinition:
    policy = policy or retry_policy_from_env()

    @dg.asset(
        name="database_backup",
        group_name="operations",
        kinds={"postgres"},
        retry_policy=policy,
        description="A ZIP of the platform database (pg_dump + metadata.json), proven by a "
        "restore drill into a scratch database.",
    )
    def database_backup(
        context: dg.AssetExecutionContext, platform: PlatformResource
    ) -> dg.MaterializeResult:
        database, settings = platform.database, platform.settings
        request_id, backup_id = _request(context, platform)
        attempt = context.retry_number + 1
        try:
            outcome = run_backup(database, settings, backup_id, attempt=attempt)
        except Exception as exc:
            retries_left = attempt <= (policy.max_retries or 0)
            delay = policy.calculate_delay(attempt) if retries_left else None
            retry_at = record_attempt_failure(
                database, backup_id, attempt=attempt, error=str(exc), retry_delay=delay
            )
            context.log.error(
                f"backup attempt {attempt} failed: {exc}"
                + (f"; retry at {retry_at:%H:%M:%S} UTC" if retry_at else "")
            )
            if not retries_left:
                mark_finished(database, request_id, ok=False, error=str(exc))
            raise
        context.log.info(
            f"backup written: {outcome.path.name} ({outcome.size_bytes} bytes, "
            f"{sum(outcome.tables.values())} rows in {len(outcome.tables)} tables)"
        )
        drill = drill_backup(database, settings, backup_id)
        context.log.info(
            f"restore drill {'passed' if drill.passed else 'FAILED'} in {drill.seconds:.1f} s"
        )
        removed = _retention(platform, backup_id)
        notify_backup_done(database, backup_id)
        mark_finished(database, request_id, ok=True)
        return dg.MaterializeResult(
            metadata={
                "file": outcome.path.name,
                "size_bytes": outcome.size_bytes,
                "sha256": outcome.sha256,
                "rows": sum(outcome.tables.values()),
                "drill_passed": drill.passed,
                "drill_seconds": drill.seconds,
                "removed_by_retention": len(removed),
            }
        )

    return database_backup


def _retention(platform: PlatformResource, backup_id: int) -> list[str]:
    from dra.models import Backup

    with platform.database.system_session() as s:
        backup = s.get(Backup, backup_id)
        schedule = s.get(BackupSchedule, backup.schedule_id) if backup.schedule_id else None
        keep = schedule.retention_count if schedule else None
        schedule_id = schedule.id if schedule else None
    if schedule_id is None:
        return []
    return apply_retention(platform.database, platform.settings, schedule_id, keep)


@dg.op(description="Restore the database from a listed backup (validated, then switched).")
def restore_database(context: dg.OpExecutionContext, platform: PlatformResource) -> None:
    from dra.operations.restore import restore_backup_file

    request_id, backup_id = _request(context, platform)
    database = platform.database

    def progress(phase: str, pct: int) -> None:
        context.log.info(f"restore: {phase} ({pct}%)")
        if phase != "done":  # after the switch the request belongs to the old database
            report_progress(database, request_id, pct, f"Restore: {phase}")

    try:
        result = restore_backup_file(database, platform.settings, backup_id, progress=progress)
    except Exception as exc:
        from dra.alerts import raise_alert

        mark_finished(database, request_id, ok=False, error=str(exc))
        with database.system_session() as s:
            raise_alert(
                s,
                source="restore",
                title="Database restore failed",
                details={"backup_id": backup_id, "message": str(exc)[:2000]},
                link="/admin/database/",
            )
        raise
    context.log.info(
        f"restore completed from {result.file_name} in {result.seconds:.1f} s "
        f"(revision {result.revision_after}" + (", migrated" if result.migrated else "") + ")"
    )


@dg.job(
    name="restore_job",
    executor_def=request_executor,
    description="Restore the platform database from a backup.",
)
def restore_job() -> None:
    restore_database()


backup_job = dg.define_asset_job(
    "backup_job",
    selection=dg.AssetSelection.assets("database_backup"),
    executor_def=request_executor,
    description="Back up the platform database (pg_dump + metadata ZIP), then prove it restores.",
)


# --------------------------------------------------------------------------------- sensor
def queue_due_backups(platform: PlatformResource, now: datetime) -> tuple[list[int], list[str]]:
    """Record a backup request for each due schedule; return request ids and skip reasons."""
    queued: list[int] = []
    skipped: list[str] = []
    with platform.database.system_session() as s:
        for schedule in due_schedules(s, now):
            try:
                with s.begin_nested():
                    _, request = request_backup(
                        s, requested_by=None, kind="scheduled", schedule_id=schedule.id
                    )
            except OperationBusy:
                skipped.append(f"schedule {schedule.name!r} waits: a backup or restore is running")
                continue  # next_run_at stays in the past: tried again on the next tick
            mark_ran(schedule, now)
            queued.append(request.id)
    return queued, skipped


@dg.sensor(
    name="scheduled_backup_sensor",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Queues a backup request when a backup schedule set in the admin pages is due.",
)
def scheduled_backup_sensor(
    context: dg.SensorEvaluationContext, platform: PlatformResource
) -> dg.SkipReason:
    queued, skipped = queue_due_backups(platform, datetime.now(UTC))
    parts = [f"queued backup request #{i}" for i in queued] + skipped
    return dg.SkipReason("; ".join(parts) or "no backup schedule is due")


def definitions() -> dg.Definitions:
    """Backups (retry policy read now, not at import), restores and scheduled backups."""
    return dg.Definitions(
        assets=[build_backup_asset()],
        jobs=[backup_job, restore_job],
        sensors=[scheduled_backup_sensor],
    )
