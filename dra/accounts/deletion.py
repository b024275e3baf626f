"""Deleting user accounts (UC-ADM-01, UC-ADM-12).

An account is deleted in two steps, the way a project is (UC-PROJ-03):

1. one transaction (system session) cancels an active subscription (ALT-ADM01C),
   records an alert, mails the user when an admin deletes the account directly, and
   deletes the ``users`` row; foreign keys do the rest: the projects the user owns
   (``projects.owner_id`` cascades, and with them their sources, models, dashboards and
   members) except those with a co-owner, who takes them over (BR-ADM-02); the user's
   memberships in other projects, tokens, notifications and
   requests go, and ``created_by``-like columns elsewhere become NULL;
2. once committed, the owned projects' data schemas (``raw_p<id>``, ``models_p<id>``...)
   and uploads folders are dropped. A failure there leaves the account deleted and
   raises an error alert naming the projects whose data is left.

Platform admins cannot be deleted (BR-ADM-01), nor can an admin delete themselves.
``delete_due_accounts`` deletes the accounts whose approved cancellation request has
reached its ``deletion_scheduled_for`` (the Dagster job ``account_deletion_job``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dra.admin.errors import AdminError
from dra.alerts import raise_alert
from dra.db import Database
from dra.mail import send_mail
from dra.models import (
    AccountCancellationRequest,
    Project,
    ProjectMember,
    User,
    UserSubscription,
)
from dra.models.users import CancellationStatus
from dra.projects.projects import remove_project_data

log = logging.getLogger(__name__)

ALERT_SOURCE = "accounts"
CONFIRM_FIELD = "confirm_email"
_TITLE_MAX = 200  # notifications.title, which raise_alert fills with the alert's title


@dataclass(frozen=True)
class DeletedAccount:
    """What one account deletion removed."""

    user_id: int
    email: str
    project_ids: tuple[int, ...]
    """The projects the user owned, deleted with the account."""
    subscription_cancelled: bool
    """Whether an active subscription was cancelled first (ALT-ADM01C)."""
    dropped_schemas: tuple[str, ...]
    data_left_project_ids: tuple[int, ...] = ()
    """Owned projects whose schemas or uploads could not be removed (an error alert says so)."""
    handed_over: dict[int, int] = field(default_factory=dict)
    """Projects the user owned with a co-owner: project id -> the co-owner now owning it."""

    @property
    def projects_deleted(self) -> int:
        return len(self.project_ids)


def delete_account(
    database: Database,
    data_dir: Path | str,
    user_id: int,
    *,
    actor_id: int | None = None,
    confirmation: str | None = None,
    now: datetime | None = None,
) -> DeletedAccount:
    """Delete the user ``user_id`` with the projects they own and those projects' data.

    ``actor_id`` is the platform admin deleting the account directly (UC-ADM-01): they
    cannot delete themselves, and the user is mailed that their account was deleted.
    Without it (a scheduled deletion after an approved cancellation) no mail is sent:
    the approval already told the user when. ``confirmation``, when given, must repeat
    the user's email (case and surrounding spaces aside) or nothing is deleted.

    Raises AdminError: 404 unknown user, 400 platform admin ("Cannot delete admin
    accounts."), own account, or a confirmation that does not match (field
    ``confirm_email``).
    """
    now = now or datetime.now(UTC)
    with database.system_session() as s:
        user = s.get(User, user_id, with_for_update=True)
        if user is None:
            raise AdminError("User not found.", status=404)
        if actor_id is not None and user.id == actor_id:
            raise AdminError("You cannot delete your own account.", status=400)
        if user.is_platform_admin:
            raise AdminError("Cannot delete admin accounts.", status=400)
        if confirmation is not None and confirmation.strip().lower() != user.email.lower():
            raise AdminError(
                f"Confirmation email: type {user.email} exactly to delete this account; "
                "nothing was deleted.",
                status=400,
                field=CONFIRM_FIELD,
            )
        email, name = user.email, user.full_name
        # BR-ADM-02: a project goes with the account only when the user is its sole owner;
        # a co-owner (a member with the owner role) takes over the others.
        handed_over = _hand_over_shared_projects(s, user.id)
        project_ids = tuple(
            s.scalars(select(Project.id).where(Project.owner_id == user.id).order_by(Project.id))
        )
        sub = s.scalar(
            select(UserSubscription).where(UserSubscription.user_id == user.id).with_for_update()
        )
        cancelled = sub is not None and sub.cancelled_at is None
        if cancelled:
            sub.cancelled_at = now  # ALT-ADM01C: the subscription ends before the account
            s.flush()
        if actor_id is not None:
            send_mail(
                s,
                to=email,
                subject="Your account was deleted",
                body=(
                    f"Hello {name},\n\nA platform administrator deleted your account "
                    f"({email}) with the projects you owned and their data. "
                    + ("Your subscription is cancelled. " if cancelled else "")
                    + "If you think this is a mistake, reply to this message.\n"
                ),
                category="account",
                user_id=user.id,
            )
        how = "by a platform admin" if actor_id is not None else "after an approved cancellation"
        summary = (
            f"Account {email} deleted {how}: {len(project_ids)} owned project(s) deleted"
            + (", subscription cancelled" if cancelled else "")
            + "."
        )
        raise_alert(
            s,
            source=ALERT_SOURCE,
            severity="info",
            title=_title(f"Account deleted: {email} ({len(project_ids)} project(s) deleted)"),
            details={
                "message": summary,
                "user_id": user.id,
                "email": email,
                "projects_deleted": len(project_ids),
                "project_ids": list(project_ids),
                "projects_handed_over": {str(p): u for p, u in handed_over.items()},
                "subscription_cancelled": cancelled,
                "deleted_by": actor_id,
            },
        )
        # Core delete: the database's foreign keys cascade (or set NULL) everything else.
        s.execute(delete(User).where(User.id == user.id))

    dropped, left = _remove_projects_data(database, Path(data_dir), project_ids)
    if left:
        _alert_data_left(database, email, left)
    return DeletedAccount(
        user_id=user_id,
        email=email,
        project_ids=project_ids,
        subscription_cancelled=cancelled,
        dropped_schemas=tuple(dropped),
        data_left_project_ids=tuple(left),
        handed_over=handed_over,
    )


def _hand_over_shared_projects(session: Session, user_id: int) -> dict[int, int]:
    """Give each project the user owns with co-owners to its longest-standing co-owner."""
    handed: dict[int, int] = {}
    owned = session.scalars(
        select(Project).where(Project.owner_id == user_id).order_by(Project.id).with_for_update()
    ).all()
    for project in owned:
        heir = session.scalar(
            select(ProjectMember.user_id)
            .where(
                ProjectMember.project_id == project.id,
                ProjectMember.role == "owner",
                ProjectMember.user_id != user_id,
            )
            .order_by(ProjectMember.created_at, ProjectMember.user_id)
            .limit(1)
        )
        if heir is not None:
            project.owner_id = heir
            handed[project.id] = heir
    session.flush()
    return handed


def _title(text: str) -> str:
    return text if len(text) <= _TITLE_MAX else text[: _TITLE_MAX - 1] + "…"


def _remove_projects_data(
    database: Database, data_dir: Path, project_ids: tuple[int, ...]
) -> tuple[list[str], list[int]]:
    """Drop each project's schemas and uploads; returns (dropped schemas, projects left)."""
    dropped: list[str] = []
    left: list[int] = []
    for project_id in project_ids:
        try:
            dropped += remove_project_data(database, data_dir, project_id)
        except Exception:  # noqa: BLE001 - the account is gone; report what is left
            log.exception("data of deleted project %s could not be removed", project_id)
            left.append(project_id)
    return dropped, left


