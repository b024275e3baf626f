"""Authorization: every view that touches a project goes through ``authorize``.

Project-scoped blueprints (``project_scoped``) keep the URL's project in ``g``: ``requires``
authorizes once and puts the ``ProjectAccess`` in ``g.access``; ``current_project()``
loads the project once per request, and every template of the blueprint gets
``project``, ``access`` and ``P`` without each view passing them. ``url_for`` inside
the blueprint fills ``project_id`` from the current request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from flask import Blueprint, abort, current_app, g
from flask_login import current_user, login_required
from sqlalchemy import select

from dra.models import Project, ProjectMember
from dra.permissions import Permission, role_allows
from webapp.database import db_session


@dataclass(frozen=True)
class ProjectAccess:
    project_id: int
    role: str

    def can(self, permission: Permission | str) -> bool:
        return role_allows(self.role, permission)


def project_role(project_id: int) -> str | None:
    """The signed-in user's role in the project, or None."""
    if not current_user.is_authenticated:
        return None
    return db_session().scalar(
        select(ProjectMember.role).where(
            ProjectMember.project_id == project_id, ProjectMember.user_id == current_user.id
        )
    )


def authorize(project_id: int, permission: Permission | str) -> ProjectAccess:
    """Allow, or abort: 404 for non-members (the project's existence stays hidden), 403 else."""
    role = project_role(project_id)
    if role is None:
        abort(404)
    if not role_allows(role, permission):
        abort(403, description="Your role in this project does not allow this.")
    return ProjectAccess(project_id=project_id, role=role)


def requires(permission: Permission | str) -> Callable:
    """Decorator for views with a ``project_id`` URL argument; passes ``access``."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            access = authorize(kwargs["project_id"], permission)
            g.access = access
            return view(*args, access=access, **kwargs)

        wrapped.required_permission = str(permission)
        return wrapped

    return decorator


def platform_admin_required(view: Callable) -> Callable:
    """Decorator for admin pages: platform admins only (403 for other users)."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_platform_admin:
            abort(403, description="This page is for platform administrators.")
        return view(*args, **kwargs)

    wrapped.required_permission = "platform:admin"
    return wrapped


def current_project() -> Project:
    """The authorized project of this request, loaded once (after ``requires``)."""
    project = g.get("project")
    if project is None:
        access: ProjectAccess | None = g.get("access")
        if access is None:
            abort(404)
        from dra.projects.projects import get_project

        project = g.project = get_project(db_session(), access.project_id)
    return project


def project_scoped(bp: Blueprint) -> Blueprint:
    """Register the URL value preprocessor, the URL defaults and the template context of
    a blueprint whose routes sit under ``/projects/<int:project_id>/``."""

    @bp.url_value_preprocessor
    def _pull_project_id(_endpoint: str | None, values: dict | None) -> None:
        g.project_id = (values or {}).get("project_id")

    @bp.url_defaults
    def _add_project_id(endpoint: str, values: dict) -> None:
        if (
            "project_id" not in values
            and g.get("project_id") is not None
            and current_app.url_map.is_endpoint_expecting(endpoint, "project_id")
        ):
            values["project_id"] = g.project_id

    @bp.context_processor
    def _project_context() -> dict:
        if g.get("access") is None:
            return {"P": Permission}
        return {"project": current_project(), "access": g.access, "P": Permission}

    return bp
