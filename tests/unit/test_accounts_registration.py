"""Registration, verification, sign-in checks and password reset as plain functions."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from dra.accounts.authentication import SignIn, check_credentials
from dra.accounts.errors import AccountError, ValidationFailed
from dra.accounts.recovery import request_password_reset, reset_password, reset_token_user
from dra.accounts.registration import (
    DUPLICATE_EMAIL,
    NOT_ON_BETA_LIST,
    REGISTRATION_CLOSED,
    register,
    resend_verification,
    verify_email,
)
from dra.accounts.tokens import hash_token
from dra.models import (
    BetaAllowlistEntry,
    EmailVerificationToken,
    PasswordResetToken,
    PlatformSetting,
    User,
)

GOOD = "Sunny-river-42"


def _register(s, email="new@example.com", **kw):
    fields = {
        "email": email,
        "password": GOOD,
        "confirm_password": GOOD,
        "first_name": "Nia",
        "last_name": "Lee",
        **kw,
    }
    return register(s, **fields)


def test_register_stores_hashes_only_and_starts_unverified(database):
    with database.system_session() as s:
        user, secret = _register(s)
        assert not user.is_verified and user.password_hash.startswith("$argon2")
        row = s.scalar(
            select(EmailVerificationToken).where(EmailVerificationToken.user_id == user.id)
        )
        assert row.token_hash == hash_token(secret) and secret not in row.token_hash
        assert timedelta(hours=23) < row.expires_at - datetime.now(UTC) <= timedelta(hours=24)
        assert check_credentials(s, "new@example.com", GOOD).outcome is SignIn.UNVERIFIED


def test_duplicate_email_is_refused_whatever_the_case(database):
    with database.system_session() as s:
        _register(s, "Dup@Example.com")
    with database.system_session() as s, pytest.raises(AccountError) as exc:
        _register(s, "dup@EXAMPLE.com")
    assert exc.value.message == DUPLICATE_EMAIL and exc.value.field == "email"


def test_field_errors_name_each_field(database):
    with database.system_session() as s, pytest.raises(ValidationFailed) as exc:
        register(
            s,
            email="not-an-email",
            password="short",
            confirm_password="short",
            first_name="",
            last_name="x" * 101,
        )
    assert set(exc.value.errors) == {"email", "password", "first_name", "last_name"}
    assert exc.value.status == 422
    with database.system_session() as s:
        assert s.scalar(select(User.id)) is None


def test_password_must_not_be_the_email(database):
    with database.system_session() as s, pytest.raises(ValidationFailed) as exc:
        register(
            s,
            email="longname@example.com",
            password="LongName@example.com",
            confirm_password=None,
            first_name="A",
            last_name="",
        )
    assert "email" in exc.value.errors["password"]


def test_registration_closed_and_private_beta(database):
    with database.system_session() as s:
        s.merge(PlatformSetting(key="registration_open", value=False))
    with database.system_session() as s, pytest.raises(AccountError) as closed:
        _register(s)
    assert closed.value.message == REGISTRATION_CLOSED and closed.value.status == 403
    with database.system_session() as s:
        s.merge(PlatformSetting(key="registration_open", value=True))
        s.merge(PlatformSetting(key="private_beta", value=True))
        s.add(BetaAllowlistEntry(email="Invited@Example.com"))
    with database.system_session() as s, pytest.raises(AccountError) as beta:
        _register(s, "stranger@example.com")
    assert beta.value.message == NOT_ON_BETA_LIST and beta.value.status == 403
    with database.system_session() as s:
        user, _ = _register(s, "invited@example.com")
        assert user.id


def test_verify_works_once_and_not_after_expiry(database):
    with database.system_session() as s:
        user, secret = _register(s)
    with database.system_session() as s:
        assert verify_email(s, secret).is_verified
    with database.system_session() as s, pytest.raises(AccountError, match="expired"):
        verify_email(s, secret)
    with database.system_session() as s:
        assert check_credentials(s, "NEW@example.com", GOOD).outcome is SignIn.OK
        s.execute(update(User).where(User.id == user.id).values(is_verified=False))
        _, fresh = resend_verification(s, "new@example.com")
        s.execute(
            update(EmailVerificationToken)
            .where(EmailVerificationToken.token_hash == hash_token(fresh))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    with database.system_session() as s, pytest.raises(AccountError):
        verify_email(s, fresh)


def test_resend_replaces_the_old_link_and_is_silent_for_others(database, make_user):
    with database.system_session() as s:
        _, first = _register(s)
        _, second = resend_verification(s, " New@Example.com ")
        assert first != second
        assert resend_verification(s, "nobody@example.com") is None
    verified = make_user(email="done@example.com")
    with database.system_session() as s:
        assert resend_verification(s, verified.email) is None
        with pytest.raises(AccountError):
            verify_email(s, first)  # superseded
        assert verify_email(s, second).is_verified


def test_credentials_outcomes(database, make_user):
    make_user(email="ok@example.com", password=GOOD)
    with database.system_session() as s:
        assert check_credentials(s, "ok@example.com", "wrong-one-1").outcome is SignIn.INVALID
        assert check_credentials(s, "missing@example.com", GOOD).outcome is SignIn.INVALID
        assert check_credentials(s, "", "").outcome is SignIn.INVALID
        result = check_credentials(s, "OK@example.com", GOOD)
        assert result.outcome is SignIn.OK and result.user.last_login_at is not None
        result.user.suspended_at = datetime.now(UTC)
        assert check_credentials(s, "ok@example.com", GOOD).outcome is SignIn.SUSPENDED


def test_reset_password_single_use_and_strength(database, make_user):
    ref = make_user(email="reset@example.com", verified=False)
    with database.system_session() as s:
        assert request_password_reset(s, "nobody@example.com") is None
        _, secret = request_password_reset(s, "RESET@example.com")
    with database.system_session() as s:
        with pytest.raises(ValidationFailed):
            reset_password(s, secret, "weak", "weak")
        assert reset_token_user(s, secret).id == ref.id  # a weak try does not use it up
        reset_password(s, secret, GOOD, GOOD)
    with database.system_session() as s:
        assert reset_token_user(s, secret) is None
        with pytest.raises(AccountError, match="expired or was already used"):
            reset_password(s, secret, GOOD + "x", GOOD + "x")
        assert check_credentials(s, "reset@example.com", GOOD).outcome is SignIn.OK


def test_reset_link_expires(database, make_user):
    make_user(email="late@example.com")
    with database.system_session() as s:
        _, secret = request_password_reset(s, "late@example.com")
        s.execute(
            update(PasswordResetToken).values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    with database.system_session() as s, pytest.raises(AccountError):
        reset_password(s, secret, GOOD, GOOD)
