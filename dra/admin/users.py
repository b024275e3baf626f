"""Users: list and search, suspend, platform-admin rights, tier (UC-ADM-01, UC-ADM-03)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from dra.admin.errors import AdminError
from dra.models import SubscriptionTier, User, UserSubscription

PAGE_SIZE = 50


@dataclass(frozen=True)
class UserRow:
    id: int
    email: str
    name: str
    tier: str
    is_platform_admin: bool
    is_verified: bool
    suspended: bool
    created_at: datetime
    last_login_at: datetime | None


@dataclass(frozen=True)
class UserPage:
    rows: list[UserRow]
    total: int
    page: int
    pages: int


def list_users(session: Session, query: str = "", page: int = 1) -> UserPage:
    """Users matching ``query`` (email or name, case-insensitive), newest first, paginated."""
    default_tier = session.scalar(select(SubscriptionTier.name).where(SubscriptionTier.is_default))
    where = []
    q = (query or "").strip()
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        where.append(
            or_(
                User.email.ilike(pattern),
                User.first_name.ilike(pattern),
                User.last_name.ilike(pattern),
                (User.first_name + " " + User.last_name).ilike(pattern),
            )
        )
    total = int(session.scalar(select(func.count()).select_from(User).where(*where)) or 0)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = session.execute(
        select(User, SubscriptionTier.name)
        .outerjoin(UserSubscription, UserSubscription.user_id == User.id)
        .outerjoin(SubscriptionTier, SubscriptionTier.id == UserSubscription.tier_id)
        .where(*where)
        .order_by(User.created_at.desc(), User.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return UserPage(
        rows=[user_row(u, tier or default_tier or "—") for u, tier in rows],
        total=total,
        page=page,
        pages=pages,
    )


def user_row(user: User, tier: str) -> UserRow:
    """One line of the users list (the API's user too)."""
    return UserRow(
        id=user.id,
        email=user.email,
        name=user.full_name,
        tier=tier,
        is_platform_admin=user.is_platform_admin,
        is_verified=user.is_verified,
        suspended=user.suspended_at is not None,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
    )


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise AdminError("User not found.", status=404)
    return user


def set_suspended(session: Session, user_id: int, suspended: bool, *, actor_id: int) -> User:
    """Suspend (sign-in refused, sessions end) or reinstate a user; never yourself."""
    user = get_user(session, user_id)
    if user.id == actor_id:
        raise AdminError("You cannot suspend your own account.", status=400)
    if suspended and user.is_platform_admin:
        raise AdminError("Revoke platform admin rights before suspending this account.", status=400)
    user.suspended_at = (user.suspended_at or datetime.now(UTC)) if suspended else None
    session.flush()
    return user


def set_platform_admin(session: Session, user_id: int, admin: bool, *, actor_id: int) -> User:
    """Grant or revoke platform admin rights; you cannot revoke your own (no lock-out)."""
    user = get_user(session, user_id)
    if not admin and user.id == actor_id:
        raise AdminError("You cannot revoke your own admin rights.", status=400)
    if admin and user.suspended_at is not None:
        raise AdminError("Unsuspend this account before making it an admin.", status=400)
    user.is_platform_admin = admin
    session.flush()
    return user


def assign_tier(session: Session, user_id: int, tier_id: int | str | None) -> SubscriptionTier:
    """Put the user on a tier (UC-ADM-03); choosing the current tier changes nothing."""
    get_user(session, user_id)
    try:
        tier = session.get(SubscriptionTier, int(tier_id or 0))
    except (TypeError, ValueError):
        tier = None
    if tier is None:
        raise AdminError("Choose an existing tier.", status=400, field="tier_id")
    sub = session.scalar(select(UserSubscription).where(UserSubscription.user_id == user_id))
    if sub is None:
        session.add(UserSubscription(user_id=user_id, tier_id=tier.id))
    elif sub.tier_id != tier.id:
        sub.tier_id = tier.id
        sub.started_at = datetime.now(UTC)
        sub.cancelled_at = None
    session.flush()
    return tier
