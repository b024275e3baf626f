"""Create, list, view and delete projects (UC-PROJ-01..04)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from psycopg import sql
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from dra.billing.limits import Limit, LimitExceeded, check_limit
from dra.db import Database
from dra.errors import one_line_text
from dra.models import Dashboard, DataModel, DataSource, Project, ProjectMember, User
from dra.models.projects import ProjectRole
from dra.project_roles import drop_project_role
from dra.projects.errors import ProjectError

NAME_MAX = 200
DESCRIPTION_MAX = 2000


@dataclass(frozen=True)
class ProjectSummary:
    """A project as listed for one user, with that user's role."""

    id: int
    name: str
    description: str | None
    role: str
    owner_name: str
    created_at: datetime


@dataclass(frozen=True)
class ProjectDetail:
    """One project with counts of what it holds."""

    project: Project
    owner_name: str
    members: int
    data_sources: int
    data_models: int
    dashboards: int


def clean_name(raw: str | None) -> str:
    """The trimmed project name, or ProjectError naming the ``name`` field."""
    return one_line_text(
        raw,
        missing=ProjectError("Project name is required.", status=400, field="name"),
        too_long=ProjectError(
            f"Project name must be at most {NAME_MAX} characters.", status=400, field="name"
        ),
        limit=NAME_MAX,
    )


def clean_description(raw: str | None) -> str | None:
    text = (raw or "").strip()
    if len(text) > DESCRIPTION_MAX:
        raise ProjectError(
            f"Description must be at most {DESCRIPTION_MAX} characters.",
            status=400,
            field="description",
        )
    return text or None


def create_project(
    session: Session, owner_id: int, name: str | None, description: str | None = None
) -> Project:
    """A new project owned by ``owner_id``, who becomes its owner member (BR-PROJ-01..03)."""
    try:
        check_limit(session, owner_id, Limit.PROJECTS)
    except LimitExceeded as exc:
        raise ProjectError(exc.message, status=403) from None
    name = clean_name(name)
    description = clean_description(description)
    taken = session.scalar(
        select(Project.id).where(
            Project.owner_id == owner_id, func.lower(Project.name) == name.lower()
        )
    )
    if taken is not None:
        raise ProjectError(f"You already have a project named “{name}”.", status=409, field="name")
    project = Project(owner_id=owner_id, name=name, description=description)
    session.add(project)
    session.flush()
    session.add(
        ProjectMember(
            project_id=project.id, user_id=owner_id, role=ProjectRole.OWNER, added_by=owner_id
        )
    )
    session.flush()
    return project


def list_projects(session: Session, user_id: int) -> list[ProjectSummary]:
    """Projects the user owns or is a member of, newest first (UC-PROJ-02)."""
    role = func.coalesce(ProjectMember.role, ProjectRole.OWNER.value)
    rows = session.execute(
        select(Project, role, User)
        .join(User, User.id == Project.owner_id)
        .outerjoin(
            ProjectMember,
            (ProjectMember.project_id == Project.id) & (ProjectMember.user_id == user_id),
        )
        .where((Project.owner_id == user_id) | (ProjectMember.user_id == user_id))
        .order_by(Project.created_at.desc(), Project.id.desc())
    ).all()
    return [
        ProjectSummary(
            id=p.id,
            name=p.name,
            description=p.description,
            role=r,
            owner_name=owner.full_name,
            created_at=p.created_at,
        )
        for p, r, owner in rows
    ]


def get_project(session: Session, project_id: int) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise ProjectError("Project not found.", status=404)
    return project


def project_detail(session: Session, project_id: int) -> ProjectDetail:
    """The project and its counts of members, sources, models and dashboards (UC-PROJ-04)."""
    project = get_project(session, project_id)

    def count(model) -> int:
        return int(
            session.scalar(
                select(func.count()).select_from(model).where(model.project_id == project_id)
            )
            or 0
        )

    owner = session.get(User, project.owner_id)
    return ProjectDetail(
        project=project,
        owner_name=owner.full_name if owner else "—",
        members=count(ProjectMember),
        data_sources=count(DataSource),
        data_models=count(DataModel),
        dashboards=count(Dashboard),
    )


def delete_project(
    session: Session, project_id: int, confirmation: str | None, *, actor_id: int
) -> str:
    """Delete the project and everything in it (cascade); returns its name (UC-PROJ-03).

    Only the project's owner (its creator, ``owner_id``) may, not co-owners (BR-PROJ-04);
    ``confirmation`` must repeat the project's name exactly, so a slip cannot delete it.
    """
    project = get_project(session, project_id)
    if project.owner_id != actor_id:
        raise ProjectError(
            "Only the project owner who created it can delete this project.", status=403
        )
    if (confirmation or "").strip() != project.name:
        raise ProjectError(
            "Type the project's name exactly to confirm the deletion.",
            status=400,
            field="confirm_name",
        )
    name = project.name
    session.delete(project)  # foreign keys cascade to sources, models, dashboards, members
    session.flush()
    return name


def project_schemas(database: Database, project_id: int) -> list[str]:
    """The project's data schemas: ``<layer>_p<id>`` (raw_p7, models_p7, clean_p7...)."""
    with database.system_engine.connect() as conn:
        return list(
            conn.execute(
                text("select nspname from pg_namespace where nspname ~ :pattern order by 1"),
                {"pattern": f"^[a-z]+_p{int(project_id)}$"},
            ).scalars()
        )


def remove_project_data(database: Database, data_dir: Path, project_id: int) -> list[str]:
    """After a project's rows are deleted: drop its data schemas, its database role
    (``dra.project_roles``), uploads and Soda contracts.

    Runs on the system engine on purpose: the schemas belong to the pipelines' owner
    role, which the web app's ``dra_app`` role cannot drop. Returns the dropped schemas.
    """
    schemas = project_schemas(database, project_id)
    with database.system_connection() as conn:
        with conn.cursor() as cur:
            for schema in schemas:
                cur.execute(
                    sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema))
                )
            drop_project_role(cur, project_id)
        conn.commit()
    for parent in (data_dir / "uploads", data_dir / "quality" / "contracts"):
        root = parent.resolve()
        folder = (root / f"p{int(project_id)}").resolve()
        if folder.is_relative_to(root) and folder.is_dir():
            shutil.rmtree(folder)
    return schemas
