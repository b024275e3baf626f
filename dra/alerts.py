"""Alerts for administrators, and the notifications that go with them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dra.db import Database
from dra.models import Alert, Notification, PipelineRequest, User
from dra.projects.members import project_owner


def raise_alert(
    session: Session,
    *,
    source: str,
    title: str,
    severity: str = "error",
    details: dict[str, Any] | None = None,
    notify_user_ids: set[int] | None = None,
    link: str | None = None,
) -> Alert:
    """Record an alert and notify every platform admin (plus ``notify_user_ids``)."""
    alert = Alert(source=source, severity=severity, title=title, details=details or {})
    session.add(alert)
    admins = set(session.scalars(select(User.id).where(User.is_platform_admin.is_(True))))
    for user_id in sorted(admins | (notify_user_ids or set())):
        session.add(
            Notification(
                user_id=user_id,
                type=f"alert.{source}",
                title=title,
                message=(details or {}).get("message", title)[:2000],
                link=link,
            )
        )
    session.flush()
    return alert


def record_pipeline_failure(
    database: Database, *, job_name: str, run_id: str, message: str, request_id: int | None = None
) -> None:
    """A failed Dagster run: alert the admins and the owner of the project concerned."""
    with database.system_session() as s:
        owners: set[int] = set()
        if request_id is not None:
            request = s.get(PipelineRequest, request_id)
            if request is not None and request.project_id is not None:
                owner = project_owner(s, request.project_id)
                if owner:
                    owners.add(owner)
        raise_alert(
            s,
            source="pipeline",
            title=f"Pipeline run failed: {job_name}",
            details={"job": job_name, "run_id": run_id, "message": message[:4000]},
            notify_user_ids=owners,
        )
