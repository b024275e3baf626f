"""The contract between application sessions and the database's row-level security.

Migration ``0002_roles_rls`` creates the roles and policies; this module names them
for Python code. A request of a signed-in user runs, in one transaction::

    SET LOCAL ROLE dra_app;                               -- unless connected as dra_app
    SELECT set_config('dra.user_id', '42', true);         -- true: for this transaction
    SELECT set_config('dra.platform_admin', 'off', true);

``apply_rls_context`` does exactly that. Sessions that connect as the owner or a
superuser and do not ``SET ROLE`` (migrations, Dagster, deliberate "system" work)
bypass row-level security.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

OWNER_ROLE = "dra_owner"
"""NOLOGIN role owning schema ``app`` and everything in it."""
APP_ROLE = "dra_app"
"""Role of the web app: DML on ``app`` tables, subject to row-level security."""
READONLY_ROLE = "dra_readonly"
"""Role for ad-hoc queries and dashboards: no access to ``app`` at all."""

USER_ID_SETTING = "dra.user_id"
PLATFORM_ADMIN_SETTING = "dra.platform_admin"
TRACKING_PROJECT_SETTING = "dra.tracking_project_id"
PUBLIC_DASHBOARD_SETTING = "dra.public_dashboard_id"

_SET_CONTEXT = text(
    "SELECT set_config('dra.user_id', :user_id, true),"
    " set_config('dra.platform_admin', :platform_admin, true),"
    " set_config('dra.tracking_project_id', :tracking_project_id, true),"
    " set_config('dra.public_dashboard_id', :public_dashboard_id, true)"
)


def _setting(value: int | None) -> str:
    return "" if value is None else str(int(value))


def apply_rls_context(
    bind: Connection | Session,
    user_id: int | None,
    *,
    platform_admin: bool = False,
    tracking_project_id: int | None = None,
    public_dashboard_id: int | None = None,
    set_role: bool = True,
) -> None:
    """Act as ``user_id`` (or nobody) under row-level security until the transaction ends.

    ``platform_admin`` only takes effect when ``user_id`` is a user whose
    ``is_platform_admin`` flag is set. ``tracking_project_id`` lets the tracking
    endpoint insert events for that one project; ``public_dashboard_id`` lets a
    public link read that one dashboard, its widgets and their models. With
    ``set_role`` the transaction also switches to ``dra_app`` (needed when the
    connection's own user is the owner or a superuser).
    """
    if set_role:
        bind.execute(text(f"SET LOCAL ROLE {APP_ROLE}"))
    bind.execute(
        _SET_CONTEXT,
        {
            "user_id": _setting(user_id),
            "platform_admin": "on" if platform_admin else "off",
            "tracking_project_id": _setting(tracking_project_id),
            "public_dashboard_id": _setting(public_dashboard_id),
        },
    )
