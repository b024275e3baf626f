"""flask-login wiring: the signed-in user as a small immutable object."""

from __future__ import annotations

from dataclasses import dataclass

from flask_login import LoginManager, UserMixin
from sqlalchemy import select

from dra.models import User


@dataclass(frozen=True)
class CurrentUser(UserMixin):
    id: int
    email: str
    display_name: str
    is_platform_admin: bool
    is_db_admin: bool

    def get_id(self) -> str:
        return str(self.id)

    @classmethod
    def from_model(cls, user: User) -> CurrentUser:
        name = " ".join(p for p in (user.first_name, user.last_name) if p) or user.email
        return cls(
            id=user.id,
            email=user.email,
            display_name=name,
            is_platform_admin=bool(user.is_platform_admin),
            is_db_admin=bool(user.is_db_admin),
        )


def configure_login(manager: LoginManager) -> None:
    manager.login_view = "auth.login"
    manager.login_message = "Please sign in to continue."
    manager.session_protection = "strong"

    @manager.user_loader
    def _load(user_id: str) -> CurrentUser | None:
        from webapp.database import get_database

        if not user_id.isdigit():
            return None
        with get_database().SystemSession() as session:
            user = session.scalar(select(User).where(User.id == int(user_id)))
            if user is None or user.suspended_at is not None:
                return None
            return CurrentUser.from_model(user)
