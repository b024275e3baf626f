"""UC-ACC-04..08: a user's notifications. Every function is scoped to ``user_id``:
another user's notification is "not found" (404), never revealed or changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from math import ceil

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from dra.accounts.errors import AccountError, NotFound
from dra.models import Notification

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class NotificationPage:
    items: list[Notification]
    page: int
    per_page: int
    total: int

    @property
    def total_pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    def as_dict(self) -> dict:
        return {
            "notifications": [notification_dict(n) for n in self.items],
            "pagination": {
                "page": self.page,
                "limit": self.per_page,
                "total": self.total,
                "totalPages": self.total_pages,
            },
        }


def notification_dict(n: Notification) -> dict:
    return {
        "id": n.id,
        "type": n.type,
        "title": n.title,
        "message": n.message,
        "link": n.link,
        "read": n.read_at is not None,
        "created_at": n.created_at.isoformat() if n.created_at else None,
    }


def list_notifications(
    session: Session, user_id: int, page: int = 1, per_page: int = PAGE_SIZE
) -> NotificationPage:
    """Newest first; ``page`` >= 1 (else 400), ``per_page`` clamped to 1..100."""
    if page < 1:
        raise AccountError("Page must be >= 1.", field="page")
    per_page = max(1, min(MAX_PAGE_SIZE, per_page))
    mine = Notification.user_id == user_id
    total = session.scalar(select(func.count()).select_from(Notification).where(mine)) or 0
    items = list(
        session.scalars(
            select(Notification)
            .where(mine)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return NotificationPage(items, page, per_page, int(total))


def unread_count(session: Session, user_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


def mark_read(session: Session, user_id: int, notification_id: int) -> None:
    """Mark one of the user's notifications read (404 when not theirs or missing)."""
    found = session.scalar(
        update(Notification)
        .where(Notification.id == notification_id, Notification.user_id == user_id)
        .values(read_at=func.coalesce(Notification.read_at, datetime.now(UTC)))
        .returning(Notification.id)
    )
    if found is None:
        raise NotFound("Notification not found.")


def mark_all_read(session: Session, user_id: int) -> int:
    """Mark every unread notification of the user read; how many changed."""
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=datetime.now(UTC))
    )
    return result.rowcount or 0


def delete_notification(session: Session, user_id: int, notification_id: int) -> None:
    """Delete one of the user's notifications (404 when not theirs or missing)."""
    found = session.scalar(
        delete(Notification)
        .where(Notification.id == notification_id, Notification.user_id == user_id)
        .returning(Notification.id)
    )
    if found is None:
        raise NotFound("Notification not found.")


def notify(
    session: Session,
    user_id: int,
    *,
    type: str,
    title: str,
    message: str = "",
    link: str | None = None,
) -> None:
    """Create a notification for any user (no RETURNING: row-level security lets the
    author insert it but only the recipient read it)."""
    # Plain SQL: SQLAlchemy adds RETURNING to a single-row insert() to learn the new id,
    # and the author may not read the recipient's row back.
    session.execute(
        text(
            "INSERT INTO app.notifications (user_id, type, title, message, link)"
            " VALUES (:user_id, :type, :title, :message, :link)"
        ),
        {"user_id": user_id, "type": type, "title": title[:200], "message": message, "link": link},
    )
