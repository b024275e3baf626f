"""The attribution report pipeline run in a test: the dbt assets and the report asset,
for one pipeline request, against the test database."""

from __future__ import annotations

import dagster as dg

from assets.attribution import attribution_report
from assets.dbt import build_dbt_assets
from orchestration.requests import REQUEST_TAG
from orchestration.resources import PlatformResource, build_dbt_resource


def produce_report(database, settings, request_id: int) -> None:
    """Materialize the dbt models and the report for request ``request_id`` (the run's
    tag, as the request sensor sets it); the run must succeed."""
    result = dg.materialize(
        [build_dbt_assets(), attribution_report],
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
