"""Account functions against the real database: notifications, preferences, unsubscribe,
cancellation, plan usage, profile and the Google linking policy."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from dra.accounts import cancellation, notifications, preferences
from dra.accounts.errors import AccountError, NotFound, ValidationFailed
from dra.accounts.google import GoogleIdentity, sign_in_with_google
from dra.accounts.profile import profile, update_profile
from dra.accounts.usage import plan_and_usage
from dra.mail import user_accepts
from dra.models import (
    AccountCancellationRequest,
    Notification,
    PlatformSetting,
    SubscriptionTier,
    User,
    UserSubscription,
)
from dra.models.billing import TIER_LIMIT_COLUMNS
from tests.support.factories import create_project


def _notify(s, user_id, n, start=None):
    start = start or datetime.now(UTC)
    s.execute(
        insert(Notification),
        [
            {
                "user_id": user_id,
                "type": "test",
                "title": f"n{i}",
                "created_at": start - timedelta(minutes=i),
            }
            for i in range(n)
        ],
    )


def test_notifications_are_paginated_newest_first(database, make_user):
    ref = make_user()
    with database.system_session() as s:
        _notify(s, ref.id, 45)
        first = notifications.list_notifications(s, ref.id)
        assert [n.title for n in first.items[:2]] == ["n0", "n1"]
        assert (first.total, first.total_pages, len(first.items)) == (45, 3, 20)
        last = notifications.list_notifications(s, ref.id, page=3)
        assert [n.title for n in last.items] == [f"n{i}" for i in range(40, 45)]
        assert notifications.list_notifications(s, ref.id, per_page=500).per_page == 100
        assert notifications.list_notifications(s, ref.id, page=9).items == []
        with pytest.raises(AccountError, match="Page must be >= 1"):
            notifications.list_notifications(s, ref.id, page=0)
        assert notifications.unread_count(s, ref.id) == 45


def test_notifications_of_another_user_cannot_be_touched(database, make_user):
    me, other = make_user(), make_user()
    with database.system_session() as s:
        _notify(s, me.id, 2)
        _notify(s, other.id, 1)
        theirs = s.scalar(select(Notification.id).where(Notification.user_id == other.id))
        mine = s.scalars(select(Notification.id).where(Notification.user_id == me.id)).all()
        for action in (notifications.mark_read, notifications.delete_notification):
            with pytest.raises(NotFound):
                action(s, me.id, theirs)
            with pytest.raises(NotFound):
                action(s, me.id, 999_999)
        assert notifications.unread_count(s, other.id) == 1
        notifications.mark_read(s, me.id, mine[0])
        notifications.mark_read(s, me.id, mine[0])  # twice is fine
        assert notifications.unread_count(s, me.id) == 1
        assert notifications.mark_all_read(s, me.id) == 1
        assert notifications.unread_count(s, me.id) == 0
        notifications.delete_notification(s, me.id, mine[1])
        assert notifications.list_notifications(s, me.id).total == 1
        assert notifications.unread_count(s, other.id) == 1


def test_preferences_and_unsubscribe_token(database, make_user):
    ref = make_user()
    with database.system_session() as s:
        assert user_accepts(s, ref.id, "notification")
        preferences.update_preferences(s, ref.id, {"notifications": False, "marketing": True})
        assert not user_accepts(s, ref.id, "notification")
        assert user_accepts(s, ref.id, "marketing")
        preferences.update_preferences(s, ref.id, {})
        assert s.get(User, ref.id).unsubscribed_at is not None  # all off = unsubscribed
    token = preferences.make_unsubscribe_token("k" * 32, ref.id)
    assert preferences.read_unsubscribe_token("k" * 32, token) == ref.id
    assert preferences.read_unsubscribe_token("other-key" * 4, token) is None
    assert preferences.read_unsubscribe_token("k" * 32, token[:-2] + "xx") is None
    with database.system_session() as s:
        preferences.update_preferences(s, ref.id, {"marketing": True})
        assert s.get(User, ref.id).unsubscribed_at is None
        preferences.unsubscribe(s, ref.id)
        prefs = preferences.get_preferences(s, ref.id)
        assert not (prefs.marketing or prefs.product_updates or prefs.notifications)
        assert not user_accepts(s, ref.id, "marketing")
        assert user_accepts(s, ref.id, "password_reset")  # account mail always goes out
        with pytest.raises(NotFound):
            preferences.unsubscribe(s, 999_999)


def test_cancellation_request_withdraw_and_admin_notice(database, make_user):
    admin = make_user(platform_admin=True)
    ref = make_user(email="leaving@example.com")
    with database.system_session() as s:
        with pytest.raises(NotFound):
            cancellation.withdraw_cancellation(s, ref.id)
        with pytest.raises(ValidationFailed):
            cancellation.request_cancellation(s, ref.id, "x" * 2001)
        req = cancellation.request_cancellation(s, ref.id, "  Too expensive  ")
        assert (req.status, req.reason) == ("pending", "Too expensive")
        with pytest.raises(AccountError) as dup:
            cancellation.request_cancellation(s, ref.id, "")
        assert dup.value.status == 409 and "already pending" in dup.value.message
        notice = s.scalar(select(Notification).where(Notification.user_id == admin.id))
        assert "leaving@example.com" in notice.message and "Too expensive" in notice.message
        assert cancellation.withdraw_cancellation(s, ref.id).status == "withdrawn"
        again = cancellation.request_cancellation(s, ref.id, "")
        assert again.status == "pending"
        assert (
            s.scalar(
                select(AccountCancellationRequest.id).where(
                    AccountCancellationRequest.status == "withdrawn"
                )
            )
            == req.id
        )


def test_paid_subscription_is_pointed_out_to_admins(database, make_user):
    admin = make_user(platform_admin=True)
    ref = make_user()
    with database.system_session() as s:
        paid = SubscriptionTier(
            name="Test Pro", monthly_price=49, **{c: -1 for c in TIER_LIMIT_COLUMNS}
        )
        s.add(paid)
        s.flush()
        s.add(UserSubscription(user_id=ref.id, tier_id=paid.id))
        s.flush()
        cancellation.request_cancellation(s, ref.id, "")
        notice = s.scalar(select(Notification.message).where(Notification.user_id == admin.id))
        assert "paid subscription" in notice


def test_plan_and_usage(database, make_user):
    ref = make_user()
    with database.system_session() as s:
        default = s.scalar(select(SubscriptionTier).where(SubscriptionTier.is_default))
        create_project(s, ref, "Alpha")
        plan = plan_and_usage(s, ref.id)
        assert plan.tier.id == default.id and plan.subscription is None
        projects_line = plan.lines[0]
        assert projects_line.usage.used == 1
        assert projects_line.usage.maximum == default.max_projects
        assert [p.name for p in plan.projects] == ["Alpha"]
        assert [line.label for line in plan.projects[0].lines] == [
            "Data sources",
            "Dashboards",
            "Members",
        ]


def test_profile_and_update(database, make_user):
    ref = make_user(email="me@example.com", first_name="Ana", last_name="Lo")
    with database.system_session() as s:
        data = profile(s, ref.id)
        assert data["email"] == "me@example.com" and data["role"] == "user"
        assert data["sign_in_methods"] == ["password"] and data["subscription_tier"]
        with pytest.raises(ValidationFailed) as exc:
            update_profile(s, ref.id, "  ", "x" * 101)
        assert set(exc.value.errors) == {"first_name", "last_name"}
        update_profile(s, ref.id, "  Anna ", "Lopez")
        assert profile(s, ref.id)["full_name"] == "Anna Lopez"
        with pytest.raises(NotFound):
            profile(s, 999_999)


def _google(sub="g-1", email="g@gmail.test", verified=True):
    return GoogleIdentity(
        subject=sub, email=email, email_verified=verified, given_name="Gi", family_name="Oo"
    )


def test_google_new_returning_and_linking(database, make_user):
    with database.system_session() as s:
        new = sign_in_with_google(s, _google())
        assert new.is_verified and new.password_hash is None and new.first_name == "Gi"
        assert sign_in_with_google(s, _google(email="changed@gmail.test")).id == new.id
        with pytest.raises(AccountError, match="not verified"):
            sign_in_with_google(s, _google(sub="g-2", email="fresh@gmail.test", verified=False))
    ref = make_user(email="pw@example.com", verified=False)
    with database.system_session() as s:
        with pytest.raises(AccountError) as refused:
            sign_in_with_google(s, _google(sub="g-3", email="PW@example.com", verified=False))
        assert refused.value.status == 403 and "sign in with your password" in refused.value.message
        linked = sign_in_with_google(s, _google(sub="g-3", email="PW@example.com"))
        assert linked.id == ref.id and linked.google_sub == "g-3" and linked.is_verified
        with pytest.raises(AccountError, match="another Google identity"):
            sign_in_with_google(s, _google(sub="g-4", email="pw@example.com"))


def test_google_new_account_obeys_registration_settings(database):
    with database.system_session() as s:
        s.merge(PlatformSetting(key="registration_open", value=False))
    with database.system_session() as s, pytest.raises(AccountError, match="closed"):
        sign_in_with_google(s, _google())


def test_google_claims_are_checked():
    with pytest.raises(AccountError):
        GoogleIdentity.from_claims({"sub": "1"})
    identity = GoogleIdentity.from_claims({"sub": "1", "email": "a@b.io", "email_verified": "true"})
    assert identity.email_verified
    assert not GoogleIdentity.from_claims({"sub": "1", "email": "a@b.io"}).email_verified
