"""Account cancellation requests: review, approve or reject with a note (UC-ADM-12).

Approving cancels the user's subscription, schedules the account's deletion
``GRACE_DAYS`` days later and mails the user; rejecting mails them the note.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from dra.admin.errors import AdminError
from dra.mail import send_mail
from dra.models import AccountCancellationRequest, User, UserSubscription
from dra.models.users import CancellationStatus

GRACE_DAYS = 30
NOTE_MAX = 2000


def list_requests(session: Session) -> list[tuple[AccountCancellationRequest, User]]:
    """Pending requests first (oldest first), then processed ones (newest first)."""
    pending_first = case(
        (AccountCancellationRequest.status == CancellationStatus.PENDING, 0), else_=1
    )
    return [
        (r, u)
        for r, u in session.execute(
            select(AccountCancellationRequest, User)
            .join(User, User.id == AccountCancellationRequest.user_id)
            .order_by(pending_first, AccountCancellationRequest.created_at)
        ).all()
    ]


def _pending(session: Session, request_id: int) -> AccountCancellationRequest:
    req = session.get(AccountCancellationRequest, request_id)
    if req is None:
        raise AdminError("Cancellation request not found.", status=404)
    if req.status != CancellationStatus.PENDING:
        raise AdminError(f"This request was already {req.status}.", status=409)
    return req


def _note(raw: str | None) -> str | None:
    note = (raw or "").strip()
    if len(note) > NOTE_MAX:
        raise AdminError(
            f"The note must be at most {NOTE_MAX} characters.", status=400, field="note"
        )
    return note or None


def _tell_requester(
    session: Session, req: AccountCancellationRequest, subject: str, message: str
) -> None:
    """Mail the decision to the user who asked (account mail: always sent)."""
    user = session.get(User, req.user_id)
    send_mail(
        session,
        to=user.email,
        subject=subject,
        body=f"Hello {user.full_name},\n\n{message}\n",
        category="account",
        user_id=user.id,
    )
    session.flush()


def approve(
    session: Session, request_id: int, note: str | None, *, actor_id: int
) -> AccountCancellationRequest:
    req = _pending(session, request_id)
    now = datetime.now(UTC)
    req.status = CancellationStatus.APPROVED
    req.admin_note = _note(note)
    req.processed_by, req.processed_at = actor_id, now
    req.deletion_scheduled_for = now + timedelta(days=GRACE_DAYS)
    sub = session.scalar(select(UserSubscription).where(UserSubscription.user_id == req.user_id))
    if sub is not None and sub.cancelled_at is None:
        sub.cancelled_at = now
    _tell_requester(
        session,
        req,
        "Your account cancellation was approved",
        "Your request to close your account was approved. Your subscription is cancelled "
        f"and the account will be deleted on {req.deletion_scheduled_for:%Y-%m-%d}."
        + (f"\n\nNote from the team: {req.admin_note}" if req.admin_note else ""),
    )
    return req


def reject(
    session: Session, request_id: int, note: str | None, *, actor_id: int
) -> AccountCancellationRequest:
    note = _note(note)
    if not note:
        raise AdminError(
            "Say why the request is rejected (the user receives this note).",
            status=400,
            field="note",
        )
    req = _pending(session, request_id)
    req.status = CancellationStatus.REJECTED
    req.admin_note = note
    req.processed_by, req.processed_at = actor_id, datetime.now(UTC)
    _tell_requester(
        session,
        req,
        "About your account cancellation request",
        f"Your request to close your account was not approved.\n\nNote from the team: {note}",
    )
    return req
