"""flask-login wiring: the signed-in user as a small immutable object.

Two ways to be signed in:
* a browser session (cookie), valid while its "auth epoch" matches the user's current
  one: a password change or reset ends every other session;
* an API token (``Authorization: Bearer dra_...``) on each request; when such a header
  is present the session cookie is ignored, so the token alone decides.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, login_user
from sqlalchemy import select

from dra.accounts.api_tokens import user_for_api_token
from dra.accounts.authentication import auth_epoch
from dra.models import User

EPOCH_KEY = "_auth_epoch"


@dataclass(frozen=True)
class CurrentUser(UserMixin):
    id: int
    email: str
    display_name: str
    is_platform_admin: bool
    is_db_admin: bool
    via_api_token: bool = False

    def get_id(self) -> str:
        return str(self.id)

    @classmethod
    def from_model(cls, user: User, *, via_api_token: bool = False) -> CurrentUser:
        name = " ".join(p for p in (user.first_name, user.last_name) if p) or user.email
        return cls(
            id=user.id,
            email=user.email,
            display_name=name,
            is_platform_admin=bool(user.is_platform_admin),
            is_db_admin=bool(user.is_db_admin),
            via_api_token=via_api_token,
        )


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer ...`` header, if the request has one."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def start_session(user: User) -> None:
    """Sign in with a fresh session (no fixation) bound to the user's auth epoch."""
    session.clear()
    login_user(CurrentUser.from_model(user))
    session[EPOCH_KEY] = auth_epoch(user.password_hash)


def refresh_epoch(user: User) -> None:
    """After this session changed the password: keep it signed in, others end."""
    session[EPOCH_KEY] = auth_epoch(user.password_hash)


def configure_login(manager: LoginManager) -> None:
    manager.login_view = "auth.login"
    manager.login_message = "Please sign in to continue."
    manager.session_protection = "strong"

    @manager.user_loader
    def _load(user_id: str) -> CurrentUser | None:
        from webapp.database import get_database

        if not user_id.isdigit() or bearer_token() is not None:
            return None
        with get_database().SystemSession() as db:
            user = db.scalar(select(User).where(User.id == int(user_id)))
            if user is None or user.suspended_at is not None:
                return None
            if session.get(EPOCH_KEY) != auth_epoch(user.password_hash):
                return None  # the password changed since this session signed in
            return CurrentUser.from_model(user)

    @manager.request_loader
    def _load_from_token(_request) -> CurrentUser | None:
        from webapp.database import get_database

        token = bearer_token()
        if token is None:
            return None
        with get_database().system_session() as db:
            user = user_for_api_token(db, token)
            return None if user is None else CurrentUser.from_model(user, via_api_token=True)

    @manager.unauthorized_handler
    def _unauthorized():
        from webapp.errors import wants_json

        if wants_json() or request.headers.get("Authorization"):
            abort(
                401,
                description="Sign in, or send a valid API token (Authorization: Bearer <token>).",
            )
        flash(manager.login_message, "info")
        target = request.full_path if request.query_string else request.path
        return redirect(url_for(manager.login_view, next=target))
