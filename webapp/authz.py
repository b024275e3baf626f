"""Authorization: every view that touches a project goes through ``authorize``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import select

from dra.models import ProjectMember
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
