"""Builders for test data, going through the same models the app uses."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from sqlalchemy.orm import Session

from dra.models import Project, ProjectMember, User
from dra.security.passwords import hash_password

DEFAULT_PASSWORD = "correct-horse-9"
_counter = itertools.count(1)
_hash_cache: dict[str, str] = {}


@dataclass(frozen=True)
class UserRef:
    id: int
    email: str


def _hash(password: str) -> str:
    if password not in _hash_cache:
        _hash_cache[password] = hash_password(password)
    return _hash_cache[password]


def create_user(
    session: Session,
    *,
    email: str | None = None,
    password: str = DEFAULT_PASSWORD,
    platform_admin: bool = False,
    verified: bool = True,
    first_name: str = "Test",
    last_name: str | None = None,
) -> UserRef:
    n = next(_counter)
    user = User(
        email=email or f"user{n}@example.com",
        password_hash=_hash(password),
        first_name=first_name,
        last_name=last_name if last_name is not None else f"User{n}",
        is_verified=verified,
        is_platform_admin=platform_admin,
    )
    session.add(user)
    session.flush()
    return UserRef(id=user.id, email=user.email)


def create_project(session: Session, owner: UserRef, name: str | None = None) -> int:
    project = Project(owner_id=owner.id, name=name or f"Project {next(_counter)}")
    session.add(project)
    session.flush()
    session.add(ProjectMember(project_id=project.id, user_id=owner.id, role="owner"))
    session.flush()
    return project.id


def add_member(session: Session, project_id: int, user: UserRef, role: str) -> None:
    session.add(ProjectMember(project_id=project_id, user_id=user.id, role=role))
    session.flush()


def set_tier(session: Session, user: UserRef, tier_name: str) -> None:
    """Put the user on the named subscription tier (creating or moving their subscription)."""
    from sqlalchemy import select

    from dra.models import SubscriptionTier, UserSubscription

    tier_id = session.scalar(select(SubscriptionTier.id).where(SubscriptionTier.name == tier_name))
    assert tier_id is not None, f"no tier named {tier_name!r}"
    sub = session.scalar(select(UserSubscription).where(UserSubscription.user_id == user.id))
    if sub is None:
        session.add(UserSubscription(user_id=user.id, tier_id=tier_id))
    else:
        sub.tier_id = tier_id
    session.flush()


@dataclass(frozen=True)
class ProjectWithRoles:
    """A project with one user per role, plus an outsider with a project of their own."""

    project_id: int
    owner: UserRef
    admin: UserRef
    editor: UserRef
    viewer: UserRef
    outsider: UserRef
    outsider_project_id: int
    platform_admin: UserRef

    def user(self, role: str) -> UserRef:
        return getattr(self, role)


def project_with_roles(session: Session, *, tier: str = "Enterprise") -> ProjectWithRoles:
    """Owner (on ``tier``), admin, editor and viewer members; an outsider; a platform admin."""
    owner = create_user(session, first_name="Olga")
    set_tier(session, owner, tier)
    project_id = create_project(session, owner)
    users = {}
    for role in ("admin", "editor", "viewer"):
        users[role] = create_user(session, first_name=role.title())
        add_member(session, project_id, users[role], role)
    outsider = create_user(session, first_name="Otto")
    outsider_project = create_project(session, outsider)
    platform_admin = create_user(session, first_name="Paula", platform_admin=True)
    return ProjectWithRoles(
        project_id=project_id,
        owner=owner,
        outsider=outsider,
        outsider_project_id=outsider_project,
        platform_admin=platform_admin,
        **users,
    )


def add_quality_report_and_rule(session: Session, model_id: int) -> int:
    """An (empty) quality report of the model and one cleaning rule; the rule's id."""
    from dra.models import QualityReport, QualityRule
    from dra.quality.profiling import build_report

    session.add(
        QualityReport(
            data_model_id=model_id,
            score=0,
            row_count=0,
            report=build_report([], {"rows": 0}, {}, {}, []),
        )
    )
    rule = QualityRule(data_model_id=model_id, rule={"type": "remove_duplicates"})
    session.add(rule)
    session.flush()
    return rule.id
