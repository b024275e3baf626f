"""Role fields of the members page and of invitations: one validation, two lists of roles."""

from __future__ import annotations

import pytest

from dra.accounts import tokens
from dra.projects import invitations, members
from dra.projects.errors import ProjectError


@pytest.mark.parametrize(
    ("clean", "raw", "expected", "choices"),
    [
        (members.clean_role, " Owner ", "owner", "viewer, editor, admin, owner"),
        (invitations.clean_invitable_role, "EDITOR", "editor", "viewer, editor, admin"),
    ],
)
def test_a_role_is_read_one_way_from_its_own_list(clean, raw, expected, choices):
    assert clean(raw) == expected
    for bad in ("", None, "boss"):
        with pytest.raises(ProjectError) as err:
            clean(bad)
        assert (err.value.status, err.value.field) == (400, "role")
        assert err.value.message == f"Invalid role. Must be one of: {choices}."


def test_owner_cannot_be_invited_and_a_narrower_list_can_be_asked_for():
    with pytest.raises(ProjectError):
        invitations.clean_invitable_role("owner")
    assert members.clean_role("viewer", ("viewer",)) == "viewer"
    with pytest.raises(ProjectError) as err:
        members.clean_role("admin", ("viewer",))
    assert err.value.message == "Invalid role. Must be one of: viewer."


def test_invitation_tokens_are_hashed_like_every_other_secret():
    assert invitations.hash_token is tokens.hash_token
