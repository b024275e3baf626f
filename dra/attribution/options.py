"""A report's options: its lookback window and the event types that count as conversions.

Chosen per report on the form or in the JSON API (defaults: 30 days, ``purchase`` and
``conversion``), stored with the report and passed to the dbt build as vars: the
touchpoints of each options are built and kept apart in ``int_touchpoints``
(dbt_project/macros/attribution_partitions.sql), so a report reads exactly its own.

Conversion types must be event types the platform records (``EventType``: tracking
refuses any other), so an unknown name is a typo the person is told about, not an
empty report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from dra.attribution.dbt_env import build_args, partitions_state_exists
from dra.attribution.reference import DEFAULT_CONVERSION_TYPES, DEFAULT_LOOKBACK_DAYS
from dra.errors import DraError
from dra.models.attribution import MAX_LOOKBACK_DAYS, AttributionReport, EventType

EVENT_TYPES = tuple(EventType)
NAME_SHOWN = 40  # characters of an unknown name echoed in the message


class OptionsError(DraError):
    """A report option that cannot be used; ``field`` names it."""


@dataclass(frozen=True)
class ReportOptions:
    lookback_days: int = DEFAULT_LOOKBACK_DAYS
    conversion_types: tuple[str, ...] = DEFAULT_CONVERSION_TYPES

    @classmethod
    def of(cls, report: AttributionReport) -> ReportOptions:
        """The options stored with a report."""
        return cls(report.lookback_days, tuple(sorted(report.conversion_types)))

    def as_dict(self) -> dict[str, Any]:
        return {
            "lookback_days": self.lookback_days,
            "conversion_types": list(self.conversion_types),
        }

    def dbt_vars(self, project_id: int) -> dict[str, Any]:
        """The vars of the dbt build of one project's touchpoints with these options."""
        return {
            "project_ids": [project_id],
            "lookback_days": self.lookback_days,
            "conversion_event_types": list(self.conversion_types),
        }


def _lookback(raw: object) -> int:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return DEFAULT_LOOKBACK_DAYS
    wrong = OptionsError(
        f"The lookback window must be a whole number of days from 1 to {MAX_LOOKBACK_DAYS}.",
        field="lookback_days",
    )
    if isinstance(raw, bool):
        raise wrong
    if isinstance(raw, int):
        days = raw
    elif isinstance(raw, str) and raw.strip().isdigit() and len(raw.strip()) <= 3:
        days = int(raw.strip())
    else:
        raise wrong
    if not 1 <= days <= MAX_LOOKBACK_DAYS:
        raise wrong
    return days


def _conversion_types(raw: object) -> tuple[str, ...]:
    if raw is None:
        return DEFAULT_CONVERSION_TYPES
    if isinstance(raw, str):
        items: list[object] = raw.replace(",", " ").split()
    elif isinstance(raw, list | tuple):
        items = list(raw)
    else:
        raise OptionsError(
            "Send the conversion event types as a list of names.", field="conversion_types"
        )
    if len(items) > 4 * len(EVENT_TYPES):
        raise OptionsError(
            f"Choose at most {len(EVENT_TYPES)} conversion event types.", field="conversion_types"
        )
    chosen: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise OptionsError(
                "Each conversion event type must be a name.", field="conversion_types"
            )
        name = item.strip()
        if not name:
            continue
        if name not in EVENT_TYPES:
            shown = " ".join(name.split())[:NAME_SHOWN]
            raise OptionsError(
                f"“{shown}” is not an event type: choose among {', '.join(EVENT_TYPES)}.",
                field="conversion_types",
            )
        if name not in chosen:
            chosen.append(name)
    if not chosen:
        raise OptionsError("Choose at least one conversion event type.", field="conversion_types")
    return tuple(sorted(chosen))


def parse_options(form: Mapping[str, Any]) -> ReportOptions:
    """The options of a report form or API body; a missing option takes its default.

    ``lookback_days``: a whole number of days, 1 to 365. ``conversion_types``: event type
    names (a list, or one text separated by commas or spaces), at least one, each one of
    ``EventType``; repeats are merged and the names sorted.
    """
    return ReportOptions(
        lookback_days=_lookback(form.get("lookback_days")),
        conversion_types=_conversion_types(form.get("conversion_types")),
    )


def dbt_build_args(
    session: Session, report_id: int | None, *, full_refresh: bool = False
) -> list[str]:
    """The ``dbt build`` of a pipeline run: for a report, its project with its options
    (the partitions whose events changed); otherwise every project with the default
    options. A platform whose touchpoints are not built by partitions yet (no state
    table) gets a full refresh, as ``full_refresh`` asks (the nightly job)."""
    build_vars = None
    if report_id is not None:
        report = session.get(AttributionReport, report_id)
        if report is not None:
            build_vars = ReportOptions.of(report).dbt_vars(report.project_id)
    full_refresh = full_refresh or not partitions_state_exists(session)
    return build_args(build_vars, full_refresh=full_refresh)
