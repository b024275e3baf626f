"""Outgoing email: rendered from templates, recorded in ``app.email_outbox``, sent by SMTP.

Callers use :func:`send_email`. Without ``DRA_SMTP_HOST`` messages stay unsent in the
outbox (readable by admins, and by tests), so the platform works offline.
"""

from dra.mail.render import RenderedEmail, render_email
from dra.mail.sender import (
    ALWAYS_SENT,
    MailConfig,
    configure,
    current_config,
    deliver,
    deliver_pending,
    send_email,
    send_mail,
    user_accepts,
)

__all__ = [
    "ALWAYS_SENT",
    "MailConfig",
    "RenderedEmail",
    "configure",
    "current_config",
    "deliver",
    "deliver_pending",
    "render_email",
    "send_email",
    "send_mail",
    "user_accepts",
]
