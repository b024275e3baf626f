"""The web-to-pipeline queue (``app.pipeline_requests``).

The web app records a request and answers at once; a Dagster sensor launches a run for
it (request id = run key); the run and the run-status sensors write the outcome back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dra.db import Database
from dra.models import PipelineRequest


@dataclass(frozen=True)
class JobRoute:
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


def mark_started(database: Database, request_id: int, run_id: str) -> None:
    """The request's run has started (called by a run-status sensor)."""
    with database.system_session() as s:
        s.execute(
            update(PipelineRequest)
            .where(PipelineRequest.id == request_id, PipelineRequest.status == "queued")
            .values(status="running", started_at=datetime.now(UTC), dagster_run_id=run_id)
        )


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
    if run_id is not None:
        values["dagster_run_id"] = run_id
    with database.system_session() as s:
        s.execute(update(PipelineRequest).where(PipelineRequest.id == request_id).values(**values))


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
    if run_id is not None:
        values["dagster_run_id"] = run_id
    with database.system_session() as s:
        s.execute(
            update(PipelineRequest)
            .where(PipelineRequest.id == request_id, PipelineRequest.status.in_(OPEN_STATUSES))
            .values(**values)
        )
