"""Account emails from the web app: links built on DRA_PUBLIC_BASE_URL (never on the
request's Host header, which a client controls) and an unsubscribe link in each."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from sqlalchemy.orm import Session

from dra.accounts.preferences import make_unsubscribe_token
from dra.mail import MailConfig, send_email
from dra.models import EmailOutbox, User
from webapp.database import app_settings


def mail_config() -> MailConfig:
    return MailConfig.from_settings(app_settings())


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for an email, on the configured public address."""
    return app_settings().public_base_url.rstrip("/") + url_for(endpoint, **values)


def unsubscribe_url(user_id: int) -> str:
    token = make_unsubscribe_token(current_app.config["SECRET_KEY"], user_id)
    return external_url("auth.unsubscribe", token=token)


def send_to_user(
    session: Session, user: User, template: str, category: str, **context: Any
) -> EmailOutbox | None:
    """Render ``emails/<template>`` for the user and send it (or leave it in the outbox)."""
    return send_email(
        session,
        mail_config(),
        to=user.email,
        template=template,
        category=category,
        user_id=user.id,
        name=user.first_name or user.email,
        unsubscribe_url=unsubscribe_url(user.id),
        **context,
    )


def send_verification(session: Session, user: User, secret: str) -> EmailOutbox | None:
    """The verification link (UC-AUTH-03/05), valid for VERIFY_LIFETIME."""
    from dra.accounts.registration import VERIFY_LIFETIME

    return send_to_user(
        session,
        user,
        "verify_email",
        "verification",
        verify_url=external_url("auth.verify", token=secret),
        hours=int(VERIFY_LIFETIME.total_seconds() // 3600),
    )


def send_password_changed(session: Session, user: User) -> EmailOutbox | None:
    """The security notice after a password change or reset."""
    return send_to_user(
        session,
        user,
        "password_changed",
        "security",
        when=user.updated_at.strftime("%Y-%m-%d %H:%M UTC"),
        forgot_url=external_url("auth.forgot_password"),
    )
