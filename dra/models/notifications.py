"""In-app notifications, email preferences and the outgoing email queue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from dra.models.base import Base, TimestampMixin
from dra.models.columns import (
    EMAIL_LENGTH,
    CreatedAtMixin,
    IdMixin,
    flag,
    foreign_key,
    key_part,
    timestamp,
)


class Notification(IdMixin, CreatedAtMixin, Base):
    """A message in a user's notification panel; unread while ``read_at`` is NULL.

    Row-level security shows users only their own notifications, but lets any
    signed-in session create one for another user (an invitation, an admin alert).
    Such an insert must not use RETURNING (the new row is not readable by its
    author): use a Core ``insert()`` or a system session, not ``session.add``.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        Index(
            "ix_notifications_user_id_read_at_created_at",
            "user_id",
            "read_at",
            text("created_at DESC"),
        ),
    )

    user_id: Mapped[int] = foreign_key("users.id", ondelete="CASCADE", index=False)
    type: Mapped[str] = mapped_column(String(64), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    link: Mapped[str | None] = mapped_column(Text)
    read_at: Mapped[datetime | None] = timestamp()


class EmailPreferences(TimestampMixin, Base):
    """Which optional emails a user receives (security mail is always sent)."""

    __tablename__ = "email_preferences"

    user_id: Mapped[int] = key_part("users.id")
    marketing: Mapped[bool] = flag(True)
    product_updates: Mapped[bool] = flag(True)
    notifications: Mapped[bool] = flag(True)


class EmailOutbox(IdMixin, CreatedAtMixin, Base):
    """Every email the platform sends. Rows stay unsent (``sent_at`` NULL) when no
    SMTP server is configured, which also makes them readable in development and
    tests."""

    __tablename__ = "email_outbox"
    __table_args__ = (
        Index(
            "ix_email_outbox_unsent",
            "created_at",
            postgresql_where=text("sent_at IS NULL"),
        ),
    )

    to_address: Mapped[str] = mapped_column(String(EMAIL_LENGTH), nullable=False, index=True)
    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    body_text: Mapped[str] = mapped_column(Text, nullable=False)
    body_html: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(
        String(64), doc="verification, password_reset, invitation, notification, marketing..."
    )
    user_id: Mapped[int | None] = foreign_key("users.id", ondelete="SET NULL", nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    sent_at: Mapped[datetime | None] = timestamp()
    error: Mapped[str | None] = mapped_column(Text)
