"""dra.permissions: the one rule mapping project roles to permissions."""

from __future__ import annotations

import pytest

from dra.models.projects import InvitableRole, ProjectRole
from dra.permissions import ROLE_PERMISSIONS, ROLES, Permission, role_allows

P = Permission


def test_roles_are_the_model_roles_highest_first():
    assert ROLES == ("owner", "admin", "editor", "viewer")
    assert set(ROLES) == {r.value for r in ProjectRole} == set(ROLE_PERMISSIONS)
    assert {r.value for r in InvitableRole} == set(ROLES) - {"owner"}


def test_each_role_holds_everything_the_role_below_holds():
    for higher, lower in zip(ROLES, ROLES[1:], strict=False):
        assert ROLE_PERMISSIONS[lower] < ROLE_PERMISSIONS[higher], (higher, lower)


def test_owner_holds_everything_and_only_owners_delete():
    assert ROLE_PERMISSIONS["owner"] == frozenset(Permission)
    deletes = {p for p in Permission if p.value.endswith(":delete")}
    for role in ("admin", "editor", "viewer"):
        assert not deletes & ROLE_PERMISSIONS[role], role


@pytest.mark.parametrize(
    ("role", "permission", "allowed"),
    [
        ("admin", P.PROJECT_MANAGE_MEMBERS, True),
        ("admin", P.DATA_SOURCE_CREATE, True),
        ("editor", P.PROJECT_MANAGE_MEMBERS, False),
        ("editor", P.DATA_SOURCE_CREATE, True),  # UC-DS-01..14: "Project Owner / Editor"
        ("editor", P.DATA_SOURCE_EDIT, True),
        ("editor", P.DATA_SOURCE_DELETE, False),
        ("editor", P.DATA_MODEL_CREATE, True),
        ("editor", P.DASHBOARD_SHARE, True),
        ("viewer", P.DATA_MODEL_EXECUTE, True),
        ("viewer", P.DASHBOARD_EDIT, False),
        ("viewer", P.PROJECT_VIEW, True),
    ],
)
def test_role_allows(role, permission, allowed):
    assert role_allows(role, permission) is allowed
    assert role_allows(role, permission.value) is allowed  # plain strings work too


def test_every_role_can_view_every_kind_of_resource():
    views = [p for p in Permission if p.value.endswith(":view")]
    assert {role for role in ROLES if all(role_allows(role, p) for p in views)} == set(ROLES)


def test_non_members_and_unknown_roles_hold_nothing():
    assert not any(role_allows(None, p) for p in Permission)
    assert not any(role_allows("superuser", p) for p in Permission)
    assert not role_allows("", P.PROJECT_VIEW)


def test_unknown_permission_is_an_error_not_a_silent_no():
    with pytest.raises(ValueError):
        role_allows("owner", "project:fly")
