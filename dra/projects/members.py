"""Project members: list, change a role, remove (UC-PROJ-08..10).

Rules kept here: the project's owner (``projects.owner_id``) is never removed or
demoted; only an owner grants or takes away the owner role; a project always keeps
at least one owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dra.errors import DraError, project_row
from dra.models import Project, ProjectMember, User
from dra.models.projects import ProjectRole
from dra.permissions import ROLES
from dra.projects.errors import ProjectError

ROLE_CHOICES = tuple(reversed(ROLES))  # viewer, editor, admin, owner


@dataclass(frozen=True)
class MemberRow:
    id: int
    user_id: int
    name: str
    email: str
    role: str
    is_project_owner: bool
    joined_at: datetime

    @classmethod
    def of(cls, member: ProjectMember, user: User, owner_id: int | None) -> MemberRow:
        return cls(
            id=member.id,
            user_id=user.id,
            name=user.full_name,
            email=user.email,
            role=member.role,
            is_project_owner=user.id == owner_id,
            joined_at=member.created_at,
        )


def project_owner(session: Session, project_id: int, missing: DraError | None = None) -> int | None:
    """The id of the project's owner (``projects.owner_id``): never removed nor demoted.

    When ``session`` sees no such project, ``missing`` is raised (each caller passes the
    error it answers with), or None is returned when no error is given."""
    owner = session.scalar(select(Project.owner_id).where(Project.id == project_id))
    if owner is None and missing is not None:
        raise missing
    return owner


def list_members(session: Session, project_id: int) -> list[MemberRow]:
    """Members with their roles, owners first (UC-PROJ-08)."""
    owner_id = project_owner(session, project_id)
    order = {role: i for i, role in enumerate(ROLES)}
    rows = session.execute(
        select(ProjectMember, User)
        .join(User, User.id == ProjectMember.user_id)
        .where(ProjectMember.project_id == project_id)
    ).all()
    members = [MemberRow.of(m, u, owner_id) for m, u in rows]
    return sorted(members, key=lambda m: (order.get(m.role, 99), m.name.lower()))


def clean_role(raw: str | None, choices: tuple[str, ...] = ROLE_CHOICES) -> str:
    """The role named in a form, one of ``choices`` (every role by default)."""
    role = (raw or "").strip().lower()
    if role not in choices:
        raise ProjectError(
            f"Invalid role. Must be one of: {', '.join(choices)}.", status=400, field="role"
        )
    return role


def _member(session: Session, project_id: int, member_id: int) -> ProjectMember:
    missing = ProjectError("Member not found.", status=404)
    return project_row(session, ProjectMember, project_id, member_id, missing)


def _owner_count(session: Session, project_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(ProjectMember)
            .where(ProjectMember.project_id == project_id, ProjectMember.role == ProjectRole.OWNER)
        )
        or 0
    )


def _guard_owner_change(session: Session, member: ProjectMember, actor_role: str) -> None:
    """Refuse touching the project owner, or an owner unless the actor is one."""
    if member.user_id == project_owner(session, member.project_id):
        raise ProjectError("Cannot remove or demote the project owner.", status=400)
    if member.role == ProjectRole.OWNER:
        if actor_role != ProjectRole.OWNER:
            raise ProjectError("Only an owner can change another owner.", status=403)
        if _owner_count(session, member.project_id) <= 1:
            raise ProjectError("A project must keep at least one owner.", status=400)


def change_role(
    session: Session, project_id: int, member_id: int, new_role: str | None, *, actor_role: str
) -> MemberRow:
    """Give a member another role (UC-PROJ-10); effective on the member's next request."""
    role = clean_role(new_role)
    member = _member(session, project_id, member_id)
    if role == member.role:
        return _row(session, member)
    if role == ProjectRole.OWNER and actor_role != ProjectRole.OWNER:
        raise ProjectError("Only an owner can make someone an owner.", status=403, field="role")
    _guard_owner_change(session, member, actor_role)
    member.role = role
    session.flush()
    return _row(session, member)


def remove_member(
    session: Session, project_id: int, member_id: int, *, actor_role: str
) -> MemberRow:
    """Remove a member (UC-PROJ-09); the project owner cannot be removed."""
    member = _member(session, project_id, member_id)
    if member.user_id == project_owner(session, project_id):
        raise ProjectError("Cannot remove the project owner.", status=400)
    _guard_owner_change(session, member, actor_role)
    row = _row(session, member)
    session.delete(member)
    session.flush()
    return row


def _row(session: Session, member: ProjectMember) -> MemberRow:
    user = session.get(User, member.user_id)
    return MemberRow.of(member, user, project_owner(session, member.project_id))
