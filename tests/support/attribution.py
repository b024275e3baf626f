"""Attribution in tests: a tracked event, and the report pipeline (what the report job
selects: the dbt assets upstream of the report, then the report) run for one pipeline
request against the test database."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import dagster as dg

from assets.attribution import REPORT_SELECTION, attribution_report
from assets.dbt import build_dbt_assets
from dra.models import AttributionEvent
from orchestration.requests import REQUEST_TAG
from orchestration.resources import PlatformResource, build_dbt_resource


def tracked_event(
    project_id: int,
    user: str,
    kind: str,
    when: datetime,
    channel: str | None = None,
    value: float | str | None = None,
) -> AttributionEvent:
    """One event of visitor ``user`` (not yet added to a session)."""
    return AttributionEvent(
        project_id=project_id,
        user_identifier=user,
        event_type=kind,
        channel=channel,
        value=None if value is None else Decimal(str(value)),
        occurred_at=when,
    )


def produce_report(database, settings, request_id: int) -> None:
    """Materialize what ``attribution_report_job`` selects (the dbt models upstream of
    the report, then the report; the marts' Soda contract aside) for request
    ``request_id`` (the run's tag, as the request sensor sets it); the run must succeed."""
    result = dg.materialize(
        [build_dbt_assets(), attribution_report],
        selection=REPORT_SELECTION,
        resources={
            "platform": PlatformResource(
                database_url=database.url, data_dir=str(settings.data_dir)
            ),
            "dbt": build_dbt_resource(),
        },
        tags={REQUEST_TAG: str(request_id)},
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
