"""Tier limits, checked before anything they count is created (BR-GLOBAL-04).

Callers: ``check_limit(session, user_id, Limit.PROJECTS)`` raises ``LimitExceeded``
(the web layer answers 403 with ``exc.message``). One place for every limit.

What is added to a project (sources, dashboards, models, members) counts against the
tier of the project's **owner**, whoever of its members adds it: ``check_project_limit``
reads the owner's tier through a system session, since row-level security shows a
subscription only to its own user.

Platform admins (active ones) are exempt: tiers are what the platform sells to its users,
and they must not stop the people who run a self-hosted install (and its demo) from
adding their own team, projects or data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dra.db import Database
from dra.errors import DraError, Forbidden, NotFound
from dra.models import (
    Dashboard,
    DataModel,
    DataSource,
    Project,
    ProjectMember,
    SubscriptionTier,
    User,
    UserSubscription,
)
from dra.models.billing import UNLIMITED
from dra.projects.members import project_owner


class Limit(StrEnum):
    PROJECTS = "max_projects"
    SOURCES_PER_PROJECT = "max_sources_per_project"
    DASHBOARDS = "max_dashboards"
    MODELS_PER_SOURCE = "max_models_per_source"
    MEMBERS_PER_PROJECT = "max_members_per_project"
    AI_GENERATIONS_PER_MONTH = "max_ai_generations_per_month"
    ROWS_PER_MODEL = "max_rows_per_model"


LABELS = {
    Limit.PROJECTS: "projects",
    Limit.SOURCES_PER_PROJECT: "data sources in this project",
    Limit.DASHBOARDS: "dashboards in this project",
    Limit.MODELS_PER_SOURCE: "data models for this data source",
    Limit.MEMBERS_PER_PROJECT: "members in this project",
    Limit.AI_GENERATIONS_PER_MONTH: "AI generations this month",
    Limit.ROWS_PER_MODEL: "rows per data model",
}


class LimitExceeded(Forbidden):
    """One more item would exceed the tier's limit (403, with an upgrade message)."""

    @classmethod
    def of(cls, limit: Limit, maximum: int, tier: str) -> LimitExceeded:
        message = (
            f"Your {tier} plan allows {maximum} {LABELS[limit]}. Upgrade your plan to add more."
        )
        error = cls(message)
        error.limit, error.maximum, error.tier = limit, maximum, tier
        return error


@dataclass(frozen=True)
class Usage:
    limit: Limit
    used: int
    maximum: int  # -1 = unlimited

    @property
    def unlimited(self) -> bool:
        return self.maximum == UNLIMITED

    @property
    def percent(self) -> int:
        if self.unlimited or self.maximum == 0:
            return 0 if self.unlimited else 100
        return min(100, round(100 * self.used / self.maximum))


def tier_for(session: Session, user_id: int) -> SubscriptionTier:
    """The user's tier; users without a subscription are on the default tier."""
    tier = session.scalar(
        select(SubscriptionTier)
        .join(UserSubscription, UserSubscription.tier_id == SubscriptionTier.id)
        .where(UserSubscription.user_id == user_id)
    )
    if tier is None:
        tier = session.scalar(select(SubscriptionTier).where(SubscriptionTier.is_default))
    if tier is None:
        raise LookupError("no default subscription tier is configured")
    return tier


def current_count(
    session: Session,
    user_id: int,
    limit: Limit,
    *,
    project_id: int | None = None,
    data_source_id: int | None = None,
) -> int:
    """How many of what ``limit`` counts exist now (for the owner whose tier applies)."""
    if limit is Limit.PROJECTS:
        q = select(func.count()).select_from(Project).where(Project.owner_id == user_id)
    elif limit is Limit.SOURCES_PER_PROJECT:
        q = select(func.count()).select_from(DataSource).where(DataSource.project_id == project_id)
    elif limit is Limit.DASHBOARDS:
        q = select(func.count()).select_from(Dashboard).where(Dashboard.project_id == project_id)
    elif limit is Limit.MODELS_PER_SOURCE:
        q = (
            select(func.count())
            .select_from(DataModel)
            .where(DataModel.data_source_id == data_source_id)
        )
    elif limit is Limit.MEMBERS_PER_PROJECT:
        q = (
            select(func.count())
            .select_from(ProjectMember)
            .where(ProjectMember.project_id == project_id, ProjectMember.role != "owner")
        )
    elif limit is Limit.AI_GENERATIONS_PER_MONTH:
        from dra.models import AIUsage

        month = datetime.now(UTC).date().replace(day=1)
        q = select(func.coalesce(func.sum(AIUsage.count), 0)).where(
            AIUsage.user_id == user_id, AIUsage.month == month
        )
    else:
        raise ValueError(f"{limit} is not a count limit")
    return int(session.scalar(q) or 0)


def exempt_from_limits(session: Session, user_id: int) -> bool:
    """Whether the user is an active platform admin (``users`` has no row-level security)."""
    return bool(
        session.scalar(
            select(User.id).where(
                User.id == user_id, User.is_platform_admin.is_(True), User.suspended_at.is_(None)
            )
        )
    )


def _judge(limit: Limit, used: int, tier: SubscriptionTier) -> Usage:
    maximum = getattr(tier, limit.value)
    if maximum != UNLIMITED and used >= maximum:
        raise LimitExceeded.of(limit, maximum, tier.name)
    return Usage(limit, used, maximum)


def check_limit(session: Session, user_id: int, limit: Limit, **scope: int | None) -> Usage:
    """Raise LimitExceeded when one more item would exceed the user's tier limit."""
    used = current_count(session, user_id, limit, **scope)
    if exempt_from_limits(session, user_id):
        return Usage(limit, used, UNLIMITED)
    return _judge(limit, used, tier_for(session, user_id))


def check_project_limit(
    session: Session,
    database: Database,
    project_id: int,
    limit: Limit,
    *,
    missing: DraError | None = None,
    **scope: int | None,
) -> Usage:
    """``check_limit`` against the tier of the project's owner (``missing``, by default
    NotFound, when there is no such project).

    The project and what it holds are read in the caller's ``session`` (so what it has
    added and not yet committed counts); only the owner's tier is read through a system
    session, since row-level security shows a subscription only to its own user."""
    owner = project_owner(session, project_id, missing or NotFound("The project was not found."))
    used = current_count(session, owner, limit, project_id=project_id, **scope)
    if exempt_from_limits(session, owner):
        return Usage(limit, used, UNLIMITED)
    with database.system_session() as s:
        return _judge(limit, used, tier_for(s, owner))


def row_limit(session: Session, user_id: int) -> int | None:
    """Rows per model the user's tier allows (None: unlimited)."""
    if exempt_from_limits(session, user_id):
        return None
    maximum = tier_for(session, user_id).max_rows_per_model
    return None if maximum == UNLIMITED else maximum
