"""One-time secrets mailed to users (verify email, reset password), stored hashed."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dra.models import EmailVerificationToken, PasswordResetToken, User

OneTimeToken = type[EmailVerificationToken] | type[PasswordResetToken]


def new_secret(nbytes: int = 32) -> str:
    """A URL-safe random secret."""
    return secrets.token_urlsafe(nbytes)


def hash_token(secret: str) -> str:
    """SHA-256 hex of a secret: the only form in which tokens are stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def issue(session: Session, model: OneTimeToken, user_id: int, lifetime: timedelta) -> str:
    """A new secret for the user; earlier unused secrets of the same kind stop working."""
    now = datetime.now(UTC)
    session.execute(
        update(model).where(model.user_id == user_id, model.used_at.is_(None)).values(used_at=now)
    )
    secret = new_secret()
    session.add(model(user_id=user_id, token_hash=hash_token(secret), expires_at=now + lifetime))
    session.flush()
    return secret


def peek(session: Session, model: OneTimeToken, secret: str) -> User | None:
    """The user of a valid (unused, unexpired) secret, without using it up."""
    if not secret or len(secret) > 200:
        return None
    row = session.scalar(select(model).where(model.token_hash == hash_token(secret)))
    if row is None or row.used_at is not None or row.expires_at <= datetime.now(UTC):
        return None
    return session.get(User, row.user_id)


def consume(session: Session, model: OneTimeToken, secret: str) -> User | None:
    """Use a secret up (once only): its user, or None when unknown, used or expired."""
    if not secret or len(secret) > 200:
        return None
    now = datetime.now(UTC)
    # One UPDATE decides: two concurrent uses cannot both succeed.
    user_id = session.scalar(
        update(model)
        .where(
            model.token_hash == hash_token(secret), model.used_at.is_(None), model.expires_at > now
        )
        .values(used_at=now)
        .returning(model.user_id)
    )
    return None if user_id is None else session.get(User, user_id)
