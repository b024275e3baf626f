"""Scheduled backups (UC-ADM-07): the schedules admins set in the web app live in
``app.backup_schedules``; when one is due this sensor records a backup request, and the
request sensor launches ``backup_job`` for it (request id = run key), so a due backup
survives a restart of Dagster like any other request."""

from datetime import UTC, datetime

import dagster as dg

from dra.operations.backups import request_backup
from dra.operations.locking import OperationBusy
from dra.operations.schedules import due_schedules, mark_ran
from orchestration.resources import PlatformResource


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
