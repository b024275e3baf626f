"""The demo project's website visits as attribution events (idempotent)."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from dra.attribution.tracking import MAX_BATCH, store_events, validate_event


def _payload(row: dict[str, str]) -> dict:
    return {
        "userIdentifier": row["anonymous_id"],
        "eventType": row["event_type"],
        "pageUrl": row["page_url"] or None,
        "referrer": row["referrer"] or None,
        "utmParams": {
            "source": row["utm_source"] or None,
            "medium": row["utm_medium"] or None,
            "campaign": row["utm_campaign"] or None,
        },
        "eventValue": row["value"] or None,
        "eventTimestamp": row["occurred_at"],
        "clientEventId": f"demo-{row['event_id']}",
    }


def import_web_events(session: Session, project_id: int, path: Path) -> int:
    """Load web_events.csv into the project's events once (client ids make it idempotent);
    returns how many were new. Needs a system session (it creates monthly partitions)."""
    with path.open(newline="", encoding="utf-8") as fh:
        events = [validate_event(_payload(row)) for row in csv.DictReader(fh)]
    for month in sorted({e.occurred_at.strftime("%Y-%m-01") for e in events}):
        session.execute(
            text("SELECT app.ensure_attribution_partition(CAST(:m AS timestamptz))"), {"m": month}
        )
    stored = 0
    for i in range(0, len(events), MAX_BATCH):
        stored += store_events(session, project_id, events[i : i + MAX_BATCH]).stored
    return stored
