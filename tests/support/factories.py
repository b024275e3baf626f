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


def create_user(session: Session, *, email: str | None = None, password: str = DEFAULT_PASSWORD,
                platform_admin: bool = False, verified: bool = True, first_name: str = "Test",
                last_name: str | None = None) -> UserRef:
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
