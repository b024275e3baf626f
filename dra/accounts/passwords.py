"""Password rules, changing a password, and the fields a sign-up or reset form checks."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from dra.accounts.errors import AccountError, NotFound, ValidationFailed
from dra.models import User
from dra.security.passwords import hash_password, verify_password

MIN_LENGTH = 10
MAX_LENGTH = 256
_CLASSES = (
    re.compile(r"[a-z]"),
    re.compile(r"[A-Z]"),
    re.compile(r"[0-9]"),
    re.compile(r"[^a-zA-Z0-9]"),
)


def password_problem(password: str, email: str = "") -> str | None:
    """Why ``password`` is too weak (one sentence), or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"Password must be at least {MIN_LENGTH} characters long."
    if len(password) > MAX_LENGTH:
        return f"Password must be at most {MAX_LENGTH} characters long."
    if sum(1 for cls in _CLASSES if cls.search(password)) < 2:
        return (
            "Password must mix at least two kinds of characters "
            "(lower case, upper case, digits, symbols)."
        )
    email = email.strip().lower()
    if email and password.strip().lower() in {email, email.split("@", 1)[0]}:
        return "Password must not be your email address."
    return None


def new_password_errors(
    password: str, confirm: str | None, email: str, field: str = "password"
) -> dict[str, str]:
    """Field errors for a new password (strength, and confirmation when given)."""
    errors: dict[str, str] = {}
    problem = password_problem(password, email)
    if problem:
        errors[field] = problem
    elif confirm is not None and confirm != password:
        errors[f"confirm_{field}"] = "The two passwords do not match."
    return errors


def set_password(user: User, password: str) -> None:
    """Store a new hash; this also changes the user's auth epoch (other sessions end)."""
    user.password_hash = hash_password(password)
    user.updated_at = datetime.now(UTC)


def change_password(session: Session, user_id: int, current: str, new: str, confirm: str) -> User:
    """UC-ACC-02: check the current password, validate the new one, store it."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Account not found.")
    errors = new_password_errors(new, confirm, user.email, field="new_password")
    if errors:
        raise ValidationFailed(errors=errors)
    if user.password_hash is None:
        raise AccountError(
            "Your account signs in with Google and has no password yet. "
            "Use “Forgot password” to set one.",
            field="current_password",
        )
    if not verify_password(user.password_hash, current):
        raise AccountError("Current password is incorrect.", field="current_password")
    if verify_password(user.password_hash, new):
        raise AccountError("New password must differ from current password.", field="new_password")
    set_password(user, new)
    session.flush()
    return user
