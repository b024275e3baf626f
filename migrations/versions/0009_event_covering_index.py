"""Attribution events: the (project, time) index covers what attribution reads.

Revision ID: 0009_event_covering_index
Revises: 0008_ai_session_messages
Create Date: 2026-12-06

``ix_attribution_events_project_id_occurred_at`` now INCLUDEs ``id``,
``user_identifier``, ``event_type``, ``channel``, ``value`` and ``currency``: a
report's dbt build (the events' counts per month, the touchpoints of the months it
rebuilds, the tests) and its totals and journeys read one project's events by
index-only scans, instead of every heap page of the monthly partitions, which hold all
projects' events interleaved in time. The index is rebuilt on every partition (writes
to the events wait for it).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009_event_covering_index"
down_revision: str | Sequence[str] | None = "0008_ai_session_messages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_attribution_events_project_id_occurred_at"
COLUMNS = ["project_id", "occurred_at"]
INCLUDES = ["id", "user_identifier", "event_type", "channel", "value", "currency"]


def _index(**kw) -> None:
    op.drop_index(NAME, table_name="attribution_events", schema="app")
    op.create_index(NAME, "attribution_events", COLUMNS, schema="app", **kw)


def upgrade() -> None:
    _index(postgresql_include=INCLUDES)


def downgrade() -> None:
    _index()
