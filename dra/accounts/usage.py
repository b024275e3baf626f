"""UC-ACC-09: the user's plan and how much of it they use."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from dra.billing.limits import Limit, Usage, current_count, tier_for
from dra.models import Project, SubscriptionTier, UserSubscription

NEAR_LIMIT_PERCENT = 80


@dataclass(frozen=True)
class UsageLine:
    label: str
    usage: Usage

    @property
    def near_limit(self) -> bool:
        return not self.usage.unlimited and self.usage.percent >= NEAR_LIMIT_PERCENT


@dataclass(frozen=True)
class ProjectUsage:
    project_id: int
    name: str
    lines: list[UsageLine]


@dataclass(frozen=True)
class PlanUsage:
    tier: SubscriptionTier
    subscription: UserSubscription | None
    lines: list[UsageLine]
    projects: list[ProjectUsage] = field(default_factory=list)

    @property
    def near_limit(self) -> bool:
        return any(line.near_limit for line in self.lines) or any(
            line.near_limit for p in self.projects for line in p.lines
        )


def _line(
    session: Session, user_id: int, tier: SubscriptionTier, limit: Limit, label: str, **scope: int
) -> UsageLine:
    used = current_count(session, user_id, limit, **scope)
    return UsageLine(label, Usage(limit, used, getattr(tier, limit.value)))


def plan_and_usage(session: Session, user_id: int) -> PlanUsage:
    """Tier (the default tier without a subscription), account-wide and per-project usage."""
    tier = tier_for(session, user_id)
    subscription = session.scalar(
        select(UserSubscription).where(UserSubscription.user_id == user_id)
    )
    lines = [
        _line(session, user_id, tier, Limit.PROJECTS, "Projects you own"),
        _line(session, user_id, tier, Limit.AI_GENERATIONS_PER_MONTH, "AI generations this month"),
    ]
    owned = session.execute(
        select(Project.id, Project.name).where(Project.owner_id == user_id).order_by(Project.name)
    ).all()
    projects = [
        ProjectUsage(
            pid,
            name,
            [
                _line(
                    session,
                    user_id,
                    tier,
                    Limit.SOURCES_PER_PROJECT,
                    "Data sources",
                    project_id=pid,
                ),
                _line(session, user_id, tier, Limit.DASHBOARDS, "Dashboards", project_id=pid),
                _line(session, user_id, tier, Limit.MEMBERS_PER_PROJECT, "Members", project_id=pid),
            ],
        )
        for pid, name in owned
    ]
    return PlanUsage(tier, subscription, lines, projects)
