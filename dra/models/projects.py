"""Projects, their members and pending invitations.

A project is the tenant boundary: every project-scoped table references
``projects.id`` with ``ON DELETE CASCADE``, and row-level security (migration
``0002_roles_rls``) shows a ``dra_app`` session only the projects it owns or is a
member of.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Index, String, Text, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dra.models.base import Base, TimestampMixin
from dra.models.columns import (
    EMAIL_LENGTH,
    IdMixin,
    by_user,
    choice,
    flag,
    foreign_key,
    one_of,
    timestamp,
)
from dra.models.users import TOKEN_HASH_LENGTH

if TYPE_CHECKING:
    from dra.models.dashboards import Dashboard
    from dra.models.data_models import DataModel
    from dra.models.sources import DataSource
    from dra.models.users import User


class ProjectRole(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"


class InvitableRole(StrEnum):
    """Roles an invitation may grant (ownership is never handed out by invitation)."""

    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Project(IdMixin, TimestampMixin, Base):
    """A workspace of data sources, models and dashboards, owned by one user.

    The owner also gets a ``project_members`` row with role ``owner``; row-level
    security treats ``owner_id`` alone as enough, so the project and its owner
    membership can be inserted in either order in one transaction.
    """

    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("owner_id", "name"),)

    owner_id: Mapped[int] = foreign_key("users.id", ondelete="CASCADE", index=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    attribution_tab_visible: Mapped[bool] = flag(True)
    ai_sample_values: Mapped[bool] = flag(False)
    """The AI data modeler may see a few values of low-cardinality text columns (owners set it)."""

    owner: Mapped[User] = relationship()
    members: Mapped[list[ProjectMember]] = relationship(
        back_populates="project", cascade="all, delete-orphan", passive_deletes=True
    )
    invitations: Mapped[list[ProjectInvitation]] = relationship(
        back_populates="project", cascade="all, delete-orphan", passive_deletes=True
    )
    data_sources: Mapped[list[DataSource]] = relationship(
        back_populates="project", cascade="all, delete-orphan", passive_deletes=True
    )
    data_models: Mapped[list[DataModel]] = relationship(
        back_populates="project", cascade="all, delete-orphan", passive_deletes=True
    )
    dashboards: Mapped[list[Dashboard]] = relationship(
        back_populates="project", cascade="all, delete-orphan", passive_deletes=True
    )


class ProjectMember(IdMixin, TimestampMixin, Base):
    """A user's role in a project (RBAC itself is enforced by the web app)."""

    __tablename__ = "project_members"
    __table_args__ = (UniqueConstraint("project_id", "user_id"), one_of("role", ProjectRole))

    project_id: Mapped[int] = foreign_key("projects.id", ondelete="CASCADE", index=False)
    user_id: Mapped[int] = foreign_key("users.id", ondelete="CASCADE")
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    added_by: Mapped[int | None] = by_user()

    project: Mapped[Project] = relationship(back_populates="members")
    user: Mapped[User] = relationship(back_populates="memberships", foreign_keys=[user_id])


class ProjectInvitation(IdMixin, TimestampMixin, Base):
    """An emailed invitation to join a project (UC-PROJ-05/06/07).

    At most one pending invitation per project and email (case-insensitive). The
    invitee, once signed in with that email, can see the invitation and accept it.
    """

    __tablename__ = "project_invitations"
    __table_args__ = (
        one_of("role", InvitableRole),
        one_of("status", InvitationStatus),
        Index(
            "uq_project_invitations_pending_email",
            "project_id",
            func.lower(text("email")),
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_project_invitations_lower_email", func.lower(text("email"))),
    )

    project_id: Mapped[int] = foreign_key("projects.id", ondelete="CASCADE")
    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(TOKEN_HASH_LENGTH), nullable=False, unique=True)
    status: Mapped[str] = choice(InvitationStatus.PENDING)
    expires_at: Mapped[datetime] = timestamp(nullable=False)
    invited_by: Mapped[int | None] = by_user()
    responded_at: Mapped[datetime | None] = timestamp()

    project: Mapped[Project] = relationship(back_populates="invitations")
