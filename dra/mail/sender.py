"""Recording and delivering emails.

Every message becomes a row of ``app.email_outbox`` first; when SMTP is configured it
is delivered at once and marked sent (or keeps its error for a later retry).
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dra.mail.render import RenderedEmail, render_email
from dra.models import EmailOutbox, EmailPreferences, User
from dra.settings import Settings

log = logging.getLogger(__name__)

ALWAYS_SENT = frozenset({"verification", "password_reset", "security", "account"})
"""Categories a user cannot opt out of (they concern the account itself)."""

PREFERENCE_FOR = {
    "marketing": "marketing",
    "product_updates": "product_updates",
    "notification": "notifications",
    "invitation": "notifications",
}
"""Which ``EmailPreferences`` flag governs each optional category."""


@dataclass(frozen=True)
class MailConfig:
    """SMTP settings (``host`` None: keep messages in the outbox only)."""

    host: str | None
    port: int = 587
    user: str | None = None
    password: str | None = None
    starttls: bool = True
    sender: str = "DRA Platform <no-reply@localhost>"
    timeout: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> MailConfig:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            user=settings.smtp_user,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            sender=settings.mail_from,
        )


def user_accepts(session: Session, user_id: int, category: str) -> bool:
    """Whether the user wants emails of this category (account mail is always sent)."""
    if category in ALWAYS_SENT:
        return True
    user = session.get(User, user_id)
    if user is None or user.unsubscribed_at is not None:
        return False
    flag = PREFERENCE_FOR.get(category)
    if flag is None:
        return True
    prefs = session.scalar(select(EmailPreferences).where(EmailPreferences.user_id == user_id))
    return True if prefs is None else bool(getattr(prefs, flag))


def send_email(
    session: Session,
    config: MailConfig,
    *,
    to: str,
    template: str,
    category: str,
    user_id: int | None = None,
    **context: Any,
) -> EmailOutbox | None:
    """Render, record and (when SMTP is configured) deliver one email.

    Returns the outbox row, or None when the user opted out of this category.
    Delivery errors are recorded on the row and logged, never raised: the action
    that sent the mail (a registration, a reset request) still succeeds.
    """
    if user_id is not None and not user_accepts(session, user_id, category):
        return None
    rendered = render_email(template, **context)
    row = EmailOutbox(
        to_address=to,
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        category=category,
        user_id=user_id,
    )
    session.add(row)
    session.flush()
    if config.host:
        deliver(config, row, rendered)
    return row


def build_message(config: MailConfig, to: str, rendered: RenderedEmail) -> EmailMessage:
    """A multipart/alternative message with the text and HTML bodies."""
    message = EmailMessage()
    message["From"] = config.sender
    message["To"] = to
    message["Subject"] = rendered.subject
    message["Message-ID"] = make_msgid(domain="dra.local")
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    return message


def deliver(config: MailConfig, row: EmailOutbox, rendered: RenderedEmail | None = None) -> bool:
    """Send an outbox row over SMTP; record ``sent_at`` or the error. True when sent."""
    if not config.host:
        raise ValueError("no SMTP host is configured (DRA_SMTP_HOST)")
    rendered = rendered or RenderedEmail(row.subject, row.body_text, row.body_html or "")
    row.attempts = (row.attempts or 0) + 1
    try:
        with smtplib.SMTP(config.host, config.port, timeout=config.timeout) as smtp:
            if config.starttls:
                smtp.starttls()
            if config.user:
                smtp.login(config.user, config.password or "")
            smtp.send_message(build_message(config, row.to_address, rendered))
    except (OSError, smtplib.SMTPException) as exc:
        row.error = f"{type(exc).__name__}: {exc}"[:2000]
        log.warning("email to %s not sent: %s", row.to_address, row.error)
        return False
    row.sent_at = datetime.now(UTC)
    row.error = None
    return True
