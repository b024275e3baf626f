"""Accounts: users, their one-time tokens, API tokens and cancellation requests.

``users``, ``email_verification_tokens`` and ``password_reset_tokens`` have no
row-level security: they are read before anyone is signed in (sign-in by email,
verify-email and reset-password links). Every token is stored as a hash (SHA-256 hex
of the secret sent to the user), never in clear.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Index, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dra.models.base import Base, TimestampMixin
from dra.models.columns import (
    EMAIL_LENGTH,
    CreatedAtMixin,
    IdMixin,
    by_user,
    choice,
    flag,
    foreign_key,
    one_of,
    timestamp,
)

if TYPE_CHECKING:
    from dra.models.billing import UserSubscription
    from dra.models.notifications import EmailPreferences
    from dra.models.projects import ProjectMember

TOKEN_HASH_LENGTH = 64
"""Length of a SHA-256 hex digest, the form every stored token takes."""


class User(IdMixin, TimestampMixin, Base):
    """A person who can sign in, with a password, with Google, or both.

    Emails are unique regardless of case (unique index on ``lower(email)``); look
    users up with ``func.lower(User.email) == email.lower()``.
    """

    __tablename__ = "users"
    __table_args__ = (
        Index("uq_users_lower_email", func.lower(text("email")), unique=True),
        CheckConstraint("email LIKE '%_@_%'", name="email_shape"),
    )

    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH), nullable=False)
    password_hash: Mapped[str | None] = mapped_column(
        String(255), doc="argon2 hash; NULL for accounts that only sign in with Google"
    )
    google_sub: Mapped[str | None] = mapped_column(String(255), unique=True)
    first_name: Mapped[str] = mapped_column(String(100), nullable=False, server_default="")
    last_name: Mapped[str] = mapped_column(String(100), nullable=False, server_default="")
    is_verified: Mapped[bool] = flag(False)
    is_platform_admin: Mapped[bool] = flag(False)
    is_db_admin: Mapped[bool] = flag(False)
    suspended_at: Mapped[datetime | None] = timestamp()
    unsubscribed_at: Mapped[datetime | None] = timestamp()
    last_login_at: Mapped[datetime | None] = timestamp()

    memberships: Mapped[list[ProjectMember]] = relationship(
        back_populates="user", foreign_keys="ProjectMember.user_id", passive_deletes=True
    )
    subscription: Mapped[UserSubscription | None] = relationship(
        back_populates="user", passive_deletes=True
    )
    email_preferences: Mapped[EmailPreferences | None] = relationship(passive_deletes=True)

    @property
    def full_name(self) -> str:
        """First and last name joined, or the email when both are empty."""
        return f"{self.first_name} {self.last_name}".strip() or self.email


class _OneTimeToken(IdMixin, CreatedAtMixin):
    """A hashed single-use secret with an expiry, mailed to a user."""

    user_id: Mapped[int] = foreign_key("users.id", ondelete="CASCADE")
    token_hash: Mapped[str] = mapped_column(String(TOKEN_HASH_LENGTH), nullable=False, unique=True)
    expires_at: Mapped[datetime] = timestamp(nullable=False)
    used_at: Mapped[datetime | None] = timestamp()


class EmailVerificationToken(_OneTimeToken, Base):
    """The code in a verify-email link (UC-AUTH-04/05)."""

    __tablename__ = "email_verification_tokens"


class PasswordResetToken(_OneTimeToken, Base):
    """The code in a reset-password link (UC-AUTH-06)."""

    __tablename__ = "password_reset_tokens"


class ApiToken(IdMixin, CreatedAtMixin, Base):
    """A personal API token; ``prefix`` (first characters, shown in the UI) helps users
    tell tokens apart, ``token_hash`` is what requests are checked against."""

    __tablename__ = "api_tokens"

    user_id: Mapped[int] = foreign_key("users.id", ondelete="CASCADE")
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(TOKEN_HASH_LENGTH), nullable=False, unique=True)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    expires_at: Mapped[datetime | None] = timestamp()
    last_used_at: Mapped[datetime | None] = timestamp()
    revoked_at: Mapped[datetime | None] = timestamp()


class CancellationStatus(StrEnum):
    PENDING = "pending"
    WITHDRAWN = "withdrawn"
    APPROVED = "approved"
    REJECTED = "rejected"


class AccountCancellationRequest(IdMixin, TimestampMixin, Base):
    """A user's request to close their account, reviewed by a platform admin
    (UC-ACC-10, UC-ADM-12). At most one pending request per user."""

    __tablename__ = "account_cancellation_requests"
    __table_args__ = (
        one_of("status", CancellationStatus),
        Index(
            "uq_account_cancellation_requests_pending_user",
            "user_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
    )

    user_id: Mapped[int] = foreign_key("users.id", ondelete="CASCADE")
    reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = choice(CancellationStatus.PENDING)
    processed_by: Mapped[int | None] = by_user()
    processed_at: Mapped[datetime | None] = timestamp()
    admin_note: Mapped[str | None] = mapped_column(Text)
    deletion_scheduled_for: Mapped[datetime | None] = timestamp(
        doc="when an approved request's account is due to be deleted"
    )
