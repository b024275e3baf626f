"""UC-AUTH-01/04/05: register, verify the email address, resend the verification link.

Registration honours two platform settings (UC-ADM-08): ``registration_open`` and
``private_beta`` (then only emails on the allowlist of UC-ADM-04 may register).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dra.accounts.authentication import find_user_by_email
from dra.accounts.errors import AccountError, ValidationFailed
from dra.accounts.passwords import new_password_errors, set_password
from dra.accounts.tokens import consume, issue
from dra.models import BetaAllowlistEntry, EmailVerificationToken, PlatformSetting, User
from dra.models.columns import EMAIL_LENGTH
from dra.models.platform import DEFAULT_PLATFORM_SETTINGS

VERIFY_LIFETIME = timedelta(hours=24)
NAME_MAX = 100
_EMAIL = re.compile(
    r"^[^@\s<>\"'(),;:\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

DUPLICATE_EMAIL = (
    "An account already exists for this email address. "
    "Sign in, or reset your password if you forgot it."
)
REGISTRATION_CLOSED = "Registration is closed at the moment. Please try again later."
NOT_ON_BETA_LIST = (
    "The platform is in private beta and this email address is not on the invitation list."
)
VERIFY_FAILED = (
    "Email verification failed: the link has expired or was already used. Request a new link below."
)


def normalise_email(email: str) -> str:
    return (email or "").strip()


def email_error(email: str) -> str | None:
    """Why an email address is not acceptable, or None."""
    if not email:
        return "Email is required."
    if len(email) > EMAIL_LENGTH or not _EMAIL.match(email):
        return "Enter a valid email address (like name@example.com)."
    return None


def name_errors(first_name: str, last_name: str) -> dict[str, str]:
    """Field errors for first and last name (first name required, both at most 100)."""
    errors: dict[str, str] = {}
    for field, value, required in (
        ("first_name", first_name, True),
        ("last_name", last_name, False),
    ):
        label = field.replace("_", " ").capitalize()
        if required and not value:
            errors[field] = f"{label} is required."
        elif len(value) > NAME_MAX:
            errors[field] = f"{label} must be at most {NAME_MAX} characters."
        elif _CONTROL.search(value):
            errors[field] = f"{label} contains characters that are not allowed."
    return errors


def platform_setting(session: Session, key: str) -> Any:
    """A platform setting's value (its documented default when the row is missing)."""
    row = session.get(PlatformSetting, key)
    return DEFAULT_PLATFORM_SETTINGS.get(key) if row is None else row.value


def check_registration_allowed(session: Session, email: str) -> None:
    """Raise AccountError (403) when registration is closed or the beta gate refuses."""
    if not platform_setting(session, "registration_open"):
        raise AccountError(REGISTRATION_CLOSED, status=403)
    if platform_setting(session, "private_beta"):
        allowed = session.scalar(
            select(BetaAllowlistEntry.id).where(
                func.lower(BetaAllowlistEntry.email) == email.lower()
            )
        )
        if allowed is None:
            raise AccountError(NOT_ON_BETA_LIST, status=403, field="email")


def register(
    session: Session,
    *,
    email: str,
    password: str,
    confirm_password: str | None,
    first_name: str,
    last_name: str,
) -> tuple[User, str]:
    """Create an unverified user; return it with the verification secret to mail."""
    email = normalise_email(email)
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    errors = name_errors(first_name, last_name)
    problem = email_error(email)
    if problem:
        errors["email"] = problem
    errors.update(new_password_errors(password or "", confirm_password, email))
    if errors:
        raise ValidationFailed(errors=errors)
    check_registration_allowed(session, email)
    if find_user_by_email(session, email) is not None:
        raise AccountError(DUPLICATE_EMAIL, field="email")
    user = User(email=email, first_name=first_name, last_name=last_name, is_verified=False)
    set_password(user, password)
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError:  # registered concurrently
        raise AccountError(DUPLICATE_EMAIL, field="email") from None
    return user, issue(session, EmailVerificationToken, user.id, VERIFY_LIFETIME)


def verify_email(session: Session, secret: str) -> User:
    """UC-AUTH-04: mark the user verified; the link works once, within 24 hours."""
    user = consume(session, EmailVerificationToken, secret)
    if user is None:
        raise AccountError(VERIFY_FAILED)
    user.is_verified = True
    session.flush()
    return user


def resend_verification(session: Session, email: str) -> tuple[User, str] | None:
    """UC-AUTH-05: a new secret for an unverified account with this email, else None.

    The caller answers the same way in both cases (no account enumeration).
    """
    user = find_user_by_email(session, normalise_email(email)) if email else None
    if user is None or user.is_verified or user.suspended_at is not None:
        return None
    return user, issue(session, EmailVerificationToken, user.id, VERIFY_LIFETIME)
