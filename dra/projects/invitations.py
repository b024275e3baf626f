"""Invitations to join a project (UC-PROJ-05..07).

Inviting an email that belongs to a registered user adds that user at once and tells
them (BR-PROJ-07); any other email gets an invitation whose link carries a secret
token (stored only as its SHA-256) valid for ``INVITATION_DAYS`` days.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from dra.accounts.tokens import hash_token
from dra.billing.limits import Limit, LimitExceeded, check_limit
from dra.errors import project_row
from dra.mail import send_mail
from dra.models import Notification, Project, ProjectInvitation, ProjectMember, User
from dra.models.columns import EMAIL_LENGTH
from dra.models.projects import InvitableRole, InvitationStatus
from dra.projects.errors import ProjectError
from dra.projects.members import clean_role, project_owner

INVITATION_DAYS = 7
INVITABLE = tuple(role.value for role in reversed(list(InvitableRole)))  # viewer, editor, admin
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class InviteResult:
    added_directly: bool
    email: str
    role: str
    token: str | None = None  # the secret of a new invitation (mailed; never stored in clear)


def clean_email(raw: str | None) -> str:
    email = (raw or "").strip()
    if not email or len(email) > EMAIL_LENGTH or not _EMAIL.match(email):
        raise ProjectError("Invalid email format.", status=400, field="email")
    return email


def clean_invitable_role(raw: str | None) -> str:
    return clean_role(raw, INVITABLE)


def check_member_limit(limit_session: Session, project_id: int) -> None:
    """403 when the owner's tier allows no more members in this project.

    ``limit_session`` must see the owner's subscription: row-level security shows a
    subscription only to its user, so callers acting as a project admin pass a system
    session here (read-only use).
    """
    owner_id = project_owner(
        limit_session, project_id, ProjectError("Project not found.", status=404)
    )
    try:
        check_limit(limit_session, owner_id, Limit.MEMBERS_PER_PROJECT, project_id=project_id)
    except LimitExceeded as exc:
        raise ProjectError(exc.message, status=403) from None


def notify(
    session: Session,
    user_id: int,
    *,
    title: str,
    message: str,
    link: str,
    kind: str = "project.member_added",
) -> None:
    """Tell another user something in their notification panel.

    Row-level security lets the recipient alone read a notification, so the insert must
    not ask for the new row back: an ``inline()`` Core insert has no RETURNING.
    """
    session.execute(
        insert(Notification.__table__)
        .inline()
        .values(user_id=user_id, type=kind, title=title[:200], message=message, link=link)
    )


def invite(
    session: Session,
    project_id: int,
    email: str | None,
    role: str | None,
    *,
    inviter_id: int,
    base_url: str,
    limit_session: Session | None = None,
) -> InviteResult:
    """Invite ``email`` with ``role`` (UC-PROJ-05); see the module docstring."""
    email = clean_email(email)
    role = clean_invitable_role(role)
    project = session.get(Project, project_id)
    if project is None:
        raise ProjectError("Project not found.", status=404)
    user = session.scalar(select(User).where(func.lower(User.email) == email.lower()))
    if user is not None and session.scalar(
        select(ProjectMember.id).where(
            ProjectMember.project_id == project_id, ProjectMember.user_id == user.id
        )
    ):
        raise ProjectError("User is already a member of this project.", status=409, field="email")
    check_member_limit(limit_session or session, project_id)
    inviter = session.get(User, inviter_id)
    inviter_name = inviter.full_name if inviter else "A colleague"
    link = f"{base_url.rstrip('/')}/projects/{project_id}"
    if user is not None:
        session.add(
            ProjectMember(project_id=project_id, user_id=user.id, role=role, added_by=inviter_id)
        )
        session.flush()
        notify(
            session,
            user.id,
            title=f"You joined {project.name}",
            message=f"{inviter_name} added you to {project.name} as {role}.",
            link=f"/projects/{project_id}",
        )
        for pending in session.scalars(
            select(ProjectInvitation).where(
                ProjectInvitation.project_id == project_id,
                func.lower(ProjectInvitation.email) == email.lower(),
                ProjectInvitation.status == InvitationStatus.PENDING,
            )
        ):
            pending.status = InvitationStatus.ACCEPTED  # superseded by the direct add
            pending.responded_at = datetime.now(UTC)
        send_mail(
            session,
            to=user.email,
            subject=f"You were added to {project.name}",
            body=(
                f"Hello {user.full_name},\n\n{inviter_name} added you to the project "
                f"“{project.name}” as {role}.\n\nOpen it: {link}\n"
            ),
            category="notification",
            user_id=user.id,
            prefs_session=limit_session,
        )
        return InviteResult(added_directly=True, email=user.email, role=role)
    _expire_stale(session, project_id, email)
    if session.scalar(
        select(ProjectInvitation.id).where(
            ProjectInvitation.project_id == project_id,
            func.lower(ProjectInvitation.email) == email.lower(),
            ProjectInvitation.status == InvitationStatus.PENDING,
        )
    ):
        raise ProjectError(
            "An invitation to this email is already pending. Cancel it first to send a new one.",
            status=409,
            field="email",
        )
    token = secrets.token_urlsafe(32)
    session.add(
        ProjectInvitation(
            project_id=project_id,
            email=email,
            role=role,
            token_hash=hash_token(token),
            expires_at=datetime.now(UTC) + timedelta(days=INVITATION_DAYS),
            invited_by=inviter_id,
        )
    )
    session.flush()
    accept = f"{base_url.rstrip('/')}/projects/invitations/{token}"
    send_mail(
        session,
        to=email,
        subject=f"{inviter_name} invited you to {project.name}",
        body=(
            f"Hello,\n\n{inviter_name} invited you to join the project "
            f"“{project.name}” on DRA Platform as {role}.\n\n"
            f"Accept or decline the invitation here (valid {INVITATION_DAYS} days):\n"
            f"{accept}\n\nIf you have no account yet, create one with this email "
            "address first.\n"
        ),
        category="invitation",
    )
    return InviteResult(added_directly=False, email=email, role=role, token=token)


def _expire_stale(session: Session, project_id: int, email: str) -> None:
    """Mark this email's expired pending invitations as expired (frees the pending slot)."""
    for stale in session.scalars(
        select(ProjectInvitation).where(
            ProjectInvitation.project_id == project_id,
            func.lower(ProjectInvitation.email) == email.lower(),
            ProjectInvitation.status == InvitationStatus.PENDING,
            ProjectInvitation.expires_at <= datetime.now(UTC),
        )
    ):
        stale.status = InvitationStatus.EXPIRED
    session.flush()


