"""The web-to-pipeline queue (``app.pipeline_requests``).

The web app records a request and answers at once; a Dagster sensor launches a run for
it (request id = run key). The run writes its status back as it goes: running with the
step it is on (``mark_started``), then succeeded or failed (``mark_finished``); the
run-status sensors do the same for a run that dies before it could.

``JOB_FOR_KIND`` is the one declaration of the request kinds and the jobs serving them:
the web app enqueues only these kinds, the request sensor launches these jobs, and
tests/integration/test_definitions.py checks each job exists with that partitioning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from dra.db import Database
from dra.models import PipelineRequest


@dataclass(frozen=True)
class JobRoute:
    """The Dagster job serving a kind; partitioned: the request's target id is the partition."""

    name: str
    partitioned: bool


# Request kind -> the Dagster job that serves it. Later features add their kinds here.
JOB_FOR_KIND: dict[str, JobRoute] = {
    "ingest_source": JobRoute("ingest_source_job", partitioned=True),
    "backup": JobRoute("backup_job", partitioned=False),
    "restore": JobRoute("restore_job", partitioned=False),
    "attribution_report": JobRoute("attribution_report_job", partitioned=False),
    "refresh_model": JobRoute("refresh_model_job", partitioned=True),
    "quality_report": JobRoute("quality_report_job", partitioned=True),
    "quality_clean": JobRoute("clean_model_job", partitioned=True),
}

OPEN_STATUSES = ("queued", "running")


def enqueue(
    session: Session,
    kind: str,
    *,
    target_id: int | None = None,
    project_id: int | None = None,
    requested_by: int | None = None,
    payload: dict[str, Any] | None = None,
) -> PipelineRequest:
    """Record a request (committed by the caller's transaction)."""
    if kind not in JOB_FOR_KIND:
        raise ValueError(f"unknown pipeline request kind {kind!r}")
    request = PipelineRequest(
        kind=kind,
        target_id=target_id,
        project_id=project_id,
        requested_by=requested_by,
        payload=payload or {},
        status="queued",
    )
    session.add(request)
    session.flush()
    return request


def open_request(session: Session, kind: str, target_id: int | None) -> PipelineRequest | None:
    """The queued or running request for the same work, if any (to avoid duplicates)."""
    return session.scalar(
        select(PipelineRequest)
        .where(
            PipelineRequest.kind == kind,
            PipelineRequest.target_id == target_id,
            PipelineRequest.status.in_(OPEN_STATUSES),
        )
        .order_by(PipelineRequest.id.desc())
        .limit(1)
    )


def list_queued(database: Database, limit: int = 50) -> list[PipelineRequest]:
    with database.system_session() as s:
        return list(
            s.scalars(
                select(PipelineRequest)
                .where(PipelineRequest.status == "queued")
                .order_by(PipelineRequest.id)
                .limit(limit)
            )
        )


STEP_LABELS = {
    "raw_source_tables": "loading the tables",
    "data_model_tables": "building the table",
    "data_model_tables_quality_profile": "profiling the table",
    "data_model_tables_soda_contract": "verifying the Soda contract",
    "check_data_model": "running the quality checks",
    "cleaned_model_tables": "applying the cleaning rules",
    "dbt_models": "building the dbt models",
    "attribution_report": "reading the attribution marts",
    "database_backup": "backing up",
    "restore_database": "restoring",
}
"""What a run says it is doing, by the Dagster step it is on (another step: its key)."""


def _update(
    database: Database,
    request_id: int,
    values: dict[str, Any],
    *,
    run_id: str | None = None,
    open_only: bool = False,
) -> None:
    """Write ``values`` (and ``run_id``, when given) on the request; with ``open_only``
    only while it is still queued or running (a finished request keeps its outcome)."""
    if run_id is not None:
        values["dagster_run_id"] = run_id
    query = update(PipelineRequest).where(PipelineRequest.id == request_id)
    if open_only:
        query = query.where(PipelineRequest.status.in_(OPEN_STATUSES))
    with database.system_session() as s:
        s.execute(query.values(**values))


def mark_started(database: Database, request_id: int, run_id: str, step: str | None = None) -> None:
    """The request's run is running, on Dagster step ``step`` when given.

    Written by the run itself when each step starts (orchestration/requests.py), and by
    the run-status sensor for a run that died before its first step. The first call
    sets ``started_at``; each one with a step puts what the step does, in words, in
    ``message`` (what the pages show: "running: building the table").
    """
    values: dict[str, Any] = {
        "status": "running",
        "started_at": func.coalesce(PipelineRequest.started_at, func.now()),
        "dagster_run_id": run_id,
    }
    if step is not None:
        values["message"] = STEP_LABELS.get(step, step)
    _update(database, request_id, values, open_only=True)


def latest_request(session: Session, kind: str, target_id: int) -> PipelineRequest | None:
    """The newest request of ``kind`` for ``target_id`` (open or finished), if any."""
    return session.scalar(
        select(PipelineRequest)
        .where(PipelineRequest.kind == kind, PipelineRequest.target_id == target_id)
        .order_by(PipelineRequest.id.desc())
        .limit(1)
    )


def current_step(request: PipelineRequest | None) -> str | None:
    """What a running request's run is doing, in words ("building the table"), else None."""
    if request is None or request.status != "running" or not request.message:
        return None
    return request.message


def report_progress(
    database: Database,
    request_id: int,
    progress: int,
    message: str | None = None,
    run_id: str | None = None,
) -> None:
    values: dict[str, Any] = {"progress": max(0, min(100, progress))}
    if message is not None:
        values["message"] = message
    _update(database, request_id, values, run_id=run_id)


def mark_finished(
    database: Database,
    request_id: int,
    *,
    ok: bool,
    error: str | None = None,
    run_id: str | None = None,
) -> None:
    values: dict[str, Any] = {
        "status": "succeeded" if ok else "failed",
        "finished_at": datetime.now(UTC),
        "error": None if ok else (error or "failed"),
    }
    if ok:
        values["progress"] = 100
    _update(database, request_id, values, run_id=run_id, open_only=True)
