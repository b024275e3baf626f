"""What the page after sign-in shows one user: their projects, recent dashboards, the
pipeline work of their projects that is under way or failed lately, unread notifications.

Every query is limited to the projects the user owns or belongs to (a platform admin
sees their own projects here, not everyone's); row-level security backs that up in the
web session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from dra.accounts.notifications import unread_count
from dra.models import (
    AttributionReport,
    Dashboard,
    DashboardWidget,
    DataModel,
    DataSource,
    Notification,
    PipelineRequest,
    Project,
    ProjectMember,
)
from dra.projects.projects import ProjectSummary, list_projects

RECENT_DASHBOARDS = 6
RECENT_REQUESTS = 10
UNREAD_SHOWN = 5
FAILED_WITHIN = timedelta(days=7)
"""Failed pipeline requests stay on the home page this long."""

REQUEST_LABELS = {
    "ingest_source": "Ingestion",
    "refresh_model": "Model build",
    "quality_report": "Quality check",
    "quality_clean": "Cleaning",
    "attribution_report": "Attribution report",
}
MODEL_KINDS = ("refresh_model", "quality_report", "quality_clean")


@dataclass(frozen=True)
class RecentDashboard:
    id: int
    project_id: int
    project_name: str
    name: str
    widgets: int
    updated_at: datetime


@dataclass(frozen=True)
class PipelineActivity:
    """A queued, running or recently failed request of one of the user's projects."""

    id: int
    kind: str
    label: str
    project_id: int
    project_name: str
    target_id: int | None
    target_name: str | None
    status: str
    progress: int
    error: str | None
    created_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True)
class HomePage:
    projects: list[ProjectSummary]
    dashboards: list[RecentDashboard] = field(default_factory=list)
    activity: list[PipelineActivity] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    unread: int = 0


def my_project_ids(user_id: int) -> Select:
    """Ids of the projects ``user_id`` owns or is a member of."""
    member = select(ProjectMember.project_id).where(ProjectMember.user_id == user_id)
    return select(Project.id).where(or_(Project.owner_id == user_id, Project.id.in_(member)))


def recent_dashboards(
    session: Session, user_id: int, limit: int = RECENT_DASHBOARDS
) -> list[RecentDashboard]:
    """The user's projects' dashboards, last updated first."""
    widgets = (
        select(func.count())
        .where(DashboardWidget.dashboard_id == Dashboard.id)
        .correlate(Dashboard)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Dashboard, Project.name, widgets)
        .join(Project, Project.id == Dashboard.project_id)
        .where(Dashboard.project_id.in_(my_project_ids(user_id)))
        .order_by(Dashboard.updated_at.desc(), Dashboard.id.desc())
        .limit(limit)
    ).all()
    return [
        RecentDashboard(d.id, d.project_id, project, d.name, int(count), d.updated_at)
        for d, project, count in rows
    ]


def pipeline_activity(
    session: Session,
    user_id: int,
    *,
    now: datetime | None = None,
    limit: int = RECENT_REQUESTS,
) -> list[PipelineActivity]:
    """Requests of the user's projects that are queued or running, or that failed within
    FAILED_WITHIN; newest first, each with the name of what it is about."""
    since = (now or datetime.now(UTC)) - FAILED_WITHIN
    kind, target = PipelineRequest.kind, PipelineRequest.target_id
    rows = session.execute(
        select(
            PipelineRequest,
            Project.name,
            func.coalesce(DataSource.name, DataModel.name, AttributionReport.name),
        )
        .join(Project, Project.id == PipelineRequest.project_id)
        .outerjoin(DataSource, and_(kind == "ingest_source", DataSource.id == target))
        .outerjoin(DataModel, and_(kind.in_(MODEL_KINDS), DataModel.id == target))
        .outerjoin(
            AttributionReport,
            and_(kind == "attribution_report", AttributionReport.id == target),
        )
        .where(
            PipelineRequest.project_id.in_(my_project_ids(user_id)),
            or_(
                PipelineRequest.status.in_(("queued", "running")),
                and_(
                    PipelineRequest.status == "failed",
                    func.coalesce(PipelineRequest.finished_at, PipelineRequest.created_at) >= since,
                ),
            ),
        )
        .order_by(PipelineRequest.created_at.desc(), PipelineRequest.id.desc())
        .limit(limit)
    ).all()
    return [
        PipelineActivity(
            id=r.id,
            kind=r.kind,
            label=REQUEST_LABELS.get(r.kind, r.kind.replace("_", " ").capitalize()),
            project_id=int(r.project_id),
            project_name=project,
            target_id=r.target_id,
            target_name=name,
            status=r.status,
            progress=r.progress,
            error=r.error,
            created_at=r.created_at,
            finished_at=r.finished_at,
        )
        for r, project, name in rows
    ]


def unread_notifications(
    session: Session, user_id: int, limit: int = UNREAD_SHOWN
) -> list[Notification]:
    """The user's unread notifications, newest first."""
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def home_page(session: Session, user_id: int, *, now: datetime | None = None) -> HomePage:
    """Everything the home page shows ``user_id``."""
    return HomePage(
        projects=list_projects(session, user_id),
        dashboards=recent_dashboards(session, user_id),
        activity=pipeline_activity(session, user_id, now=now),
        notifications=unread_notifications(session, user_id),
        unread=unread_count(session, user_id),
    )
