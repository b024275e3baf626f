"""Attribution: tracking keys, the partitioned event table and saved reports.

``attribution_events`` is ``PARTITION BY RANGE (occurred_at)`` with one partition
per calendar month (UTC), named ``attribution_events_yYYYYmMM``, plus a DEFAULT
partition that catches anything else. ``SELECT app.ensure_attribution_partition(ts)``
creates the month of ``ts`` if missing, moving rows of that month out of the
default partition. A scheduled job should call it for this month and the next.

Idempotency: a unique constraint on a partitioned table must contain the partition
key, so ``(project_id, client_event_id, occurred_at)`` alone would accept the same
client event twice if it arrives with a different ``occurred_at`` (a retried event
without a timestamp gets ``now()`` each time). The unpartitioned table
``attribution_event_ids`` is the real guard; insert an event like this::

    WITH claimed AS (
        INSERT INTO app.attribution_event_ids (project_id, client_event_id, occurred_at)
        VALUES (:project_id, :client_event_id, :occurred_at)
        ON CONFLICT DO NOTHING
        RETURNING project_id
    )
    INSERT INTO app.attribution_events (project_id, client_event_id, ..., occurred_at)
    SELECT :project_id, :client_event_id, ..., :occurred_at FROM claimed;

(events without ``client_event_id`` are inserted directly, without deduplication).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Identity,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from dra.attribution.reference import DEFAULT_CONVERSION_TYPES, DEFAULT_LOOKBACK_DAYS
from dra.models.base import Base, utcnow
from dra.models.columns import (
    CreatedAtMixin,
    IdMixin,
    by_user,
    choice,
    foreign_key,
    json_array,
    json_object,
    key_part,
    one_of,
    timestamp,
)
from dra.models.operations import RunStatus
from dra.models.users import TOKEN_HASH_LENGTH

CLIENT_EVENT_ID_LENGTH = 128
MAX_LOOKBACK_DAYS = 365
EVENT_INDEX_INCLUDES = ("id", "user_identifier", "event_type", "channel", "value", "currency")
VISITOR_INDEX_INCLUDES = ("event_type", "channel", "value")


class EventType(StrEnum):
    PAGE_VIEW = "page_view"
    CLICK = "click"
    FORM_SUBMIT = "form_submit"
    SIGNUP = "signup"
    PURCHASE = "purchase"
    CONVERSION = "conversion"
    CUSTOM = "custom"


class ReportKind(StrEnum):
    ATTRIBUTION = "attribution"
    FUNNEL = "funnel"
    JOURNEY = "journey"


class AttributionModel(StrEnum):
    FIRST_TOUCH = "first_touch"
    LAST_TOUCH = "last_touch"
    LINEAR = "linear"
    TIME_DECAY = "time_decay"
    POSITION_BASED = "position_based"
    MARKOV = "markov"  # the journey models (0011): every report has them all
    SHAPLEY = "shapley"


class AttributionTrackingKey(IdMixin, CreatedAtMixin, Base):
    """A per-project write key for the public tracking endpoint.

    Only the hash is stored; ``prefix`` identifies the key in the UI.
    ``allowed_origins`` (list of origins) restricts browser use (CORS); empty
    means any origin.
    """

    __tablename__ = "attribution_tracking_keys"

    project_id: Mapped[int] = foreign_key("projects.id", ondelete="CASCADE")
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    key_hash: Mapped[str] = mapped_column(String(TOKEN_HASH_LENGTH), nullable=False, unique=True)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    allowed_origins: Mapped[list[str]] = json_array()
    last_used_at: Mapped[datetime | None] = timestamp()
    revoked_at: Mapped[datetime | None] = timestamp()
    created_by: Mapped[int | None] = by_user()


class AttributionEvent(Base):
    """One tracked event (UC-ATT-01). Partitioned by month on ``occurred_at``.

    ``user_identifier`` is the client's visitor id (cookie, hashed email), not a
    platform user. ``channel`` is derived from UTM parameters and referrer at
    ingestion time.
    """

    __tablename__ = "attribution_events"
    __table_args__ = (
        PrimaryKeyConstraint("id", "occurred_at"),
        UniqueConstraint("project_id", "client_event_id", "occurred_at"),
        one_of("event_type", EventType),
        # Covers what attribution reads of a project's events in a time range
        # (touchpoints, journeys, the dbt build's state and tests, a report's totals):
        # index-only scans of that project's entries, however many other projects'
        # events share the monthly partitions.
        Index(
            "ix_attribution_events_project_id_occurred_at",
            "project_id",
            "occurred_at",
            postgresql_include=list(EVENT_INDEX_INCLUDES),
        ),
        # Hands a project's events over per visitor in (time, id) order with what the
        # journeys read (dra.attribution.journeys): one ordered index-only pass, no sort.
        Index(
            "ix_attribution_events_project_id_user_identifier_occurred_at",
            "project_id",
            "user_identifier",
            "occurred_at",
            "id",
            postgresql_include=list(VISITOR_INDEX_INCLUDES),
        ),
        {"postgresql_partition_by": "RANGE (occurred_at)"},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity())
    project_id: Mapped[int] = foreign_key("projects.id", ondelete="CASCADE", index=False)
    client_event_id: Mapped[str | None] = mapped_column(String(CLIENT_EVENT_ID_LENGTH))
    user_identifier: Mapped[str] = mapped_column(String(255), nullable=False)
    session_id: Mapped[str | None] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(32), nullable=False)
    event_name: Mapped[str | None] = mapped_column(String(255))
    page_url: Mapped[str | None] = mapped_column(Text)
    referrer: Mapped[str | None] = mapped_column(Text)
    utm_source: Mapped[str | None] = mapped_column(String(255))
    utm_medium: Mapped[str | None] = mapped_column(String(255))
    utm_campaign: Mapped[str | None] = mapped_column(String(255))
    utm_term: Mapped[str | None] = mapped_column(String(255))
    utm_content: Mapped[str | None] = mapped_column(String(255))
    channel: Mapped[str | None] = mapped_column(String(64))
    value: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    currency: Mapped[str | None] = mapped_column(String(3))
    properties: Mapped[dict[str, Any]] = json_object()
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), default=utcnow
    )
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), default=utcnow
    )


class AttributionEventId(CreatedAtMixin, Base):
    """Every ``client_event_id`` accepted per project: the cross-partition dedup key.

    ``occurred_at`` points at the stored event (its partition). Rows may be pruned
    after the window in which clients can retry.
    """

    __tablename__ = "attribution_event_ids"

    project_id: Mapped[int] = key_part("projects.id")
    client_event_id: Mapped[str] = mapped_column(String(CLIENT_EVENT_ID_LENGTH), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class AttributionReport(IdMixin, CreatedAtMixin, Base):
    """A generated attribution, funnel or journey analysis over a date range.

    Produced by a pipeline run (``pipeline_requests`` kind ``attribution_report``);
    ``params`` holds the inputs (funnel steps, lookback window...), ``result`` the
    output (channel credits, step counts, paths). An attribution report's options are
    columns: ``lookback_days`` (1 to 365) and ``conversion_types`` (a JSON list of 1 to
    7 event types), the defaults those of the dbt project.
    """

    __tablename__ = "attribution_reports"
    __table_args__ = (
        one_of("kind", ReportKind),
        one_of("model", AttributionModel),
        one_of("status", RunStatus),
        CheckConstraint("end_date >= start_date", name="date_range"),
        CheckConstraint("kind <> 'attribution' OR model IS NOT NULL", name="model_required"),
        CheckConstraint(
            f"lookback_days BETWEEN 1 AND {MAX_LOOKBACK_DAYS}", name="lookback_days_range"
        ),
        CheckConstraint(
            "jsonb_typeof(conversion_types) = 'array'"
            f" AND jsonb_array_length(conversion_types) BETWEEN 1 AND {len(EventType)}",
            name="conversion_types_list",
        ),
        Index("ix_attribution_reports_project_id_created_at", "project_id", "created_at"),
    )

    project_id: Mapped[int] = foreign_key("projects.id", ondelete="CASCADE", index=False)
    kind: Mapped[str] = choice(ReportKind.ATTRIBUTION)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    model: Mapped[str | None] = mapped_column(String(32))
    start_date: Mapped[date] = mapped_column(Date, nullable=False)
    end_date: Mapped[date] = mapped_column(Date, nullable=False)
    params: Mapped[dict[str, Any]] = json_object()
    lookback_days: Mapped[int] = mapped_column(
        Integer,
        nullable=False,
        default=DEFAULT_LOOKBACK_DAYS,
        server_default=text(str(DEFAULT_LOOKBACK_DAYS)),
    )
    conversion_types: Mapped[list[str]] = mapped_column(
        JSONB,
        nullable=False,
        default=lambda: list(DEFAULT_CONVERSION_TYPES),
        server_default=text(f"'{json.dumps(list(DEFAULT_CONVERSION_TYPES))}'::jsonb"),
    )
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    status: Mapped[str] = choice(RunStatus.QUEUED)
    error: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None] = timestamp()
    created_by: Mapped[int | None] = by_user()
