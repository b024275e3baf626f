"""UC-AUTH-03: signing in with Google (OpenID Connect), once the ID token is verified.

Policy for an email that already has an account (ALT-03B):
* the account already carries this Google identity (``google_sub``): sign in;
* same email, no Google identity yet: link it only when Google says the email is
  verified (``email_verified``), else refuse: the person signs in with their password;
* a new email: create a verified account (registration rules apply), only for an
  email Google has verified.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dra.accounts.authentication import find_user_by_email
from dra.accounts.errors import AccountError
from dra.accounts.registration import check_registration_allowed, email_error
from dra.models import User

NOT_VERIFIED_LINK = (
    "An account with this email address already exists. Google has not "
    "verified this address, so we cannot link it: sign in with your password."
)
NOT_VERIFIED_NEW = (
    "Google has not verified this email address. Verify it with Google, "
    "or register with email and password."
)
SUSPENDED = "This account is suspended. Contact an administrator."
OTHER_GOOGLE = (
    "This account is already linked to another Google identity. Sign in with your password."
)


@dataclass(frozen=True)
class GoogleIdentity:
    subject: str
    email: str
    email_verified: bool
    given_name: str = ""
    family_name: str = ""

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> GoogleIdentity:
        """From verified ID-token claims; AccountError when ``sub`` or ``email`` is missing."""
        sub, email = str(claims.get("sub") or ""), str(claims.get("email") or "").strip()
        if not sub or not email or email_error(email):
            raise AccountError("Google did not share a usable email address.")
        verified = claims.get("email_verified")
        return cls(
            subject=sub,
            email=email,
            email_verified=verified is True or str(verified).lower() == "true",
            given_name=str(claims.get("given_name") or "")[:100],
            family_name=str(claims.get("family_name") or "")[:100],
        )


def sign_in_with_google(session: Session, identity: GoogleIdentity) -> User:
    """The user to sign in, creating or linking per the policy above."""
    user = session.scalar(select(User).where(User.google_sub == identity.subject))
    if user is None:
        user = find_user_by_email(session, identity.email)
        if user is not None:
            if not identity.email_verified:
                raise AccountError(NOT_VERIFIED_LINK, status=403)
            if user.google_sub and user.google_sub != identity.subject:
                raise AccountError(OTHER_GOOGLE, status=403)
            user.google_sub = identity.subject
            user.is_verified = True
        else:
            if not identity.email_verified:
                raise AccountError(NOT_VERIFIED_NEW, status=403)
            check_registration_allowed(session, identity.email)
            user = User(
                email=identity.email,
                google_sub=identity.subject,
                is_verified=True,
                first_name=identity.given_name,
                last_name=identity.family_name,
            )
            session.add(user)
    if user.suspended_at is not None:
        raise AccountError(SUSPENDED, status=403)
    user.last_login_at = datetime.now(UTC)
    session.flush()
    return user
