"""Reading attribution events and touchpoints back (reference inputs, reports)."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from dra.attribution.dbt_env import INTERMEDIATE_SCHEMA
from dra.attribution.reference import Event, Touchpoint
from dra.models import AttributionEvent


def load_events(session: Session, project_id: int) -> list[Event]:
    """Every event of a project, as the reference implementation takes them."""
    rows = session.execute(select(
        AttributionEvent.id, AttributionEvent.project_id, AttributionEvent.user_identifier,
        AttributionEvent.event_type, AttributionEvent.channel, AttributionEvent.value,
        AttributionEvent.occurred_at).where(AttributionEvent.project_id == project_id))
    return [Event(r.id, r.project_id, r.user_identifier, r.event_type, r.channel,
                  None if r.value is None else float(r.value), r.occurred_at) for r in rows]


def load_touchpoints(session: Session, project_id: int, start, end) -> list[Touchpoint]:
    """The dbt touchpoints of a project's conversions in [start, end) (timestamps)."""
    rows = session.execute(text(
        f"SELECT conversion_id, project_id, conversion_at, conversion_value, touchpoint_id,"
        f" touchpoint_at, channel, position, touchpoint_count"
        f' FROM "{INTERMEDIATE_SCHEMA}".int_touchpoints'
        f" WHERE project_id = :p AND conversion_at >= :s AND conversion_at < :e"),
        {"p": project_id, "s": start, "e": end})
    return [Touchpoint(r.conversion_id, r.project_id, r.conversion_at, r.conversion_value,
                       r.touchpoint_id, r.touchpoint_at, r.channel, r.position,
                       r.touchpoint_count) for r in rows]
