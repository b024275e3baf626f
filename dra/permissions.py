"""Project roles and what each may do: the one place this rule lives."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    PROJECT_VIEW = "project:view"
    PROJECT_EDIT = "project:edit"
    PROJECT_DELETE = "project:delete"
    PROJECT_MANAGE_MEMBERS = "project:manage_members"
    DATA_SOURCE_VIEW = "data_source:view"
    DATA_SOURCE_CREATE = "data_source:create"
    DATA_SOURCE_EDIT = "data_source:edit"
    DATA_SOURCE_DELETE = "data_source:delete"
    DATA_MODEL_VIEW = "data_model:view"
    DATA_MODEL_CREATE = "data_model:create"
    DATA_MODEL_EDIT = "data_model:edit"
    DATA_MODEL_DELETE = "data_model:delete"
    DATA_MODEL_EXECUTE = "data_model:execute"
    DASHBOARD_VIEW = "dashboard:view"
    DASHBOARD_CREATE = "dashboard:create"
    DASHBOARD_EDIT = "dashboard:edit"
    DASHBOARD_DELETE = "dashboard:delete"
    DASHBOARD_SHARE = "dashboard:share"
    ATTRIBUTION_VIEW = "attribution:view"
    ATTRIBUTION_ANALYZE = "attribution:analyze"  # generate reports, funnels
    ATTRIBUTION_MANAGE = "attribution:manage"  # tracking write keys


P = Permission
ALL = frozenset(Permission)
DELETES = frozenset(
    {P.PROJECT_DELETE, P.DATA_SOURCE_DELETE, P.DATA_MODEL_DELETE, P.DASHBOARD_DELETE}
)
VIEWS = frozenset(
    {P.PROJECT_VIEW, P.DATA_SOURCE_VIEW, P.DATA_MODEL_VIEW, P.DASHBOARD_VIEW, P.ATTRIBUTION_VIEW}
)

ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "owner": ALL,
    "admin": ALL - DELETES,
    "editor": VIEWS
    | {
        P.DATA_SOURCE_CREATE,  # UC-DS-01..14: "Project Owner / Editor" add, connect, refresh
        P.DATA_SOURCE_EDIT,
        P.DATA_MODEL_CREATE,
        P.DATA_MODEL_EDIT,
        P.DATA_MODEL_EXECUTE,
        P.DASHBOARD_CREATE,
        P.DASHBOARD_EDIT,
        P.DASHBOARD_SHARE,
        P.ATTRIBUTION_ANALYZE,
    },
    "viewer": VIEWS | {P.DATA_MODEL_EXECUTE},
}

ROLES = ("owner", "admin", "editor", "viewer")


def role_allows(role: str | None, permission: Permission | str) -> bool:
    """Whether a member with ``role`` holds ``permission`` (None: not a member)."""
    if role is None:
        return False
    return Permission(permission) in ROLE_PERMISSIONS.get(role, frozenset())