def _alert_data_left(database: Database, email: str, project_ids: list[int]) -> None:
    names = ", ".join(f"p{p}" for p in project_ids)
    try:
        with database.system_session() as s:
            raise_alert(
                s,
                source=ALERT_SOURCE,
                severity="error",
                title=_title(f"Data of deleted account {email} left behind ({names})"),
                details={
                    "message": (
                        f"The account {email} was deleted, but the schemas (<layer>_p<id>) or "
                        f"uploads folders of projects {names} could not be removed; drop them "
                        "by hand."
                    ),
                    "email": email,
                    "project_ids": project_ids,
                },
            )
    except Exception:  # noqa: BLE001 - already logged per project
        log.exception("could not record the alert about %s's leftover data", email)


def due_user_ids(database: Database, now: datetime | None = None) -> list[int]:
    """Users with an approved cancellation whose deletion date has come (admins excluded)."""
    now = now or datetime.now(UTC)
    with database.system_session() as s:
        return list(
            s.scalars(
                select(AccountCancellationRequest.user_id)
                .join(User, User.id == AccountCancellationRequest.user_id)
                .where(
                    AccountCancellationRequest.status == CancellationStatus.APPROVED,
                    AccountCancellationRequest.deletion_scheduled_for.is_not(None),
                    AccountCancellationRequest.deletion_scheduled_for <= now,
                    User.is_platform_admin.is_(False),
                )
                .group_by(AccountCancellationRequest.user_id)
                .order_by(AccountCancellationRequest.user_id)
            )
        )


def delete_due_accounts(
    database: Database, data_dir: Path | str, now: datetime | None = None
) -> list[DeletedAccount]:
    """Delete every account whose approved cancellation reached ``deletion_scheduled_for``.

    Platform admins are skipped (BR-ADM-01). A failure deletes nothing of that account,
    is logged and raised as an error alert, and the other accounts are still deleted.
    Returns the accounts deleted.
    """
    now = now or datetime.now(UTC)
    deleted: list[DeletedAccount] = []
    for user_id in due_user_ids(database, now):
        try:
            deleted.append(delete_account(database, data_dir, user_id, now=now))
        except AdminError as exc:
            if exc.status == 404:  # deleted meanwhile (another run, an admin)
                continue
            _alert_failure(database, user_id, exc.message)
        except Exception as exc:  # noqa: BLE001 - one account must not stop the others
            log.exception("scheduled deletion of user %s failed", user_id)
            _alert_failure(database, user_id, f"{type(exc).__name__}: {exc}")
    return deleted


def _alert_failure(database: Database, user_id: int, message: str) -> None:
    log.warning("scheduled deletion of user %s failed: %s", user_id, message)
    try:
        with database.system_session() as s:
            email = s.scalar(select(User.email).where(User.id == user_id)) or f"#{user_id}"
            raise_alert(
                s,
                source=ALERT_SOURCE,
                severity="error",
                title=_title(f"Scheduled deletion of account {email} failed"),
                details={
                    "message": f"The account {email} is due for deletion but was not "
                    f"deleted: {message[:1500]}",
                    "user_id": user_id,
                },
            )
    except Exception:  # noqa: BLE001 - already logged
        log.exception("could not record the alert about user %s", user_id)
