"""The web-to-pipeline queue: queued requests in ``app.pipeline_requests`` become runs.

The request id is the run key, so a request runs once; requests wait in the table while
Dagster is down and are picked up when it comes back.
"""

from collections.abc import Callable, Iterable, Mapping

import dagster as dg

from dra.db import Database
from dra.ingestion.service import active_source_ids
from dra.pipeline_requests import JOB_FOR_KIND, list_queued, mark_finished, mark_started
from orchestration.resources import PlatformResource

REQUEST_TAG = "dra/request_id"


PartitionTargets = Mapping[str, tuple[str, Callable[[Database], Iterable[int]]]]
"""Request kind -> (dynamic partitions name, ids of the targets that exist now)."""


def build_request_sensor(
    partitions_name: str, jobs: list, partitions_for_kind: PartitionTargets | None = None
) -> dg.SensorDefinition:
    """Queued requests become runs; a request stays queued until its run starts.

    Each tick may offer the same request again until then: the run key makes Dagster
    skip it, so a request runs once even across daemon restarts. Partitioned kinds use
    the data sources' partitions (``partitions_name``) unless ``partitions_for_kind``
    names another partitions definition for them (``refresh_model``: data models).
    """
    other_kinds = dict(partitions_for_kind or {})

    @dg.sensor(
        name="pipeline_request_sensor",
        jobs=jobs,
        minimum_interval_seconds=5,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Launches a run for each request the web app queued (request id = run key).",
    )
    def pipeline_request_sensor(
        context: dg.SensorEvaluationContext, platform: PlatformResource
    ) -> dg.SensorResult:
        database = platform.database
        known = set(context.instance.get_dynamic_partitions(partitions_name))
        sources = {str(i) for i in active_source_ids(database)}
        new_partitions = sorted(sources - known, key=int)
        run_requests = []
        other_new: dict[str, set[str]] = {}
        for request in list_queued(database, limit=50):
            job = JOB_FOR_KIND.get(request.kind)
            if job is None:
                mark_finished(
                    database,
                    request.id,
                    ok=False,
                    error=f"No pipeline handles requests of kind {request.kind!r}.",
                )
                continue
            partition = str(request.target_id) if job.partitioned else None
            if partition is not None and request.kind in other_kinds:
                name, existing = other_kinds[request.kind]
                if partition not in {str(i) for i in existing(database)}:
                    mark_finished(
                        database, request.id, ok=False, error="The target no longer exists."
                    )
                    continue
                if partition not in set(context.instance.get_dynamic_partitions(name)):
                    other_new.setdefault(name, set()).add(partition)
            elif partition is not None and partition not in sources | known:
                mark_finished(database, request.id, ok=False, error="The target no longer exists.")
                continue
            run_requests.append(
                dg.RunRequest(
                    run_key=f"request-{request.id}",
                    job_name=job.name,
                    partition_key=partition,
                    tags={REQUEST_TAG: str(request.id)},
                )
            )
        return dg.SensorResult(
            run_requests=run_requests,
            dynamic_partitions_requests=(
                [dg.AddDynamicPartitionsRequest(partitions_name, new_partitions)]
                if new_partitions
                else []
            )
            + [
                dg.AddDynamicPartitionsRequest(name, sorted(keys, key=int))
                for name, keys in sorted(other_new.items())
            ],
        )

    return pipeline_request_sensor


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.STARTED,
    name="pipeline_request_started",
    monitor_all_code_locations=False,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=5,
)
def pipeline_request_started(context: dg.RunStatusSensorContext, platform: PlatformResource):
    request_id = context.dagster_run.tags.get(REQUEST_TAG)
    if request_id:
        mark_started(platform.database, int(request_id), run_id=context.dagster_run.run_id)


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    name="pipeline_request_succeeded",
    monitor_all_code_locations=False,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=5,
)
def pipeline_request_succeeded(context: dg.RunStatusSensorContext, platform: PlatformResource):
    request_id = context.dagster_run.tags.get(REQUEST_TAG)
    if request_id:
        mark_finished(
            platform.database, int(request_id), ok=True, run_id=context.dagster_run.run_id
        )


@dg.run_failure_sensor(
    name="pipeline_run_failed",
    monitor_all_code_locations=False,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=5,
)
def pipeline_run_failed(context: dg.RunFailureSensorContext, platform: PlatformResource):
    """Record the failure on its request, raise an alert and notify admins and owners."""
    from dra.alerts import record_pipeline_failure

    run = context.dagster_run
    message = context.failure_event.message or "The run failed."
    request_id = run.tags.get(REQUEST_TAG)
    if request_id:
        mark_finished(
            platform.database, int(request_id), ok=False, error=message, run_id=run.run_id
        )
    record_pipeline_failure(
        platform.database,
        job_name=run.job_name,
        run_id=run.run_id,
        message=message,
        request_id=int(request_id) if request_id else None,
    )
