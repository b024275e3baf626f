"""Mail sent by project and admin features (invitations, "you were added", decisions).

Goes through ``dra.mail.send_mail``: recorded in ``app.email_outbox`` and delivered at
once when SMTP is configured.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from dra.mail import send_mail, user_accepts


def queue_mail(
    session: Session,
    *,
    to: str,
    subject: str,
    body: str,
    category: str,
    user_id: int | None = None,
    prefs_session: Session | None = None,
) -> bool:
    """Send one plain-text email in the caller's transaction; False when the user opted out.

    Row-level security shows email preferences to their own user only, so a caller
    acting as someone else passes ``prefs_session`` (a system session, read only) to
    honour the recipient's choice.
    """
    if user_id is not None and not user_accepts(prefs_session or session, user_id, category):
        return False
    send_mail(session, to=to, subject=subject, body=body, category=category, user_id=user_id)
    return True
