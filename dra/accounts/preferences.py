"""UC-ACC-03 and UC-AUTH-10 / UC-ACC-11: email preferences and the unsubscribe link.

The unsubscribe link carries a token signed with the app's secret key (no sign-in
needed, no expiry: an old email's link keeps working).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from dra.accounts.errors import NotFound
from dra.models import EmailPreferences, User

FIELDS = {
    "product_updates": "Product updates and new features",
    "notifications": "Notifications about my projects (invitations, finished jobs, alerts)",
    "marketing": "Tips, offers and the newsletter",
}
"""Optional email categories with their labels; account and security mail is always sent."""
_SALT = "dra-unsubscribe"


def get_preferences(session: Session, user_id: int) -> EmailPreferences:
    """The user's preferences row (created with every category on when missing)."""
    prefs = session.scalar(select(EmailPreferences).where(EmailPreferences.user_id == user_id))
    if prefs is None:
        prefs = EmailPreferences(
            user_id=user_id, marketing=True, product_updates=True, notifications=True
        )
        session.add(prefs)
        session.flush()
    return prefs


def update_preferences(
    session: Session, user_id: int, values: Mapping[str, bool]
) -> EmailPreferences:
    """Set each category on or off; all off is the same as unsubscribing (ALT-ACC03A)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Account not found.")
    prefs = get_preferences(session, user_id)
    for field in FIELDS:
        setattr(prefs, field, bool(values.get(field, False)))
    if any(getattr(prefs, f) for f in FIELDS):
        user.unsubscribed_at = None
    elif user.unsubscribed_at is None:
        user.unsubscribed_at = datetime.now(UTC)
    session.flush()
    return prefs


def unsubscribe(session: Session, user_id: int) -> User:
    """Turn every optional email off and mark the user unsubscribed."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Unsubscription failed. Please try again.")
    prefs = get_preferences(session, user_id)
    for field in FIELDS:
        setattr(prefs, field, False)
    user.unsubscribed_at = user.unsubscribed_at or datetime.now(UTC)
    session.flush()
    return user


def make_unsubscribe_token(secret_key: str, user_id: int) -> str:
    """The signed token of a user's unsubscribe link."""
    return URLSafeSerializer(secret_key, salt=_SALT).dumps({"u": int(user_id)})


def read_unsubscribe_token(secret_key: str, token: str) -> int | None:
    """The user id in a valid unsubscribe token, else None."""
    try:
        data = URLSafeSerializer(secret_key, salt=_SALT).loads(token)
    except BadSignature:
        return None
    user_id = data.get("u") if isinstance(data, dict) else None
    return user_id if isinstance(user_id, int) else None
