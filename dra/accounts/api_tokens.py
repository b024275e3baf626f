"""Personal API tokens: ``Authorization: Bearer dra_...`` for API requests.

A token is ``dra_`` followed by 32 random bytes (URL-safe base64). Only its SHA-256 is
stored, with a visible prefix so people can tell their tokens apart; the full token is
shown once, when it is created.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dra.accounts.errors import AccountError, NotFound, ValidationFailed
from dra.accounts.tokens import hash_token
from dra.models import ApiToken, User

TOKEN_PREFIX = "dra_"  # noqa: S105 - a public marker, not a secret
VISIBLE_PREFIX_LENGTH = 12
MAX_ACTIVE_TOKENS = 20
EXPIRY_CHOICES = (0, 7, 30, 90, 365)
"""Lifetimes offered, in days (0: never expires)."""
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class NewApiToken:
    token: ApiToken
    secret: str
    """The full token: show it once, it cannot be recovered."""


def create_api_token(
    session: Session, user_id: int, name: str, expires_in_days: int = 0
) -> NewApiToken:
    """A new token for the user (name required, at most 20 active tokens)."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(errors={"name": "Give the token a name (what will use it?)."})
    if len(name) > 100:
        raise ValidationFailed(errors={"name": "Name must be at most 100 characters."})
    if expires_in_days not in EXPIRY_CHOICES:
        raise ValidationFailed(errors={"expires_in_days": "Choose one of the offered lifetimes."})
    active = session.scalar(
        select(func.count())
        .select_from(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    )
    if active >= MAX_ACTIVE_TOKENS:
        raise AccountError(
            f"You already have {MAX_ACTIVE_TOKENS} active tokens: "
            "revoke one you no longer use first.",
            status=409,
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    token = ApiToken(
        user_id=user_id,
        name=name,
        token_hash=hash_token(secret),
        prefix=secret[:VISIBLE_PREFIX_LENGTH],
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    session.add(token)
    session.flush()
    return NewApiToken(token=token, secret=secret)


def list_api_tokens(session: Session, user_id: int) -> list[ApiToken]:
    """The user's tokens, newest first (revoked ones included, marked)."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user_id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_api_token(session: Session, user_id: int, token_id: int) -> ApiToken:
    """Revoke one of the user's tokens (404 for anyone else's)."""
    token = session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id)
    )
    if token is None:
        raise NotFound("Token not found.")
    if token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)
        session.flush()
    return token


def user_for_api_token(session: Session, secret: str) -> User | None:
    """The active user a valid token belongs to (updates ``last_used_at``), else None."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    now = datetime.now(UTC)
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    user = session.get(User, token.user_id)
    if user is None or user.suspended_at is not None:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
    return user


def token_status(token: ApiToken, now: datetime | None = None) -> str:
    """active, revoked or expired."""
    now = now or datetime.now(UTC)
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"
