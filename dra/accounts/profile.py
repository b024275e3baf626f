"""UC-AUTH-09 and UC-ACC-01: the signed-in user's profile, and editing it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dra.accounts.errors import NotFound, ValidationFailed
from dra.accounts.registration import name_errors
from dra.billing.limits import tier_for
from dra.models import User


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Account not found.")
    return user


def profile(session: Session, user_id: int) -> dict[str, Any]:
    """Name, email, role and subscription tier of a user, as JSON-ready data."""
    user = get_user(session, user_id)
    tier = tier_for(session, user.id)
    return {
        "id": user.id,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "full_name": user.full_name,
        "role": "platform_admin" if user.is_platform_admin else "user",
        "is_platform_admin": bool(user.is_platform_admin),
        "email_verified": bool(user.is_verified),
        "sign_in_methods": [
            m for m, on in (("password", user.password_hash), ("google", user.google_sub)) if on
        ],
        "subscription_tier": tier.name,
        "created_at": user.created_at.isoformat() if user.created_at else None,
        "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
    }


def update_profile(session: Session, user_id: int, first_name: str, last_name: str) -> User:
    """Change first and last name (first name required, each at most 100 characters)."""
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    errors = name_errors(first_name, last_name)
    if errors:
        raise ValidationFailed(errors=errors)
    user = get_user(session, user_id)
    user.first_name, user.last_name = first_name, last_name
    session.flush()
    return user
