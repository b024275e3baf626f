"""API tokens as plain functions: created once, stored hashed, revocable, expiring."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text, update

from dra.accounts.api_tokens import (
    MAX_ACTIVE_TOKENS,
    create_api_token,
    list_api_tokens,
    revoke_api_token,
    token_status,
    user_for_api_token,
)
from dra.accounts.errors import AccountError, NotFound, ValidationFailed
from dra.accounts.tokens import hash_token
from dra.models import ApiToken, User


def test_token_is_shown_once_and_stored_as_a_hash(database, make_user):
    ref = make_user()
    with database.system_session() as s:
        new = create_api_token(s, ref.id, "nightly export", 30)
        assert new.secret.startswith("dra_") and len(new.secret) > 40
        row = s.get(ApiToken, new.token.id)
        assert row.token_hash == hash_token(new.secret) and row.prefix == new.secret[:12]
        stored = s.execute(text("select * from app.api_tokens")).mappings().one()
        assert new.secret not in " ".join(str(v) for v in stored.values())
        assert timedelta(days=29) < row.expires_at - datetime.now(UTC) <= timedelta(days=30)
    with database.system_session() as s:
        assert user_for_api_token(s, new.secret).id == ref.id
        assert s.get(ApiToken, new.token.id).last_used_at is not None
        # the database's own lookup function agrees
        assert (
            s.scalar(text("select app.api_token_user_id(:h)"), {"h": hash_token(new.secret)})
            == ref.id
        )


def test_unknown_revoked_expired_and_suspended_tokens_fail(database, make_user):
    ref, other = make_user(), make_user()
    with database.system_session() as s:
        revoked = create_api_token(s, ref.id, "a")
        expired = create_api_token(s, ref.id, "b", 7)
        suspended = create_api_token(s, other.id, "c")
        assert user_for_api_token(s, "dra_not-a-token") is None
        assert user_for_api_token(s, "no-prefix") is None
        with pytest.raises(NotFound):
            revoke_api_token(s, other.id, revoked.token.id)  # not theirs
        revoke_api_token(s, ref.id, revoked.token.id)
        s.execute(
            update(ApiToken)
            .where(ApiToken.id == expired.token.id)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        s.execute(update(User).where(User.id == other.id).values(suspended_at=datetime.now(UTC)))
    with database.system_session() as s:
        for new in (revoked, expired, suspended):
            assert user_for_api_token(s, new.secret) is None
        statuses = {t.name: token_status(t) for t in list_api_tokens(s, ref.id)}
        assert statuses == {"a": "revoked", "b": "expired"}


def test_names_lifetimes_and_the_active_limit(database, make_user):
    ref = make_user()
    with database.system_session() as s:
        with pytest.raises(ValidationFailed) as exc:
            create_api_token(s, ref.id, "  ")
        assert "name" in exc.value.errors
        with pytest.raises(ValidationFailed):
            create_api_token(s, ref.id, "x", 3)
        for i in range(MAX_ACTIVE_TOKENS):
            create_api_token(s, ref.id, f"t{i}")
        with pytest.raises(AccountError) as full:
            create_api_token(s, ref.id, "one too many")
        assert full.value.status == 409
        assert s.scalar(select(ApiToken.id).where(ApiToken.name == "one too many")) is None
