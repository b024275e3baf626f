"""Attribution events: the visitor index orders by event id too and covers the journeys.

Revision ID: 0010_event_visitor_index
Revises: 0009_event_covering_index
Create Date: 2026-12-06

``ix_attribution_events_project_id_user_identifier_occurred_at`` becomes (project_id,
user_identifier, occurred_at, id) INCLUDE (event_type, channel, value): the journeys of
the Markov and Shapley models (``dra.attribution.journeys``) read a project's events in
exactly the order they need (visitor, then time, then event id) by index-only scans,
with nothing to sort. Queries that used the index before (a visitor's events, in time
order) still can: its first columns are unchanged. The index is rebuilt on every
partition (writes to the events wait for it).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010_event_visitor_index"
down_revision: str | Sequence[str] | None = "0009_event_covering_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_attribution_events_project_id_user_identifier_occurred_at"
COLUMNS = ["project_id", "user_identifier", "occurred_at"]
INCLUDES = ["event_type", "channel", "value"]


def _index(columns: list[str], **kw) -> None:
    op.drop_index(NAME, table_name="attribution_events", schema="app")
    op.create_index(NAME, "attribution_events", columns, schema="app", **kw)


def upgrade() -> None:
    _index([*COLUMNS, "id"], postgresql_include=INCLUDES)


def downgrade() -> None:
    _index(COLUMNS)
