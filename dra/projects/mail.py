"""Mail sent by project features (invitations, "you were added" notices).

Goes through ``dra.mail.send_mail`` when that module exists; otherwise the message is
written to ``app.email_outbox``, where the outbox page and the mail worker find it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from dra.models import EmailOutbox


def queue_mail(session: Session, *, to: str, subject: str, body: str, category: str,
               user_id: int | None = None) -> None:
    """Send (or queue) one plain-text email in the caller's transaction."""
    try:
        from dra.mail import send_mail  # type: ignore[import-not-found]
    except ImportError:
        send_mail = None
    if send_mail is not None:
        send_mail(session, to=to, subject=subject, body=body, category=category, user_id=user_id)
        return
    session.add(EmailOutbox(to_address=to, subject=subject[:300], body_text=body,
                            category=category, user_id=user_id))
    session.flush()
