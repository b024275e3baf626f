"""Subscription tiers: list, create, edit, delete (UC-ADM-02)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dra.admin.errors import AdminError
from dra.errors import one_line_text
from dra.models import SubscriptionTier, UserSubscription
from dra.models.billing import TIER_LIMIT_COLUMNS, UNLIMITED

LIMIT_LABELS = {
    "max_projects": "Projects",
    "max_sources_per_project": "Data sources per project",
    "max_dashboards": "Dashboards",
    "max_models_per_source": "Data models per source",
    "max_members_per_project": "Members per project",
    "max_rows_per_model": "Rows per data model",
    "max_ai_generations_per_month": "AI generations per month",
}
FIELDS = ("name", "description", "monthly_price", "sort_order", *LIMIT_LABELS)


def list_tiers(session: Session) -> list[tuple[SubscriptionTier, int]]:
    """Every tier with its number of subscribers, in display order."""
    subscribers = (
        select(UserSubscription.tier_id, func.count().label("n"))
        .group_by(UserSubscription.tier_id)
        .subquery()
    )
    rows = session.execute(
        select(SubscriptionTier, func.coalesce(subscribers.c.n, 0))
        .outerjoin(subscribers, subscribers.c.tier_id == SubscriptionTier.id)
        .order_by(SubscriptionTier.sort_order, SubscriptionTier.id)
    ).all()
    return [(tier, int(n)) for tier, n in rows]


def get_tier(session: Session, tier_id: int) -> SubscriptionTier:
    tier = session.get(SubscriptionTier, tier_id)
    if tier is None:
        raise AdminError("Tier not found.", status=404)
    return tier


def _whole(form: Mapping[str, str], field: str, label: str, *, minimum: int) -> int:
    raw = (form.get(field) or "").strip()
    try:
        value = int(raw)
    except ValueError:
        raise AdminError(f"{label} must be a whole number.", status=400, field=field) from None
    if value < minimum:
        hint = " (use -1 for unlimited)" if minimum == UNLIMITED else ""
        raise AdminError(
            f"{label} cannot be {value}: use 0 or more{hint}.", status=400, field=field
        )
    return value


def clean_tier(form: Mapping[str, str]) -> dict[str, object]:
    """Validated tier values from a form; AdminError names the first wrong field."""
    name = one_line_text(
        form.get("name"),
        missing=AdminError("Tier name is required.", status=400, field="name"),
        too_long=AdminError("Tier name must be at most 100 characters.", status=400, field="name"),
        limit=100,
    )
    values: dict[str, object] = {
        "name": name,
        "description": (form.get("description") or "").strip() or None,
    }
    raw_price = (form.get("monthly_price") or "").strip()
    if raw_price:
        try:
            price = Decimal(raw_price)
        except InvalidOperation:
            raise AdminError(
                "Monthly price must be a number.", status=400, field="monthly_price"
            ) from None
        if not price.is_finite() or price < 0 or price >= Decimal("100000000"):
            raise AdminError("Monthly price must be 0 or more.", status=400, field="monthly_price")
        values["monthly_price"] = price.quantize(Decimal("0.01"))
    else:
        values["monthly_price"] = None
    values["sort_order"] = (
        _whole(form, "sort_order", "Sort order", minimum=0)
        if (form.get("sort_order") or "").strip()
        else 0
    )
    for column in TIER_LIMIT_COLUMNS:
        values[column] = _whole(form, column, LIMIT_LABELS[column], minimum=UNLIMITED)
    return values


def _name_taken(session: Session, name: str, tier_id: int | None) -> bool:
    q = select(SubscriptionTier.id).where(func.lower(SubscriptionTier.name) == name.lower())
    if tier_id is not None:
        q = q.where(SubscriptionTier.id != tier_id)
    return session.scalar(q) is not None


def create_tier(session: Session, form: Mapping[str, str]) -> SubscriptionTier:
    values = clean_tier(form)
    if _name_taken(session, str(values["name"]), None):
        raise AdminError("A tier with this name already exists.", status=409, field="name")
    tier = SubscriptionTier(**values)
    session.add(tier)
    session.flush()
    return tier


def update_tier(session: Session, tier_id: int, form: Mapping[str, str]) -> SubscriptionTier:
    """Change a tier; new limits apply to its users at once."""
    tier = get_tier(session, tier_id)
    values = clean_tier(form)
    if _name_taken(session, str(values["name"]), tier_id):
        raise AdminError("A tier with this name already exists.", status=409, field="name")
    for key, value in values.items():
        setattr(tier, key, value)
    session.flush()
    return tier


def delete_tier(session: Session, tier_id: int) -> str:
    """Delete a tier nobody is on (and that is not the default); returns its name."""
    tier = get_tier(session, tier_id)
    if tier.is_default:
        raise AdminError("The default tier cannot be deleted: new users are put on it.", status=409)
    subscribers = session.scalar(
        select(func.count())
        .select_from(UserSubscription)
        .where(UserSubscription.tier_id == tier_id)
    )
    if subscribers:
        raise AdminError(
            f"Cannot delete tier with active subscribers ({subscribers}). Migrate users first.",
            status=409,
        )
    name = tier.name
    session.delete(tier)
    session.flush()
    return name
