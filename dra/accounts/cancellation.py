"""UC-ACC-10: request account cancellation, and withdraw the request.

Admins review requests (UC-ADM-12); here a user creates one (at most one pending,
409 otherwise) and may withdraw it while it is pending.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dra.accounts.errors import AccountError, NotFound, ValidationFailed
from dra.accounts.notifications import notify
from dra.billing.limits import tier_for
from dra.models import AccountCancellationRequest, User, UserSubscription
from dra.models.users import CancellationStatus

REASON_MAX = 2000
ALREADY_PENDING = "A cancellation request is already pending for your account."


def latest_request(session: Session, user_id: int) -> AccountCancellationRequest | None:
    """The user's most recent cancellation request, if any."""
    return session.scalar(
        select(AccountCancellationRequest)
        .where(AccountCancellationRequest.user_id == user_id)
        .order_by(
            AccountCancellationRequest.created_at.desc(), AccountCancellationRequest.id.desc()
        )
        .limit(1)
    )


def has_paid_subscription(session: Session, user_id: int) -> bool:
    """Whether the user is on an active tier with a price above zero (ALT-ACC10B)."""
    sub = session.scalar(select(UserSubscription).where(UserSubscription.user_id == user_id))
    if sub is None or sub.cancelled_at is not None:
        return False
    price = tier_for(session, user_id).monthly_price
    return bool(price and price > 0)


def request_cancellation(session: Session, user_id: int, reason: str) -> AccountCancellationRequest:
    """Record a pending request and notify every platform admin."""
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise ValidationFailed(
            errors={"reason": f"Reason must be at most {REASON_MAX} characters."}
        )
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Account not found.")
    current = latest_request(session, user_id)
    if current is not None and current.status == CancellationStatus.PENDING:
        raise AccountError(ALREADY_PENDING, status=409)
    request = AccountCancellationRequest(
        user_id=user_id, reason=reason or None, status=CancellationStatus.PENDING
    )
    try:
        with session.begin_nested():
            session.add(request)
            session.flush()
    except IntegrityError:  # a concurrent request won
        raise AccountError(ALREADY_PENDING, status=409) from None
    paid = has_paid_subscription(session, user_id)
    message = f"{user.full_name} <{user.email}> asked to close their account."
    if reason:
        message += f" Reason: {reason}"
    if paid:
        message += " They have an active paid subscription: cancel it before deleting the account."
    admins = session.scalars(
        select(User.id).where(User.is_platform_admin.is_(True), User.suspended_at.is_(None))
    )
    for admin_id in admins:
        notify(
            session,
            admin_id,
            type="account.cancellation_requested",
            title="Account cancellation requested",
            message=message,
            link="/admin/account-cancellations",
        )
    return request


def withdraw_cancellation(session: Session, user_id: int) -> AccountCancellationRequest:
    """ALT-ACC10C: withdraw the pending request (404 when there is none pending)."""
    current = latest_request(session, user_id)
    if current is None or current.status != CancellationStatus.PENDING:
        raise NotFound("You have no pending cancellation request.")
    current.status = CancellationStatus.WITHDRAWN
    current.updated_at = datetime.now(UTC)
    session.flush()
    return current
