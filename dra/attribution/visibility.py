"""Whether a project shows its attribution tab (UC-ATT-06): per project and per tier."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dra.billing.limits import tier_for
from dra.models import Project, SubscriptionTier


def attribution_visible(system_session: Session, project_id: int) -> bool:
    """Visible when the project allows it and its owner's tier enables attribution.

    Takes a system session: the owner's subscription is visible to the owner alone.
    """
    project = system_session.get(Project, project_id)
    if project is None or not project.attribution_tab_visible:
        return False
    return bool(tier_for(system_session, project.owner_id).attribution_enabled)


def set_project_visibility(session: Session, project_id: int, visible: bool) -> None:
    found = session.execute(
        update(Project).where(Project.id == project_id).values(attribution_tab_visible=visible)
    ).rowcount
    if not found:
        raise LookupError("No such project.")


def set_tier_visibility(session: Session, tier_id: int, enabled: bool) -> None:
    found = session.execute(
        update(SubscriptionTier)
        .where(SubscriptionTier.id == tier_id)
        .values(attribution_enabled=enabled)
    ).rowcount
    if not found:
        raise LookupError("No such tier.")


def overview(session: Session) -> tuple[list[Project], list[SubscriptionTier]]:
    """Every project and tier with their flags (platform admins only)."""
    projects = list(session.scalars(select(Project).order_by(Project.name, Project.id)))
    tiers = list(session.scalars(select(SubscriptionTier).order_by(SubscriptionTier.id)))
    return projects, tiers
