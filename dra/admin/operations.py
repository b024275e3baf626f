"""The email outbox (read-only) and alerts with acknowledgement."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dra.admin.errors import AdminError
from dra.models import Alert, EmailOutbox

OUTBOX_LIMIT = 200


def outbox(session: Session, to: str = "") -> list[EmailOutbox]:
    """The newest mails (optionally to one address), for reading in offline demos."""
    q = select(EmailOutbox).order_by(EmailOutbox.created_at.desc(), EmailOutbox.id.desc())
    if to.strip():
        escaped = to.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        q = q.where(EmailOutbox.to_address.ilike(f"%{escaped}%"))
    return list(session.scalars(q.limit(OUTBOX_LIMIT)))


def get_mail(session: Session, mail_id: int) -> EmailOutbox:
    mail = session.get(EmailOutbox, mail_id)
    if mail is None:
        raise AdminError("Mail not found.", status=404)
    return mail


def alerts(session: Session, *, include_acknowledged: bool = False) -> list[Alert]:
    q = select(Alert).order_by(Alert.created_at.desc(), Alert.id.desc()).limit(500)
    if not include_acknowledged:
        q = q.where(Alert.acknowledged_at.is_(None))
    return list(session.scalars(q))


def acknowledge(session: Session, alert_id: int, *, actor_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise AdminError("Alert not found.", status=404)
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = datetime.now(UTC), actor_id
        session.flush()
    return alert
