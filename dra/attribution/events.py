"""Reading a project's attribution events back (the reference implementation's input)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dra.attribution.reference import Event
from dra.models import AttributionEvent


def load_events(session: Session, project_id: int) -> list[Event]:
    """Every event of a project, as the reference implementation takes them."""
    rows = session.execute(
        select(
            AttributionEvent.id,
            AttributionEvent.project_id,
            AttributionEvent.user_identifier,
            AttributionEvent.event_type,
            AttributionEvent.channel,
            AttributionEvent.value,
            AttributionEvent.occurred_at,
        ).where(AttributionEvent.project_id == project_id)
    )
    return [
        Event(
            r.id,
            r.project_id,
            r.user_identifier,
            r.event_type,
            r.channel,
            None if r.value is None else float(r.value),
            r.occurred_at,
        )
        for r in rows
    ]
