"""Operations: the web-to-pipeline request queue, alerts, backups and schedules."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    Index,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from dra.models.base import Base, TimestampMixin
from dra.models.columns import (
    CreatedAtMixin,
    IdMixin,
    at_least,
    by_user,
    choice,
    flag,
    foreign_key,
    integer,
    json_object,
    one_of,
    sql_list,
    timestamp,
)


class RequestStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_REQUEST_STATUSES = (RequestStatus.QUEUED, RequestStatus.RUNNING)


class RequestKind(StrEnum):
    """Known request kinds (the column is not constrained, so new kinds need no
    migration; the Dagster request sensor ignores kinds it does not know)."""

    INGEST_SOURCE = "ingest_source"
    REFRESH_MODEL = "refresh_model"
    QUALITY_REPORT = "quality_report"
    ATTRIBUTION_REPORT = "attribution_report"
    INSIGHTS = "insights"
    BACKUP = "backup"
    RESTORE = "restore"


class PipelineRequest(IdMixin, CreatedAtMixin, Base):
    """Work the web app asks the pipelines to do (see ARCHITECTURE.md).

    The web app inserts a ``queued`` row and returns; a Dagster sensor launches a
    run with ``run_key = str(id)`` and records ``dagster_run_id``; the run updates
    ``status``/``progress``/``message`` and finally ``result`` or ``error``.
    ``dedupe_key`` (for example ``"backup"`` or ``"refresh_model:42"``) allows at
    most one queued-or-running request with that key: a second insert fails with
    a unique violation, which the app reports as "already in progress".
    Requests without a project (backup, restore) are visible to platform admins only.
    """

    __tablename__ = "pipeline_requests"
    __table_args__ = (
        one_of("status", RequestStatus),
        CheckConstraint("progress >= 0 AND progress <= 100", name="progress_range"),
        Index("ix_pipeline_requests_status_created_at", "status", "created_at"),
        Index("ix_pipeline_requests_project_id_created_at", "project_id", "created_at"),
        Index("ix_pipeline_requests_kind_target_id", "kind", "target_id"),
        Index(
            "uq_pipeline_requests_active_dedupe_key",
            "dedupe_key",
            unique=True,
            postgresql_where=text(f"status IN ({sql_list(ACTIVE_REQUEST_STATUSES)})"),
        ),
    )

    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    project_id: Mapped[int | None] = foreign_key(
        "projects.id", ondelete="CASCADE", nullable=True, index=False
    )
    target_id: Mapped[int | None] = mapped_column(
        BigInteger, doc="id of the source, model, report or backup the request is about"
    )
    payload: Mapped[dict[str, Any]] = json_object()
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = choice(RequestStatus.QUEUED)
    dagster_run_id: Mapped[str | None] = mapped_column(String(64), index=True)
    progress: Mapped[int] = integer(0, SmallInteger)
    message: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[int | None] = by_user()
    started_at: Mapped[datetime | None] = timestamp()
    finished_at: Mapped[datetime | None] = timestamp()

    @property
    def step(self) -> str | None:
        """While its run runs, what it is doing in words ("building the table"), else None."""
        from dra.pipeline_requests import current_step

        return current_step(self)


class AlertSeverity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"


class Alert(IdMixin, CreatedAtMixin, Base):
    """Something an administrator should look at (failed migration, backup, run)."""

    __tablename__ = "alerts"
    __table_args__ = (
        one_of("severity", AlertSeverity),
        Index("ix_alerts_acknowledged_at_created_at", "acknowledged_at", "created_at"),
    )

    source: Mapped[str] = mapped_column(
        String(32), nullable=False, index=True, doc="migration, backup, restore, pipeline..."
    )
    severity: Mapped[str] = mapped_column(String(16), nullable=False)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    details: Mapped[dict[str, Any]] = json_object()
    acknowledged_at: Mapped[datetime | None] = timestamp()
    acknowledged_by: Mapped[int | None] = by_user()


class RunStatus(StrEnum):
    """Where a job the pipeline runs for a row stands: a backup, an attribution report."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class BackupKind(StrEnum):
    MANUAL = "manual"
    SCHEDULED = "scheduled"
    UPLOADED = "uploaded"
    """A file an admin uploaded in order to restore it."""


class DrillStatus(StrEnum):
    """Outcome of restoring the backup into a scratch database to prove it works."""

    PENDING = "pending"
    PASSED = "passed"
    FAILED = "failed"


class Backup(IdMixin, TimestampMixin, Base):
    """One backup file and how making it went.

    A failed attempt keeps its row: ``attempt`` counts tries, and ``next_retry_at``
    (set while retries remain) tells the scheduler when to try again.
    """

    __tablename__ = "backups"
    __table_args__ = (
        one_of("status", RunStatus),
        one_of("kind", BackupKind),
        one_of("drill_status", DrillStatus),
        CheckConstraint("progress >= 0 AND progress <= 100", name="progress_range"),
        at_least("attempt", 1),
        Index("ix_backups_status_created_at", "status", "created_at"),
        Index(
            "ix_backups_next_retry_at",
            "next_retry_at",
            postgresql_where=text("next_retry_at IS NOT NULL"),
        ),
    )

    file_name: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    kind: Mapped[str] = choice(BackupKind.MANUAL)
    status: Mapped[str] = choice(RunStatus.QUEUED)
    phase: Mapped[str | None] = mapped_column(String(64), doc="dumping, compressing, drill...")
    progress: Mapped[int] = integer(0, SmallInteger)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    metadata_: Mapped[dict[str, Any]] = mapped_column(
        "metadata",
        JSONB,
        nullable=False,
        default=dict,
        server_default=text("'{}'::jsonb"),
        doc="what went into the backup: app version, alembic revision, schemas, row counts",
    )
    drill_status: Mapped[str | None] = mapped_column(String(16))
    drill_seconds: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    attempt: Mapped[int] = integer(1)
    next_retry_at: Mapped[datetime | None] = timestamp()
    schedule_id: Mapped[int | None] = foreign_key(
        "backup_schedules.id", ondelete="SET NULL", nullable=True, index=False
    )
    requested_by: Mapped[int | None] = by_user()
    started_at: Mapped[datetime | None] = timestamp()
    finished_at: Mapped[datetime | None] = timestamp()


class BackupSchedule(IdMixin, TimestampMixin, Base):
    """A cron schedule for automatic backups, keeping the newest ``retention_count``."""

    __tablename__ = "backup_schedules"
    __table_args__ = (at_least("retention_count", 1),)

    name: Mapped[str] = mapped_column(String(100), nullable=False, server_default="default")
    cron: Mapped[str] = mapped_column(String(100), nullable=False)
    timezone: Mapped[str] = mapped_column(String(64), nullable=False, server_default="UTC")
    retention_count: Mapped[int] = integer(7)
    enabled: Mapped[bool] = flag(True)
    last_run_at: Mapped[datetime | None] = timestamp()
    next_run_at: Mapped[datetime | None] = timestamp()
    created_by: Mapped[int | None] = by_user()
