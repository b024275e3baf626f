"""Funnels (UC-ATT-04) and journey maps (UC-ATT-05), computed in SQL over the events.

Both are quick read-only queries the web app runs itself (under row-level security,
with the statement timeout of the platform settings).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from dra.attribution.reference import DEFAULT_CONVERSION_TYPES
from dra.attribution.reports import ReportError, bounds

MAX_STEPS = 10
MAX_DEPTH = 8
MAX_TOP = 50
DIMENSIONS = {"channel": "coalesce(channel, 'direct')", "event": "coalesce(event_name, event_type)"}


@dataclass(frozen=True)
class FunnelStep:
    label: str
    users: int
    conversion_pct: float  # of the first step
    step_pct: float  # of the previous step
    drop_off_pct: float  # lost since the previous step


def parse_steps(raw: str | list[str] | None) -> list[str]:
    items = raw if isinstance(raw, list) else (raw or "").splitlines()
    steps = [s.strip() for s in items if s and s.strip()]
    if len(steps) < 2:
        raise ReportError("Funnel requires at least 2 steps.", field="steps")
    if len(steps) > MAX_STEPS:
        raise ReportError(f"A funnel has at most {MAX_STEPS} steps.", field="steps")
    if any(len(s) > 255 for s in steps):
        raise ReportError("A step is longer than 255 characters.", field="steps")
    return steps


def parse_int(raw: Any, field: str, label: str, low: int, high: int, default: int) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ReportError(f"{label} must be a whole number.", field=field) from None
    if not low <= value <= high:
        raise ReportError(f"{label} must be between {low} and {high}.", field=field)
    return value


def funnel(
    session: Session, project_id: int, steps: list[str], start: date, end: date, window_days: int
) -> list[FunnelStep]:
    """Distinct users reaching each step in order, within ``window_days`` of their step 1.

    A step matches an event whose type or name equals it. Each user enters at their
    first step-1 event in the range; each later step is the first match at or after
    the previous one, within the window.
    """
    lo, hi = bounds(start, end)
    params: dict[str, Any] = {"p": project_id, "lo": lo, "hi": hi, "days": window_days}
    ctes = [
        "ev AS (SELECT user_identifier, occurred_at, event_type, event_name"
        " FROM app.attribution_events WHERE project_id = :p AND occurred_at >= :lo"
        " AND occurred_at < :hi)",
        "s0 AS (SELECT user_identifier, min(occurred_at) AS t, min(occurred_at) AS t0"
        " FROM ev WHERE event_type = :step0 OR event_name = :step0"
        " GROUP BY user_identifier)",
    ]
    params["step0"] = steps[0]
    for i in range(1, len(steps)):
        params[f"step{i}"] = steps[i]
        ctes.append(
            f"s{i} AS (SELECT e.user_identifier, min(e.occurred_at) AS t, min(prev.t0) AS t0"
            f" FROM ev e JOIN s{i - 1} prev ON prev.user_identifier = e.user_identifier"
            f" AND e.occurred_at >= prev.t"
            f" AND e.occurred_at <= prev.t0 + make_interval(days => :days)"
            f" WHERE e.event_type = :step{i} OR e.event_name = :step{i}"
            f" GROUP BY e.user_identifier)"
        )
    counts = ", ".join(f"(SELECT count(*) FROM s{i})" for i in range(len(steps)))
    row = session.execute(text(f"WITH {', '.join(ctes)} SELECT {counts}"), params).one()
    out: list[FunnelStep] = []
    first = row[0]
    for i, label in enumerate(steps):
        users = int(row[i])
        prev = int(row[i - 1]) if i else users
        step_pct = 100.0 * users / prev if prev else 0.0
        out.append(
            FunnelStep(
                label,
                users,
                100.0 * users / first if first else 0.0,
                step_pct if i else (100.0 if users else 0.0),
                (100.0 - step_pct) if i and prev else 0.0,
            )
        )
    return out


@dataclass(frozen=True)
class JourneyPath:
    steps: list[str]
    users: int
    conversions: int

    @property
    def conversion_rate(self) -> float:
        return 100.0 * self.conversions / self.users if self.users else 0.0

    @property
    def label(self) -> str:
        return " → ".join(self.steps)


def journeys(
    session: Session,
    project_id: int,
    start: date,
    end: date,
    *,
    depth: int = 4,
    top: int = 10,
    dimension: str = "channel",
    conversion_types: tuple[str, ...] = DEFAULT_CONVERSION_TYPES,
) -> list[JourneyPath]:
    """The ``top`` most common paths (first ``depth`` steps of each user's non-conversion
    events, repeats collapsed) with how many of their users converted in the range."""
    if dimension not in DIMENSIONS:
        raise ReportError("Choose channels or events.", field="by")
    lo, hi = bounds(start, end)
    expr = DIMENSIONS[dimension]
    rows = session.execute(
        text(f"""
        WITH ev AS (
            SELECT id, user_identifier, occurred_at, event_type, {expr} AS step
            FROM app.attribution_events
            WHERE project_id = :p AND occurred_at >= :lo AND occurred_at < :hi
        ), touch AS (
            SELECT user_identifier, occurred_at, id, step,
                   lag(step) OVER (PARTITION BY user_identifier ORDER BY occurred_at, id) AS prev
            FROM ev WHERE NOT (event_type = ANY(:conv))
        ), numbered AS (
            SELECT user_identifier, step,
                   row_number() OVER (PARTITION BY user_identifier ORDER BY occurred_at, id) AS n
            FROM touch WHERE prev IS NULL OR prev <> step
        ), paths AS (
            SELECT user_identifier, array_agg(step ORDER BY n) AS steps
            FROM numbered WHERE n <= :depth GROUP BY user_identifier
        ), converted AS (
            SELECT DISTINCT user_identifier FROM ev WHERE event_type = ANY(:conv)
        )
        SELECT paths.steps, count(*) AS users, count(converted.user_identifier) AS conversions
        FROM paths LEFT JOIN converted USING (user_identifier)
        GROUP BY paths.steps ORDER BY users DESC, conversions DESC, paths.steps LIMIT :top
    """),
        {
            "p": project_id,
            "lo": lo,
            "hi": hi,
            "depth": depth,
            "top": top,
            "conv": list(conversion_types),
        },
    )
    return [JourneyPath(list(r.steps), int(r.users), int(r.conversions)) for r in rows]
