"""Backup schedules (UC-ADM-07): cron expressions validated with croniter, the next run
time kept on the row, and the schedules that are due."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from sqlalchemy import select
from sqlalchemy.orm import Session

from dra.errors import Invalid
from dra.models import BackupSchedule

MAX_RETENTION = 1000


class ScheduleError(Invalid, ValueError):
    """Invalid schedule input (422); ``field`` names the form field."""


def next_run(cron: str, after: datetime, timezone: str = "UTC") -> datetime:
    """The first time after ``after`` that ``cron`` fires, in UTC."""
    local = after.astimezone(ZoneInfo(timezone))
    return croniter(cron, local).get_next(datetime).astimezone(UTC)


def validate(name: str, cron: str, retention: str | int, timezone: str = "UTC") -> tuple:
    """Clean inputs or raise ScheduleError for the first bad field."""
    name = (name or "").strip() or "default"
    if len(name) > 100:
        raise ScheduleError("Use at most 100 characters.", field="name")
    cron = " ".join((cron or "").split())
    if not cron or len(cron.split()) != 5 or not croniter.is_valid(cron):
        raise ScheduleError(
            f"{cron or '(empty)'!r} is not a valid cron expression "
            "(five fields: minute hour day month weekday, e.g. '0 3 * * *').",
            field="cron",
        )
    try:
        keep = int(retention)
    except (TypeError, ValueError):
        raise ScheduleError(
            "Enter a whole number of backups to keep.", field="retention_count"
        ) from None
    if not 1 <= keep <= MAX_RETENTION:
        raise ScheduleError(f"Keep between 1 and {MAX_RETENTION} backups.", field="retention_count")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"{timezone!r} is not a known time zone.", field="timezone") from None
    return name, cron, keep, timezone


def save_schedule(
    session: Session,
    *,
    name: str,
    cron: str,
    retention_count: str | int,
    enabled: bool = True,
    timezone: str = "UTC",
    created_by: int | None = None,
    schedule_id: int | None = None,
    now: datetime | None = None,
) -> BackupSchedule:
    """Create or update a schedule (validated); its next run is computed from now."""
    name, cron, keep, timezone = validate(name, cron, retention_count, timezone)
    now = now or datetime.now(UTC)
    schedule = session.get(BackupSchedule, schedule_id) if schedule_id else None
    if schedule_id and schedule is None:
        raise ScheduleError(f"Schedule #{schedule_id} does not exist.", field="schedule")
    if schedule is None:
        schedule = BackupSchedule(created_by=created_by)
        session.add(schedule)
    schedule.name, schedule.cron, schedule.retention_count = name, cron, keep
    schedule.timezone, schedule.enabled = timezone, enabled
    schedule.next_run_at = next_run(cron, now, timezone) if enabled else None
    session.flush()
    return schedule


def due_schedules(session: Session, now: datetime) -> list[BackupSchedule]:
    """Enabled schedules whose next run time has come."""
    return list(
        session.scalars(
            select(BackupSchedule)
            .where(
                BackupSchedule.enabled.is_(True),
                BackupSchedule.next_run_at.is_not(None),
                BackupSchedule.next_run_at <= now,
            )
            .order_by(BackupSchedule.id)
        )
    )


def mark_ran(schedule: BackupSchedule, now: datetime) -> None:
    schedule.last_run_at = now
    schedule.next_run_at = next_run(schedule.cron, now, schedule.timezone)
