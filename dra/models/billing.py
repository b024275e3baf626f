"""Subscription tiers with their limits, and each user's subscription."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, Index, Integer, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, MappedColumn, mapped_column, relationship

from dra.models.base import Base, TimestampMixin
from dra.models.columns import IdMixin, at_least, flag, foreign_key, now_timestamp, timestamp

if TYPE_CHECKING:
    from dra.models.users import User

UNLIMITED = -1
"""Value of a tier limit meaning "no limit"."""

TIER_LIMIT_COLUMNS = (
    "max_rows_per_model",
    "max_projects",
    "max_sources_per_project",
    "max_dashboards",
    "max_models_per_source",
    "max_members_per_project",
    "max_ai_generations_per_month",
)


def _limit() -> MappedColumn[int]:
    """A NOT NULL bigint limit column (checked >= -1 in ``__table_args__``)."""
    return mapped_column(BigInteger, nullable=False)


class SubscriptionTier(IdMixin, TimestampMixin, Base):
    """A plan and its limits; each limit is a count, or -1 (``UNLIMITED``).

    ``is_default`` marks the tier given to new users and assumed for users without
    a subscription row (at most one tier is the default).
    """

    __tablename__ = "subscription_tiers"
    __table_args__ = (
        *(at_least(column, UNLIMITED) for column in TIER_LIMIT_COLUMNS),
        at_least("monthly_price", 0),
        Index(
            "uq_subscription_tiers_is_default",
            "is_default",
            unique=True,
            postgresql_where=text("is_default"),
        ),
    )

    name: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    monthly_price: Mapped[Decimal | None] = mapped_column(
        Numeric(10, 2), doc="display price; NULL when not published (contact sales)"
    )
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    is_default: Mapped[bool] = flag(False)
    attribution_enabled: Mapped[bool] = flag(True)
    max_rows_per_model: Mapped[int] = _limit()
    max_projects: Mapped[int] = _limit()
    max_sources_per_project: Mapped[int] = _limit()
    max_dashboards: Mapped[int] = _limit()
    max_models_per_source: Mapped[int] = _limit()
    max_members_per_project: Mapped[int] = _limit()
    max_ai_generations_per_month: Mapped[int] = _limit()

    def allows(self, limit_column: str, current_count: int) -> bool:
        """Whether one more item fits under the limit named ``limit_column``."""
        limit: int = getattr(self, limit_column)
        return limit == UNLIMITED or current_count < limit


class UserSubscription(IdMixin, TimestampMixin, Base):
    """The tier a user is on. A tier with subscribers cannot be deleted (RESTRICT)."""

    __tablename__ = "user_subscriptions"

    user_id: Mapped[int] = foreign_key("users.id", ondelete="CASCADE", index=False, unique=True)
    tier_id: Mapped[int] = foreign_key("subscription_tiers.id", ondelete="RESTRICT")
    started_at: Mapped[datetime] = now_timestamp()
    ends_at: Mapped[datetime | None] = timestamp()
    cancelled_at: Mapped[datetime | None] = timestamp()

    user: Mapped[User] = relationship(back_populates="subscription")
    tier: Mapped[SubscriptionTier] = relationship()
