"""The demo project's website visits become its attribution events, once."""

from __future__ import annotations

import csv

from sqlalchemy import func, select

from dra.demo.load import DEMO_PROJECT, load_demo
from dra.models import AttributionEvent, Project


def test_demo_events_are_loaded_once_with_channels(database, settings):
    load_demo(database.url, settings)
    load_demo(database.url, settings)  # idempotent
    with (settings.data_dir / "demo" / "web_events.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    with database.system_session() as s:
        project_id = s.scalar(select(Project.id).where(Project.name == DEMO_PROJECT))
        counts = dict(
            s.execute(
                select(AttributionEvent.channel, func.count())
                .where(AttributionEvent.project_id == project_id)
                .group_by(AttributionEvent.channel)
            ).all()
        )
        purchases = s.scalar(
            select(func.count()).where(
                AttributionEvent.project_id == project_id, AttributionEvent.event_type == "purchase"
            )
        )
    assert sum(counts.values()) == len(rows)
    assert {"paid", "social", "email", "organic", "referral", "direct"} <= set(counts)
    assert purchases == sum(r["event_type"] == "purchase" for r in rows) > 0
