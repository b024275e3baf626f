"""Checking credentials, and the "auth epoch" that ends other sessions on a password change."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dra.models import User
from dra.security.passwords import hash_password, needs_rehash, verify_password

# Verified against when the email is unknown, so both paths take the same time.
_DUMMY_HASH = hash_password("not-a-real-password")


class SignIn(StrEnum):
    OK = "ok"
    INVALID = "invalid"  # unknown email or wrong password: one message for both
    UNVERIFIED = "unverified"  # right password, email not confirmed yet
    SUSPENDED = "suspended"  # right password, account suspended by an admin


@dataclass(frozen=True)
class SignInResult:
    outcome: SignIn
    user: User | None = None


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def check_credentials(session: Session, email: str, password: str) -> SignInResult:
    """Check email and password; only a right password learns more than INVALID."""
    user = find_user_by_email(session, email) if email and len(email) <= 320 else None
    if user is None or not user.password_hash:
        verify_password(_DUMMY_HASH, password)
        return SignInResult(SignIn.INVALID)
    if not verify_password(user.password_hash, password):
        return SignInResult(SignIn.INVALID)
    if user.suspended_at is not None:
        return SignInResult(SignIn.SUSPENDED, user)
    if not user.is_verified:
        return SignInResult(SignIn.UNVERIFIED, user)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = datetime.now(UTC)
    return SignInResult(SignIn.OK, user)


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The verified, active user with these credentials, or None (never says which part failed)."""
    result = check_credentials(session, email, password)
    return result.user if result.outcome is SignIn.OK else None


def auth_epoch(password_hash: str | None) -> str:
    """A fingerprint of the user's credentials, kept in each session at sign-in.

    A password change or reset changes it, which ends every other session; the
    session that made the change stores the new value and stays signed in.
    """
    return hashlib.sha256(b"dra-auth-epoch:" + (password_hash or "").encode()).hexdigest()[:24]
