"""Journeys of channels, converting and not, grouped in SQL (the data-driven models' input).

One query over the project's events returns one row per distinct channel sequence:

- a **converting journey** per conversion (an event whose type is one of
  ``conversion_types``) in the report window: the same visitor's other events in the
  ``lookback_days`` before it, as ``int_touchpoints`` and the reference take them;
  conversions without such a touchpoint have no journey (they are "unattributed");
- a **non-converting journey** per visitor with touchpoints in the window and no
  conversion in it: their touchpoints in the ``lookback_days`` up to their last one in
  the window (the same length of history a converting journey gets).

Channels are in time order (then event id) with **repeats kept** (``paid > paid >
email``), as the ``channelattribution`` package takes paths: a first-order chain is the
same either way (a repeat is a self-transition, which changes no absorption
probability), while a higher-order chain's states are the sliding windows of the
sequence as it happened. A missing channel counts as ``direct``; a conversion without a
value counts 1. Python then sees the distinct sequences (thousands), not the events
(millions). Visitors are compared byte for byte (``COLLATE "C"``: the same equality as
the default collation, and sorts several times faster).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from dra.attribution.reference import DEFAULT_CONVERSION_TYPES, DEFAULT_LOOKBACK_DAYS
from dra.errors import DraError
from dra.models.attribution import MAX_LOOKBACK_DAYS


@dataclass(frozen=True)
class Journey:
    """Every journey that went through ``channels`` in this order, and how they ended."""

    channels: tuple[str, ...]
    conversions: int
    non_conversions: int
    value: float  # summed value of the conversions

    @property
    def journeys(self) -> int:
        return self.conversions + self.non_conversions


JOURNEYS_SQL = """
WITH ev AS (
    SELECT id, user_identifier COLLATE "C" AS u, occurred_at,
           coalesce(channel, 'direct') AS channel,
           event_type = ANY(:types) AS is_conversion, coalesce(value, 1) AS value
    FROM "app"."attribution_events"
    WHERE project_id = :project AND occurred_at >= :lo - make_interval(days => :days)
      AND occurred_at < :hi
), conversions AS (
    SELECT id, u, occurred_at, value
    FROM ev WHERE is_conversion AND occurred_at >= :lo
), converting AS (
    SELECT max(c.value) AS value, array_agg(t.channel ORDER BY t.occurred_at, t.id) AS path
    FROM conversions c
    JOIN ev t ON t.u = c.u AND NOT t.is_conversion
     AND t.occurred_at >= c.occurred_at - make_interval(days => :days)
     AND t.occurred_at <= c.occurred_at
    GROUP BY c.id
), last_touch AS (
    SELECT u, max(occurred_at) AS at
    FROM ev WHERE NOT is_conversion AND occurred_at >= :lo
    GROUP BY u
), non_converting AS (
    SELECT array_agg(t.channel ORDER BY t.occurred_at, t.id) AS path
    FROM last_touch l
    JOIN ev t ON t.u = l.u AND NOT t.is_conversion
     AND t.occurred_at >= l.at - make_interval(days => :days) AND t.occurred_at <= l.at
    WHERE NOT EXISTS (SELECT FROM conversions c WHERE c.u = l.u)
    GROUP BY l.u
)
SELECT path, sum(conversions) AS conversions, sum(non_conversions) AS non_conversions,
       sum(value) AS value
FROM (SELECT path, 1 AS conversions, 0 AS non_conversions, value FROM converting
      UNION ALL
      SELECT path, 0, 1, 0 FROM non_converting) j
GROUP BY path
"""


def check_options(lookback_days: int, conversion_types: Sequence[str]) -> None:
    """Refuse a lookback outside 1..365 days or an empty list of conversion types."""
    if isinstance(lookback_days, bool) or not isinstance(lookback_days, int):
        raise DraError("The lookback window must be a whole number of days.", field="lookback_days")
    if not 1 <= lookback_days <= MAX_LOOKBACK_DAYS:
        raise DraError(
            f"The lookback window must be between 1 and {MAX_LOOKBACK_DAYS} days.",
            field="lookback_days",
        )
    if isinstance(conversion_types, str) or not conversion_types:
        raise DraError("Choose at least one conversion event type.", field="conversion_types")


def grouped_journeys(
    session: Session,
    project_id: int,
    lo: datetime,
    hi: datetime,
    *,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    conversion_types: Sequence[str] = DEFAULT_CONVERSION_TYPES,
) -> list[Journey]:
    """The project's journeys for conversions in ``[lo, hi)``, one per channel sequence
    (sorted by sequence, so that results are reproducible)."""
    check_options(lookback_days, conversion_types)
    rows = session.execute(
        text(JOURNEYS_SQL),
        {
            "project": project_id,
            "lo": lo,
            "hi": hi,
            "days": lookback_days,
            "types": list(conversion_types),
        },
    )
    return sorted(
        (
            Journey(tuple(r.path), int(r.conversions), int(r.non_conversions), float(r.value))
            for r in rows
        ),
        key=lambda j: j.channels,
    )
