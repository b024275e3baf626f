"""Platform-wide settings and the private-beta allowlist."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from dra.models.base import Base, TimestampMixin
from dra.models.columns import EMAIL_LENGTH, CreatedAtMixin, IdMixin, by_user

DEFAULT_PLATFORM_SETTINGS: dict[str, Any] = {
    "registration_open": True,
    "private_beta": False,
    "maintenance_mode": False,
    "maintenance_message": "",
    "maintenance_retry_minutes": 30,
}
"""The first two are seeded by migration ``0001_app_schema``; a missing key reads as its
value here. ``dra.admin.platform.SETTINGS`` declares each one's kind and label."""


class PlatformSetting(TimestampMixin, Base):
    """One global setting (``registration_open``, ``private_beta``, ...) as JSON."""

    __tablename__ = "platform_settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONB, nullable=False)
    updated_by: Mapped[int | None] = by_user()


class BetaAllowlistEntry(IdMixin, CreatedAtMixin, Base):
    """An email allowed to register while ``private_beta`` is on (case-insensitive)."""

    __tablename__ = "beta_allowlist"
    __table_args__ = (
        Index("uq_beta_allowlist_lower_email", func.lower(text("email")), unique=True),
    )

    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH), nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    added_by: Mapped[int | None] = by_user()
