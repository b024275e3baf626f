"""Password rules and changing a password (UC-ACC-02), against the real database."""

import pytest

from dra.accounts.authentication import auth_epoch
from dra.accounts.errors import AccountError, ValidationFailed
from dra.accounts.passwords import change_password, new_password_errors, password_problem
from dra.models import User
from dra.security.passwords import verify_password
from tests.support.factories import DEFAULT_PASSWORD


@pytest.mark.parametrize(
    "password, expected",
    [
        ("short1A", "at least 10"),
        ("alllowercaseletters", "two kinds"),
        ("12345678901234", "two kinds"),
        ("x" * 300 + "1", "at most 256"),
        ("ana@example.com", "email"),
        ("Ana@Example.com", "email"),
    ],
)
def test_password_problem(password, expected):
    assert expected in password_problem(password, "ana@example.com")


def test_password_equal_to_email_local_part_is_refused():
    assert "email" in password_problem("ana.lopez-99", "ana.lopez-99@example.com")


def test_acceptable_passwords():
    for ok in ("correct-horse-9", "Tr0ub4dor&3x", "longpassphrase with spaces"):
        assert password_problem(ok, "ana@example.com") is None


def test_confirmation_mismatch_is_a_field_error():
    errors = new_password_errors("correct-horse-9", "correct-horse-8", "a@b.io")
    assert errors == {"confirm_password": "The two passwords do not match."}


def test_change_password(database, make_user):
    ref = make_user(email="pw@example.com")
    with database.system_session() as s:
        before = auth_epoch(s.get(User, ref.id).password_hash)
        with pytest.raises(AccountError, match="Current password is incorrect"):
            change_password(s, ref.id, "wrong-password-1", "new-password-42", "new-password-42")
        with pytest.raises(AccountError, match="must differ"):
            change_password(s, ref.id, DEFAULT_PASSWORD, DEFAULT_PASSWORD, DEFAULT_PASSWORD)
        with pytest.raises(ValidationFailed) as weak:
            change_password(s, ref.id, DEFAULT_PASSWORD, "short", "short")
        assert "new_password" in weak.value.errors
        with pytest.raises(ValidationFailed) as mismatch:
            change_password(s, ref.id, DEFAULT_PASSWORD, "new-password-42", "new-password-43")
        assert "confirm_new_password" in mismatch.value.errors
        change_password(s, ref.id, DEFAULT_PASSWORD, "new-password-42", "new-password-42")
    with database.system_session() as s:
        user = s.get(User, ref.id)
        assert verify_password(user.password_hash, "new-password-42")
        assert auth_epoch(user.password_hash) != before
