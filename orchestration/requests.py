"""Runs launched for a web request: the one helper every asset and op uses, and the
executor that writes the request's status from the run itself.

The request sensor (sensors/requests.py) launches a run for each queued row of
``app.pipeline_requests``, tagged with the row's id (``REQUEST_TAG``). In the run,
``request_of(context, platform)`` gives that row (kind, target, payload, who asked),
and ``request_executor`` runs the job's steps in this one process while writing the
request's status: running, with the step it is on, as each step starts; succeeded, or
failed with the step's error, once the last step is done. The run-status sensors stay
as the fallback for a run that dies before it could write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import dagster as dg

from dra import pipeline_requests

if TYPE_CHECKING:
    from dra.db import Database
    from orchestration.resources import PlatformResource

REQUEST_TAG = "dra/request_id"
ERROR_LIMIT = 2000


def request_tags(request_id: int) -> dict[str, str]:
    """The tags of a run launched for request ``request_id``."""
    return {REQUEST_TAG: str(request_id)}


def request_id_of(tags: Mapping[str, str]) -> int | None:
    """The request a run (by its tags) was launched for, if any."""
    raw = tags.get(REQUEST_TAG)
    return int(raw) if raw and raw.isdigit() else None


@dataclass(frozen=True)
class Request:
    """The request a run serves, as the web app recorded it."""

    id: int
    kind: str
    target_id: int | None
    requested_by: int | None
    payload: dict[str, Any] = field(default_factory=dict)


def request_of(context, platform: PlatformResource, *, target: str | None = None) -> Request | None:
    """The request this run serves; None for a run no request launched (a schedule's).

    With ``target`` ("report", "backup"...) the run exists only for a request naming
    one: a run without it fails with a message saying so.
    """
    from dra.models import PipelineRequest

    request_id = request_id_of(context.run.tags)
    if request_id is None:
        if target is not None:
            raise dg.Failure(f"This job runs for a request: launch it with the {REQUEST_TAG} tag.")
        return None
    with platform.database.system_session() as s:
        row = s.get(PipelineRequest, request_id)
        found = None
        if row is not None:
            found = Request(
                row.id, row.kind, row.target_id, row.requested_by, dict(row.payload or {})
            )
    if target is not None and (found is None or found.target_id is None):
        raise dg.Failure(f"Pipeline request #{request_id} does not exist or names no {target}.")
    return found


# ------------------------------------------------------------------------------ executor
class _StatusWriter:
    """Writes one request's status; a failure to write is logged, never fails the run."""

    def __init__(self, request_id: int, run_id: str, log) -> None:
        self.request_id, self.run_id, self.log = request_id, run_id, log
        self._database = None

    def _db(self):
        if self._database is None:
            from dra.db import Database
            from dra.settings import load_settings

            self._database = Database(load_settings().database_url)
        return self._database

    def _write(self, what: str, call) -> None:
        try:
            call(self._db())
        except Exception as exc:  # the run's work matters more than its status line
            self.log.warning(f"could not record {what} of request #{self.request_id}: {exc}")

    def step(self, step_key: str) -> None:
        self._write(
            "the step",
            lambda db: pipeline_requests.mark_started(db, self.request_id, self.run_id, step_key),
        )

    def finished(self, error: str | None) -> None:
        self._write(
            "the outcome",
            lambda db: pipeline_requests.mark_finished(
                db, self.request_id, ok=error is None, error=error, run_id=self.run_id
            ),
        )

    def close(self) -> None:
        if self._database is not None:
            self._database.dispose()


def _failure_text(event) -> str:
    """A failed step's message as a person reads it: a Failure's description, else the error."""
    data = event.step_failure_data
    described = data.user_failure_data.description if data.user_failure_data else None
    error = (data.error.message if data.error else "").strip()
    text = described or f"{event.step_key} failed: {error or 'no message'}"
    return text[:ERROR_LIMIT]


class RequestStatusExecutor(dg.Executor):
    """Another executor's steps, with the request's status written as they start and end."""

    def __init__(self, inner: dg.Executor) -> None:
        self._inner = inner

    @property
    def retries(self):
        return self._inner.retries

    @property
    def step_dependency_config(self):
        return self._inner.step_dependency_config

    def execute(self, plan_context, execution_plan) -> Iterator:
        request_id = request_id_of(plan_context.dagster_run.tags)
        if request_id is None:
            yield from self._inner.execute(plan_context, execution_plan)
            return
        writer = _StatusWriter(request_id, plan_context.dagster_run.run_id, plan_context.log)
        error = None
        try:
            for event in self._inner.execute(plan_context, execution_plan):
                yield event
                if event.is_step_start:
                    writer.step(event.step_key)
                elif event.is_step_failure and error is None:
                    error = _failure_text(event)
        except Exception as exc:
            writer.finished(error or str(exc)[:ERROR_LIMIT])
            raise
        else:
            writer.finished(error)
        finally:
            writer.close()


@dg.executor(
    name="request_in_process",
    config_schema=dg.in_process_executor.config_schema,
    requirements=dg.in_process_executor.get_requirements,
)
def request_executor(init_context: dg.InitExecutorContext) -> dg.Executor:
    """Steps in the run's own process (no subprocess per step), request status written."""
    return RequestStatusExecutor(dg.in_process_executor.executor_creation_fn(init_context))


# ------------------------------------------------------------------------------- targets
@dataclass(frozen=True)
class RequestTargets:
    """What the partition key of a partitioned request job names (a data source, a model).

    ``existing`` gives the ids that exist now: a request for another one is refused.
    With ``add_all`` every existing id gets its partition on each tick of the request
    sensor, requested or not (data sources: the Dagster UI lists each one).
    """

    partitions_def: dg.DynamicPartitionsDefinition
    existing: Callable[[Database], Iterable[int]]
    add_all: bool = False
