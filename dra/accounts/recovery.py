"""UC-AUTH-06: forgot / reset password with a single-use, expiring emailed secret."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from dra.accounts.authentication import find_user_by_email
from dra.accounts.errors import AccountError, ValidationFailed
from dra.accounts.passwords import new_password_errors, set_password
from dra.accounts.tokens import consume, issue, peek
from dra.models import PasswordResetToken, User

RESET_LIFETIME = timedelta(hours=1)
RESET_FAILED = "This password reset link has expired or was already used. Please request a new one."


def request_password_reset(session: Session, email: str) -> tuple[User, str] | None:
    """A reset secret for the active account with this email, else None.

    The caller answers identically in both cases (ALT-06A: no email enumeration).
    """
    user = find_user_by_email(session, email) if email and len(email) <= 320 else None
    if user is None or user.suspended_at is not None:
        return None
    return user, issue(session, PasswordResetToken, user.id, RESET_LIFETIME)


def reset_token_user(session: Session, secret: str) -> User | None:
    """The user a reset link is for while it is still valid (to show the form)."""
    return peek(session, PasswordResetToken, secret)


def reset_password(session: Session, secret: str, password: str, confirm: str) -> User:
    """Set a new password from a reset link; the link is used up, other sessions end."""
    user = reset_token_user(session, secret)
    if user is None:
        raise AccountError(RESET_FAILED)
    errors = new_password_errors(password or "", confirm, user.email)
    if errors:  # checked before using the link up, so the person can try again
        raise ValidationFailed(errors=errors)
    if consume(session, PasswordResetToken, secret) is None:
        raise AccountError(RESET_FAILED)
    set_password(user, password)
    user.is_verified = True  # the person proved they read this mailbox
    session.flush()
    return user
