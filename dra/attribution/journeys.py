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
(millions).

How: **one ordered pass**, no join. The visitor index (project, visitor, time, id,
covering the columns read here, migration 0010) hands the events over in the order the
journeys need, so PostgreSQL sorts nothing: one aggregate per visitor collects their
touchpoints' channels and times in order, and their conversions in the window. A
journey is then a slice of that visitor's touchpoints, whose two ends ``width_bucket``
finds by binary search in the times: the touchpoints at or before the journey's end
(the conversion, or a non-converting visitor's last touchpoint), minus those before its
start (``lookback_days`` earlier). The slices are grouped by sequence, in memory
(``work_mem`` raised for this statement only).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
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


# Each visitor's events in (time, id) order, as the visitor index holds them: their
# touchpoints (channels and times) and their conversions in the window. A journey ends at
# a conversion or, for a visitor without one, at their last touchpoint (if in the
# window); its touchpoints are those at or before its end minus those before its start.
# width_bucket(x, times) is how many of the (sorted) times are <= x, and a timestamp
# counts microseconds, so "before start" is "<= start - 1 microsecond". The events
# subquery stays a subquery (OFFSET 0), so that is_conversion is computed once per event
# rather than once per aggregate that filters on it; its order is the index's. The
# sequences come out in Python's order of their tuples (UTF-8 bytes compare as code
# points do, and a prefix comes first).
JOURNEYS_SQL = """
WITH visitors AS (
    SELECT array_agg(coalesce(channel, 'direct') ORDER BY occurred_at, id)
               FILTER (WHERE NOT is_conversion) AS touches,
           array_agg(occurred_at ORDER BY occurred_at, id)
               FILTER (WHERE NOT is_conversion) AS times,
           array_agg(occurred_at ORDER BY occurred_at, id)
               FILTER (WHERE is_conversion AND occurred_at >= :lo) AS conversions_at,
           array_agg(coalesce(value, 1) ORDER BY occurred_at, id)
               FILTER (WHERE is_conversion AND occurred_at >= :lo) AS conversion_values
    FROM (SELECT user_identifier, occurred_at, id, channel, value,
                 event_type = ANY(:types) AS is_conversion
          FROM "app"."attribution_events"
          WHERE project_id = :project AND occurred_at >= :lo - make_interval(days => :days)
            AND occurred_at < :hi
          ORDER BY user_identifier, occurred_at, id
          OFFSET 0) events
    GROUP BY user_identifier
), ends AS (
    SELECT touches, times, conversions_at IS NOT NULL AS converted,
           unnest(coalesce(conversions_at, ARRAY[times[cardinality(times)]])) AS at,
           unnest(conversion_values) AS value  -- NULL: a non-converting journey's
    FROM visitors
), journeys AS (
    SELECT touches[width_bucket(at - make_interval(days => :days)
                                - interval '1 microsecond', times) + 1
                   : width_bucket(at, times)] AS path,
           converted, value
    FROM ends
    WHERE converted OR at >= :lo
)
SELECT path, count(*) FILTER (WHERE converted) AS conversions,
       count(*) FILTER (WHERE NOT converted) AS non_conversions,
       coalesce(sum(value), 0) AS value
FROM journeys
WHERE cardinality(path) > 0
GROUP BY path
ORDER BY path COLLATE "C"
"""
# the grouped sequences stay in memory (a few times the default work_mem at 1M events)
JOURNEYS_WORK_MEM = "64MB"


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
    # this statement only: set back right after, and undone with the transaction anyway
    before = session.execute(
        text("SELECT current_setting('work_mem'), set_config('work_mem', :m, true)"),
        {"m": JOURNEYS_WORK_MEM},
    ).scalar_one()
    with _collector_paused():
        journeys = [
            Journey(tuple(path), conversions, non_conversions, float(value))
            for path, conversions, non_conversions, value in session.execute(
                text(JOURNEYS_SQL),
                {
                    "project": project_id,
                    "lo": lo,
                    "hi": hi,
                    "days": lookback_days,
                    "types": list(conversion_types),
                },
            )
        ]
    session.execute(text("SELECT set_config('work_mem', :m, true)"), {"m": before})
    return journeys


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Tens of thousands of rows and journeys allocated at once make the cyclic garbage
    collector run again and again over everything alive (more than half the Python time
    of a million events' journeys); none of them is part of a cycle, so it waits."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
