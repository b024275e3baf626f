"""The web-to-pipeline bridge, serving every domain: queued requests in
``app.pipeline_requests`` become runs, and the runs' outcomes come back to them.

The request id is the run key, so a request runs once; requests wait in the table while
Dagster is down and are picked up when it comes back. Which job serves a kind is
declared once, in ``dra.pipeline_requests.JOB_FOR_KIND`` (the web app's side: it never
imports Dagster); ``build_request_sensor`` targets those jobs. A run writes its own
status as it goes (orchestration/requests.py); the run-status sensors here are the
fallback for a run that dies before it could, and raise the failure alerts.

Sensors other than these live beside their domain's assets (assets/<domain>.py): they
read that domain's assets and launch its jobs.
"""

from collections.abc import Mapping, Sequence

import dagster as dg

from dra.pipeline_requests import JOB_FOR_KIND, list_queued, mark_finished, mark_started
from orchestration.requests import RequestTargets, request_id_of, request_tags
from orchestration.resources import PlatformResource

REQUEST_SENSOR_INTERVAL_SECONDS = 1
"""As often as Dagster's sensor daemon can: it evaluates sensors every 5 s at most (its
loop, not configurable in 1.13), and an interval of 5 s skipped every other loop when
the previous tick had started a little less than 5 s before."""


class _TargetPartitions:
    """One tick's view of the request targets: which ids exist, which partitions to add."""

    def __init__(self, instance: dg.DagsterInstance, database) -> None:
        self.instance, self.database = instance, database
        self._existing: dict[str, set[str]] = {}
        self._known: dict[str, set[str]] = {}
        self._new: dict[str, tuple[RequestTargets, set[str]]] = {}

    def _load(self, target: RequestTargets) -> str:
        name = target.partitions_def.name
        if name not in self._existing:
            self._existing[name] = {str(i) for i in target.existing(self.database)}
            self._known[name] = set(self.instance.get_dynamic_partitions(name))
            self._new[name] = (target, set())
        return name

    def add_all(self, target: RequestTargets) -> None:
        name = self._load(target)
        self._new[name][1].update(self._existing[name] - self._known[name])

    def claim(self, target: RequestTargets, key: str) -> bool:
        """Whether target ``key`` exists now; its partition is added when missing."""
        name = self._load(target)
        if key not in self._existing[name]:
            return False
        if key not in self._known[name]:
            self._new[name][1].add(key)
        return True

    def add_requests(self) -> list:
        return [
            target.partitions_def.build_add_request(sorted(keys, key=int))
            for target, keys in self._new.values()
            if keys
        ]


def build_request_sensor(
    jobs: Sequence, targets: Mapping[str, RequestTargets]
) -> dg.SensorDefinition:
    """Queued requests become runs of the jobs ``JOB_FOR_KIND`` names (among ``jobs``).

    A partitioned job's partition is the request's target, as ``targets`` (job name ->
    what its partition key names) says: a target that no longer exists fails its request
    instead of launching a run. A request stays queued until its run starts; each tick
    may offer it again until then, and the run key makes Dagster skip it.
    """
    by_name = {job.name: job for job in jobs}
    every_target = list({t.partitions_def.name: t for t in targets.values()}.values())

    @dg.sensor(
        name="pipeline_request_sensor",
        jobs=[by_name[route.name] for route in JOB_FOR_KIND.values() if route.name in by_name],
        minimum_interval_seconds=REQUEST_SENSOR_INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Launches a run for each request the web app queued (request id = run key).",
    )
    def pipeline_request_sensor(
        context: dg.SensorEvaluationContext, platform: PlatformResource
    ) -> dg.SensorResult:
        database = platform.database
        partitions = _TargetPartitions(context.instance, database)
        for target in every_target:
            if target.add_all:
                partitions.add_all(target)
        run_requests = []
        for request in list_queued(database, limit=50):
            route = JOB_FOR_KIND.get(request.kind)
            job = by_name.get(route.name) if route else None
            if job is None:
                mark_finished(
                    database,
                    request.id,
                    ok=False,
                    error=f"No pipeline handles requests of kind {request.kind!r}.",
                )
                continue
            partition = str(request.target_id) if route.partitioned else None
            if partition is not None and not partitions.claim(targets[job.name], partition):
                mark_finished(database, request.id, ok=False, error="The target no longer exists.")
                continue
            run_requests.append(
                dg.RunRequest(
                    run_key=f"request-{request.id}",
                    job_name=job.name,
                    partition_key=partition,
                    tags=request_tags(request.id),
                )
            )
        return dg.SensorResult(
            run_requests=run_requests, dynamic_partitions_requests=partitions.add_requests()
        )

    return pipeline_request_sensor


# ------------------------------------------------------------------ fallbacks and alerts
@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.STARTED,
    name="pipeline_request_started",
    monitor_all_code_locations=False,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=5,
    description="Fallback: marks a request running when its run started (runs write it "
    "themselves as their first step starts).",
)
def pipeline_request_started(context: dg.RunStatusSensorContext, platform: PlatformResource):
    request_id = request_id_of(context.dagster_run.tags)
    if request_id is not None:
        mark_started(platform.database, request_id, run_id=context.dagster_run.run_id)


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    name="pipeline_request_succeeded",
    monitor_all_code_locations=False,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=5,
    description="Fallback: marks a request succeeded when its run did (runs write it "
    "themselves once their last step is done).",
)
def pipeline_request_succeeded(context: dg.RunStatusSensorContext, platform: PlatformResource):
    request_id = request_id_of(context.dagster_run.tags)
    if request_id is not None:
        mark_finished(platform.database, request_id, ok=True, run_id=context.dagster_run.run_id)


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
    request_id = request_id_of(run.tags)
    if request_id is not None:
        mark_finished(platform.database, request_id, ok=False, error=message, run_id=run.run_id)
    record_pipeline_failure(
        platform.database,
        job_name=run.job_name,
        run_id=run.run_id,
        message=message,
        request_id=request_id,
    )


RUN_STATUS_SENSORS = [pipeline_request_started, pipeline_request_succeeded, pipeline_run_failed]
