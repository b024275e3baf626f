"""The one Definitions object of the platform, merged from one module per domain.

Each ``assets/<domain>.py`` holds that domain's assets, checks, jobs, schedules and
sensors and gives them with ``definitions()``; ``sensors/requests.py`` adds the bridge
from the web app's requests to every domain's jobs; resources come from
orchestration/resources.py (chosen by environment there).

Nothing is built at import: ``defs`` is built on first use (``build_definitions``), so
settings read from the environment (cron times, retry policies) are read then.
"""

from functools import cache

import dagster as dg

from assets import (
    accounts,
    ai,
    attribution,
    backups,
    data_models,
    dbt,
    ingestion,
    mail,
    quality,
)
from dra.pipeline_requests import JOB_FOR_KIND
from orchestration.resources import build_resources
from sensors.requests import RUN_STATUS_SENSORS, build_request_sensor

DOMAINS = (ingestion, data_models, quality, dbt, attribution, backups, accounts, mail, ai)
# job name -> what its partition key names (the partitioned request jobs)
REQUEST_TARGETS = {
    **ingestion.REQUEST_TARGETS,
    **data_models.REQUEST_TARGETS,
    **quality.REQUEST_TARGETS,
}


def build_definitions() -> dg.Definitions:
    domains = dg.Definitions.merge(*(domain.definitions() for domain in DOMAINS))
    request_jobs = {route.name for route in JOB_FOR_KIND.values()}
    bridge = dg.Definitions(
        sensors=[
            build_request_sensor(
                [job for job in domains.jobs if job.name in request_jobs], REQUEST_TARGETS
            ),
            *RUN_STATUS_SENSORS,
        ],
        resources=build_resources(),
    )
    return dg.Definitions.merge(domains, bridge)


@cache
def _definitions() -> dg.Definitions:
    return build_definitions()


def __getattr__(name: str):
    """``defs`` (what workspace.yaml loads) is built the first time it is asked for."""
    if name == "defs":
        return _definitions()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