def pending_invitations(session: Session, project_id: int) -> list[ProjectInvitation]:
    return list(
        session.scalars(
            select(ProjectInvitation)
            .where(
                ProjectInvitation.project_id == project_id,
                ProjectInvitation.status == InvitationStatus.PENDING,
            )
            .order_by(ProjectInvitation.created_at.desc())
        )
    )


def cancel_invitation(session: Session, project_id: int, invitation_id: int) -> str:
    """A manager withdraws a pending invitation (UC-PROJ-07); returns its email."""
    missing = ProjectError("Invitation not found.", status=404)
    invitation = project_row(session, ProjectInvitation, project_id, invitation_id, missing)
    if invitation.status != InvitationStatus.PENDING:
        raise ProjectError(f"This invitation was already {invitation.status}.", status=409)
    invitation.status = InvitationStatus.CANCELLED
    invitation.responded_at = datetime.now(UTC)
    session.flush()
    return invitation.email


def invitation_by_token(session: Session, token: str) -> ProjectInvitation:
    invitation = session.scalar(
        select(ProjectInvitation).where(ProjectInvitation.token_hash == hash_token(token or ""))
    )
    if invitation is None:
        raise ProjectError("This invitation link is not valid.", status=404)
    return invitation


def check_open(invitation: ProjectInvitation) -> None:
    """Raise unless the invitation can still be answered."""
    if invitation.status != InvitationStatus.PENDING:
        raise ProjectError(f"This invitation was already {invitation.status}.", status=409)
    if invitation.expires_at <= datetime.now(UTC):
        raise ProjectError(
            "Invitation has expired. Please ask the project owner to re-invite you.", status=400
        )


def check_addressed_to(invitation: ProjectInvitation, email: str) -> None:
    """403 unless ``email`` is the invited address (the link may have been forwarded)."""
    if email.lower() != invitation.email.lower():
        raise ProjectError(
            f"This invitation was sent to {invitation.email}. Sign in with that "
            "address to answer it.",
            status=403,
        )


def respond(session: Session, invitation: ProjectInvitation, user_id: int, *, accept: bool) -> int:
    """The invited user accepts (joins with the invited role) or declines; returns the
    project id (UC-PROJ-06/07). The signed-in user's email must be the invited one.

    Accepting re-checks the owner's member limit, so ``session`` must see the owner's
    subscription and the project's members (a system session: the invitee is not a
    member yet).
    """
    user = session.get(User, user_id)
    check_addressed_to(invitation, user.email if user else "")
    check_open(invitation)
    now = datetime.now(UTC)
    already = session.scalar(
        select(ProjectMember.id).where(
            ProjectMember.project_id == invitation.project_id, ProjectMember.user_id == user_id
        )
    )
    if accept and already is None:
        check_member_limit(session, invitation.project_id)
        session.add(
            ProjectMember(
                project_id=invitation.project_id,
                user_id=user_id,
                role=invitation.role,
                added_by=invitation.invited_by,
            )
        )
    invitation.status = InvitationStatus.ACCEPTED if accept else InvitationStatus.DECLINED
    invitation.responded_at = now
    if invitation.invited_by is not None:
        project_name = session.scalar(
            select(Project.name).where(Project.id == invitation.project_id)
        )
        verb = "accepted" if accept else "declined"
        notify(
            session,
            invitation.invited_by,
            kind=f"project.invitation_{verb}",
            title=f"{user.full_name} {verb} your invitation",
            message=f"{user.email} {verb} the invitation to {project_name}.",
            link=f"/projects/{invitation.project_id}/members",
        )
    session.flush()
    return invitation.project_id
