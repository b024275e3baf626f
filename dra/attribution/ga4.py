"""GA4 sessions beside an attribution report's tracked events (issue #16).

The sessions come from the dbt mart ``marts.fct_ga4_sessions_daily`` (every GA4 source's
``channel_daily`` rows: sessions, users, key events and revenue by day and default
channel group), whose ``channel`` is the attribution channel the group maps onto (the
one mapping, ``dbt_project/macros/ga4_channels.sql``, shared with the spend mart).

For the report's project and dates (the properties' own days) it gives:

- per attribution channel: the project's tracked events (touches: the events that are not
  conversions) and their distinct visitors in the report's range, beside GA4's sessions,
  users, key events and revenue;
- per GA4 default channel group: the same GA4 figures and the channel it maps onto.

Users are GA4's per day and channel group, added up over the days (a user of two days
counts twice). Revenue is kept per currency (a property's own): ``[{currency, amount}]``.
Sums are made in decimals, so 0.1 + 0.2 comes out as 0.3.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from dra.attribution.dbt_env import MARTS_SCHEMA
from dra.attribution.spend import mart_exists

GA4_MODEL = "fct_ga4_sessions_daily"


@dataclass
class _Figures:
    """GA4's figures added up (revenue per currency)."""

    sessions: int = 0
    users: int = 0
    key_events: Decimal = Decimal(0)
    revenue: dict[str | None, Decimal] = field(default_factory=dict)

    def add(self, row: Any) -> None:
        self.sessions += int(row.sessions or 0)
        self.users += int(row.users or 0)
        self.key_events += row.key_events or 0
        self.revenue[row.currency] = self.revenue.get(row.currency, Decimal(0)) + (row.revenue or 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sessions": self.sessions,
            "users": self.users,
            "key_events": float(self.key_events),
            "revenue": [
                {"currency": currency, "amount": float(amount)}
                for currency, amount in sorted(self.revenue.items(), key=lambda i: i[0] or "")
            ],
        }


def _tracked(
    session: Session, project_id: int, lo: datetime, hi: datetime, conversion_types: Sequence[str]
) -> dict[str, tuple[int, int]]:
    """Channel -> (touch events, distinct visitors) of the project in [lo, hi); a channel
    left empty counts as direct, as the dbt models read it."""
    rows = session.execute(
        text(
            "SELECT coalesce(channel, 'direct') AS channel, count(*) AS events,"
            " count(DISTINCT user_identifier) AS visitors"
            " FROM app.attribution_events WHERE project_id = :p AND occurred_at >= :s"
            " AND occurred_at < :e AND NOT (event_type = ANY(:types))"
            " GROUP BY 1"
        ),
        {"p": project_id, "s": lo, "e": hi, "types": list(conversion_types)},
    )
    return {r.channel: (int(r.events), int(r.visitors)) for r in rows}


def ga4_sessions(
    session: Session,
    project_id: int,
    start: date,
    end: date,
    *,
    events_between: tuple[datetime, datetime],
    conversion_types: Sequence[str],
) -> dict[str, Any] | None:
    """The report's GA4 section, or None when the project's GA4 sources have no rows in
    the range (or the mart is not built yet): a project without GA4 gets no section.

    ``events_between`` is the report's [start, end) of tracked events; ``conversion_types``
    the event types that are conversions (not counted as touches)."""
    if not mart_exists(session, GA4_MODEL):
        return None
    rows = session.execute(
        text(
            "SELECT channel_group, channel, currency, sum(sessions) AS sessions,"
            " sum(users) AS users, sum(key_events) AS key_events, sum(revenue) AS revenue"
            f' FROM "{MARTS_SCHEMA}"."{GA4_MODEL}"'
            " WHERE project_id = :p AND date >= :s AND date <= :e"
            " GROUP BY channel_group, channel, currency"
        ),
        {"p": project_id, "s": start, "e": end},
    ).all()
    if not rows:
        return None
    groups: dict[tuple[str, str], _Figures] = {}
    channels: dict[str, _Figures] = {}
    for r in rows:
        groups.setdefault((r.channel_group, r.channel), _Figures()).add(r)
        channels.setdefault(r.channel, _Figures()).add(r)
    tracked = _tracked(session, project_id, *events_between, conversion_types)
    return {
        "channels": [
            {
                "channel": channel,
                "tracked_events": tracked.get(channel, (0, 0))[0],
                "visitors": tracked.get(channel, (0, 0))[1],
                **channels.get(channel, _Figures()).as_dict(),
            }
            for channel in sorted(channels.keys() | tracked.keys())
        ],
        "channel_groups": [
            {"channel_group": group, "channel": channel, **figures.as_dict()}
            for (group, channel), figures in sorted(
                groups.items(), key=lambda i: (-i[1].sessions, i[0])
            )
        ],
    }
