"""Who may use the database pages: platform admins and users granted database-admin access."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def is_db_admin() -> bool:
    """Whether the signed-in user may use /admin/database."""
    return bool(
        current_user.is_authenticated
        and (current_user.is_platform_admin or current_user.is_db_admin)
    )


def db_admin_required(view: Callable) -> Callable:
    """Decorator: platform admins or database admins (403 for other users)."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not is_db_admin():
            abort(403, description="This page is for database administrators.")
        return view(*args, **kwargs)

    wrapped.required_permission = "platform:db_admin"
    return wrapped
