"""Recording and delivering emails.

Every message becomes a row of ``app.email_outbox`` first; when SMTP is configured it
is delivered at once and marked sent (or keeps its error for a later retry).
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from sqlalchemy import func, select
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


_process_config: MailConfig | None = None


def configure(config: MailConfig | None) -> None:
    """Set the SMTP settings ``send_mail`` uses in this process (the web app does it)."""
    global _process_config
    _process_config = config


def current_config() -> MailConfig:
    """The process's SMTP settings; without ``configure`` mail stays in the outbox."""
    return _process_config or MailConfig(host=None)


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
    config: MailConfig | None = None,
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
    config = config or current_config()
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
    if rendered.html:
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


def send_mail(
    session: Session,
    *,
    to: str,
    subject: str,
    body: str,
    category: str,
    user_id: int | None = None,
    html: str | None = None,
    config: MailConfig | None = None,
    prefs_session: Session | None = None,
) -> EmailOutbox | None:
    """Record and deliver a message whose bodies the caller already has (no template), in
    the caller's transaction; None when the user opted out of ``category``.

    Row-level security shows email preferences to their own user only, so a caller
    acting as someone else passes ``prefs_session`` (a system session, read only) to
    honour the recipient's choice.
    """
    if user_id is not None and not user_accepts(prefs_session or session, user_id, category):
        return None
    config = config or current_config()
    row = EmailOutbox(
        to_address=to,
        subject=subject[:300],
        body_text=body,
        body_html=html,
        category=category,
        user_id=user_id,
    )
    session.add(row)
    session.flush()
    if config.host:
        deliver(config, row)
    return row


RETRY_MAX_AGE = timedelta(days=1)
"""Older unsent messages are not retried: their links (verification, reset) have expired or
are about to, and a message days late confuses more than it helps."""


@dataclass(frozen=True)
class RetryOutcome:
    tried: int
    sent: int
    waiting: int
    """Unsent messages still worth retrying after this round (attempts left, not too old)."""


def deliver_pending(
    session: Session,
    config: MailConfig,
    *,
    limit: int = 100,
    max_attempts: int = 5,
    max_age: timedelta = RETRY_MAX_AGE,
    now: datetime | None = None,
) -> RetryOutcome:
    """Send unsent outbox rows (oldest first, up to ``limit``).

    Rows another process is sending are skipped (``FOR UPDATE SKIP LOCKED``).
    """
    retryable = (
        EmailOutbox.sent_at.is_(None),
        EmailOutbox.attempts < max_attempts,
        EmailOutbox.created_at >= (now or datetime.now(UTC)) - max_age,
    )
    rows = list(
        session.scalars(
            select(EmailOutbox)
            .where(*retryable)
            .order_by(EmailOutbox.created_at, EmailOutbox.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    sent = sum(1 for row in rows if deliver(config, row))
    session.flush()
    waiting = session.scalar(select(func.count()).select_from(EmailOutbox).where(*retryable))
    return RetryOutcome(tried=len(rows), sent=sent, waiting=int(waiting or 0))
