"""One database session per request, opened lazily, acting as the signed-in user; the
database and the settings the app was built with."""

from __future__ import annotations

from flask import current_app, g
from flask_login import current_user
from sqlalchemy.orm import Session

from dra.db import Database, act_as
from dra.settings import Settings


def get_database() -> Database:
    return current_app.extensions["dra_database"]


def app_settings() -> Settings:
    """The settings the app was built with (``create_app``)."""
    return current_app.config["DRA_SETTINGS"]


def statement_timeout_ms() -> int:
    """How long one query of a page or of the API may run (``DRA_STATEMENT_TIMEOUT_MS``)."""
    return app_settings().statement_timeout_ms


def db_session() -> Session:
    """The request's session: row-level security applies as the signed-in user."""
    session = g.get("_dra_session")
    if session is None:
        session = get_database().AppSession()
        g._dra_session = session
        _apply_identity(session)
    return session


def _apply_identity(session: Session) -> None:
    user = current_user if current_user and current_user.is_authenticated else None
    act_as(
        session,
        user.id if user else None,
        platform_admin=bool(user and user.is_platform_admin),
    )


def commit() -> None:
    """Commit the request's work; the acting user is set again for what follows."""
    session = db_session()
    session.commit()
    _apply_identity(session)


def rollback() -> None:
    """Undo the request's uncommitted work; the acting user is set again for what follows."""
    session = db_session()
    session.rollback()
    _apply_identity(session)


def commit_on_success(response):
    """After the view: a successful answer (below 400) commits the request's work, once.

    Error answers commit nothing (the DraError handler has rolled back; anything else is
    rolled back when the session closes). Views that must commit before more work (files
    removed after the rows, a mail after the change) still call ``commit()`` themselves.
    """
    session = g.get("_dra_session")
    if session is not None and response.status_code < 400 and session.in_transaction():
        session.commit()
    return response


def close_session(_exc: BaseException | None = None) -> None:
    session = g.pop("_dra_session", None)
    if session is not None:
        session.close()  # anything not committed is rolled back
