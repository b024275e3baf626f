"""Checking credentials."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dra.models import User
from dra.security.passwords import hash_password, needs_rehash, verify_password

# Verified against when the email is unknown, so both paths take the same time.
_DUMMY_HASH = hash_password("not-a-real-password")


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The verified, active user with these credentials, or None (never says which part failed)."""
    user = find_user_by_email(session, email) if email else None
    if user is None:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if not user.is_verified or user.suspended_at is not None:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = datetime.now(UTC)
    return user
