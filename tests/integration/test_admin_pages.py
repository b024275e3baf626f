"""Admin pages end to end (UC-ADM-01/02/03/04/08/12, outbox, alerts), real database."""

from __future__ import annotations

from sqlalchemy import func, select

from dra.alerts import raise_alert
from dra.models import (
    AccountCancellationRequest,
    Alert,
    BetaAllowlistEntry,
    EmailOutbox,
    PlatformSetting,
    SubscriptionTier,
    User,
    UserSubscription,
)
from tests.support.factories import create_user, set_tier

TIER_FORM = {
    "name": "Team",
    "description": "For small teams",
    "monthly_price": "49.00",
    "sort_order": "9",
    "max_projects": "20",
    "max_sources_per_project": "-1",
    "max_dashboards": "-1",
    "max_models_per_source": "-1",
    "max_members_per_project": "10",
    "max_rows_per_model": "1000000",
    "max_ai_generations_per_month": "200",
}


def test_admin_pages_render_for_admins_only(admin_client, login, make_user):
    for url in (
        "/admin/",
        "/admin/users",
        "/admin/tiers",
        "/admin/tiers/new",
        "/admin/beta",
        "/admin/settings",
        "/admin/cancellations",
        "/admin/outbox",
        "/admin/alerts",
    ):
        page = admin_client.get(url)
        assert page.status_code == 200, url
        assert b'name="csrf_token"' in page.data or b"<table" in page.data or url == "/admin/"
    user_client = login(make_user())
    assert user_client.get("/admin/users").status_code == 403
    assert b"Admin</a>" not in user_client.get("/projects/").data
    assert b"Admin</a>" in admin_client.get("/projects/").data


def test_users_search_suspend_and_admin_rights(
    admin_client, platform_admin, make_user, login, database
):
    bob = make_user(email="bob.builder@example.com", first_name="Bob")
    make_user(email="carol@example.com")
    page = admin_client.get("/admin/users?q=BUILDER").get_data(as_text=True)
    assert "bob.builder@example.com" in page and "carol@example.com" not in page
    assert b"No user matches." in admin_client.get("/admin/users?q=%25").data  # % is literal
    bob_client = login(bob)
    resp = admin_client.post(f"/admin/users/{bob.id}/suspension", data={"suspend": "1"})
    assert resp.status_code == 302
    assert bob_client.get("/projects/").status_code == 302  # signed out: session ends
    with database.system_session() as s:
        assert s.get(User, bob.id).suspended_at is not None
    admin_client.post(f"/admin/users/{bob.id}/suspension", data={"suspend": "0"})
    with database.system_session() as s:
        assert s.get(User, bob.id).suspended_at is None

    own = admin_client.post(f"/admin/users/{platform_admin.id}/suspension", data={"suspend": "1"})
    assert own.status_code == 400 and b"cannot suspend your own account" in own.data
    assert (
        admin_client.post(f"/admin/users/{bob.id}/admin-rights", data={"grant": "1"}).status_code
        == 302
    )
    assert login(bob).get("/admin/").status_code == 200
    revoke_self = admin_client.post(
        f"/admin/users/{platform_admin.id}/admin-rights", data={"grant": "0"}
    )
    assert revoke_self.status_code == 400 and b"cannot revoke your own" in revoke_self.data
    assert (
        admin_client.post("/admin/users/999999/suspension", data={"suspend": "1"}).status_code
        == 404
    )


def test_reassign_tier_is_idempotent(admin_client, make_user, database):
    user = make_user()
    with database.system_session() as s:
        pro = s.scalar(select(SubscriptionTier.id).where(SubscriptionTier.name == "Professional"))
    for _ in range(2):
        resp = admin_client.post(f"/admin/users/{user.id}/tier", data={"tier_id": str(pro)})
        assert resp.status_code == 302
    with database.system_session() as s:
        subs = s.scalars(select(UserSubscription).where(UserSubscription.user_id == user.id)).all()
        assert [sub.tier_id for sub in subs] == [pro]
    bad = admin_client.post(f"/admin/users/{user.id}/tier", data={"tier_id": "nope"})
    assert bad.status_code == 400 and b"Choose an existing tier." in bad.data


def test_tier_create_edit_validate_and_delete(admin_client, make_user, database):
    assert admin_client.post("/admin/tiers/new", data=TIER_FORM).status_code == 302
    with database.system_session() as s:
        tier = s.scalar(select(SubscriptionTier).where(SubscriptionTier.name == "Team"))
        assert (tier.max_projects, tier.max_sources_per_project, str(tier.monthly_price)) == (
            20,
            -1,
            "49.00",
        )
        count = s.scalar(select(func.count()).select_from(SubscriptionTier))

    for field, value, message in [
        ("max_projects", "-2", b"Projects cannot be -2"),
        ("max_members_per_project", "ten", b"Members per project must be a whole number."),
        ("monthly_price", "-5", b"Monthly price must be 0 or more."),
        ("name", " ", b"Tier name is required."),
    ]:
        resp = admin_client.post(
            "/admin/tiers/new",
            data=TIER_FORM | {field: value, "name": "Other"}
            if field != "name"
            else TIER_FORM | {field: value},
        )
        assert resp.status_code == 400, field
        assert message in resp.data and f'name="{field}"'.encode() in resp.data
    dup = admin_client.post("/admin/tiers/new", data=TIER_FORM | {"name": "team"})
    assert dup.status_code == 409 and b"already exists" in dup.data
    with database.system_session() as s:
        assert s.scalar(select(func.count()).select_from(SubscriptionTier)) == count

    edit = admin_client.post(f"/admin/tiers/{tier.id}", data=TIER_FORM | {"max_projects": "1"})
    assert edit.status_code == 302
    user = make_user()
    with database.system_session() as s:
        set_tier(s, user, "Team")
    refused = admin_client.post(f"/admin/tiers/{tier.id}/delete")
    assert refused.status_code == 409
    assert b"Cannot delete tier with active subscribers (1). Migrate users first." in refused.data
    with database.system_session() as s:
        s.execute(UserSubscription.__table__.delete().where(UserSubscription.user_id == user.id))
    assert admin_client.post(f"/admin/tiers/{tier.id}/delete").status_code == 302
    with database.system_session() as s:
        assert s.get(SubscriptionTier, tier.id) is None
        default_id = s.scalar(select(SubscriptionTier.id).where(SubscriptionTier.is_default))
    assert admin_client.post(f"/admin/tiers/{default_id}/delete").status_code == 409
    assert admin_client.get("/admin/tiers/999999").status_code == 404


def test_tier_limits_apply_at_once(admin_client, login, make_user, database):
    user = make_user()
    with database.system_session() as s:
        free = s.scalar(select(SubscriptionTier).where(SubscriptionTier.name == "Free"))
        form = {f: str(getattr(free, f)) for f in TIER_FORM} | {
            "max_projects": "0",
            "monthly_price": "",
        }
    assert admin_client.post(f"/admin/tiers/{free.id}", data=form).status_code == 302
    resp = login(user).post("/projects/new", data={"name": "Blocked"})
    assert resp.status_code == 403 and b"Free plan allows 0 projects" in resp.data


def test_beta_allowlist_and_settings(admin_client, database):
    assert (
        admin_client.post(
            "/admin/beta", data={"email": "vip@example.com", "note": "friend"}
        ).status_code
        == 302
    )
    dup = admin_client.post("/admin/beta", data={"email": "VIP@example.com"})
    assert dup.status_code == 409 and b"already on the allowlist" in dup.data
    bad = admin_client.post("/admin/beta", data={"email": "nope"})
    assert bad.status_code == 400 and b"Invalid email format." in bad.data
    with database.system_session() as s:
        entry = s.scalar(select(BetaAllowlistEntry))
        assert entry.email == "vip@example.com"
    assert admin_client.post(f"/admin/beta/{entry.id}/delete").status_code == 302
    assert admin_client.post(f"/admin/beta/{entry.id}/delete").status_code == 404

    assert admin_client.post("/admin/settings", data={"private_beta": "on"}).status_code == 302
    with database.system_session() as s:
        values = {r.key: r.value for r in s.scalars(select(PlatformSetting))}
    assert values["private_beta"] is True and values["registration_open"] is False
    bad = admin_client.post("/admin/settings", data={"private_beta": "maybe"})
    assert bad.status_code == 422 and b"private_beta must be on or off." in bad.data


def test_cancellation_requests_approve_reject(admin_client, make_user, database):
    alice, bob = make_user(email="alice@example.com"), make_user(email="bob@example.com")
    with database.system_session() as s:
        set_tier(s, alice, "Starter")
        s.add_all(
            [
                AccountCancellationRequest(user_id=alice.id, reason="moving on"),
                AccountCancellationRequest(user_id=bob.id, reason="too pricey"),
            ]
        )
    with database.system_session() as s:
        ids = {r.user_id: r.id for r in s.scalars(select(AccountCancellationRequest))}
    page = admin_client.get("/admin/cancellations")
    assert b"moving on" in page.data and b"too pricey" in page.data
    no_note = admin_client.post(f"/admin/cancellations/{ids[bob.id]}/reject", data={"note": ""})
    assert no_note.status_code == 400 and b"Say why" in no_note.data
    assert (
        admin_client.post(
            f"/admin/cancellations/{ids[alice.id]}/approve", data={"note": "Sorry to see you go"}
        ).status_code
        == 302
    )
    assert (
        admin_client.post(
            f"/admin/cancellations/{ids[bob.id]}/reject", data={"note": "Let us talk first"}
        ).status_code
        == 302
    )
    again = admin_client.post(f"/admin/cancellations/{ids[alice.id]}/reject", data={"note": "x"})
    assert again.status_code == 409 and b"already approved" in again.data
    with database.system_session() as s:
        approved = s.get(AccountCancellationRequest, ids[alice.id])
        assert approved.status == "approved" and approved.deletion_scheduled_for is not None
        sub = s.scalar(select(UserSubscription).where(UserSubscription.user_id == alice.id))
        assert sub.cancelled_at is not None
        assert s.get(AccountCancellationRequest, ids[bob.id]).admin_note == "Let us talk first"
        mails = {m.to_address: m for m in s.scalars(select(EmailOutbox))}
        names = {u.id: s.get(User, u.id).full_name for u in (alice, bob)}
    assert sorted(m.subject for m in mails.values()) == [
        "About your account cancellation request",
        "Your account cancellation was approved",
    ]
    yes, no = mails["alice@example.com"].body_text, mails["bob@example.com"].body_text
    assert yes.startswith(f"Hello {names[alice.id]},\n\nYour request to close your account was ")
    assert "approved. Your subscription is cancelled" in yes
    assert yes.endswith("\n\nNote from the team: Sorry to see you go\n")
    assert no == (
        f"Hello {names[bob.id]},\n\nYour request to close your account was not approved."
        "\n\nNote from the team: Let us talk first\n"
    )


def test_outbox_and_alerts(admin_client, platform_admin, database):
    with database.system_session() as s:
        s.add(
            EmailOutbox(
                to_address="x@example.com",
                subject="Hello <b>there</b>",
                body_text="Line one\nhttp://link",
                category="invitation",
            )
        )
        raise_alert(s, source="pipeline", title="Run failed", details={"message": "boom"})
    page = admin_client.get("/admin/outbox?to=X@EXAMPLE").get_data(as_text=True)
    assert "Hello &lt;b&gt;there&lt;/b&gt;" in page  # autoescaped
    with database.system_session() as s:
        mail_id = s.scalar(select(EmailOutbox.id))
        alert_id = s.scalar(select(Alert.id))
    assert "http://link" in admin_client.get(f"/admin/outbox/{mail_id}").get_data(as_text=True)
    assert admin_client.get("/admin/outbox/999999").status_code == 404
    assert b"Run failed" in admin_client.get("/admin/alerts").data
    assert admin_client.post(f"/admin/alerts/{alert_id}/acknowledge").status_code == 302
    assert b"Run failed" not in admin_client.get("/admin/alerts").data
    assert b"Run failed" in admin_client.get("/admin/alerts?all=1").data
    with database.system_session() as s:
        assert s.get(Alert, alert_id).acknowledged_by == platform_admin.id
    assert admin_client.post("/admin/alerts/999999/acknowledge").status_code == 404


def test_nothing_changes_without_admin_rights(login, make_user, database):
    user = make_user()
    client = login(user)
    assert client.post("/admin/settings", data={"registration_open": ""}).status_code == 403
    assert client.post("/admin/tiers/new", data=TIER_FORM).status_code == 403
    with database.system_session() as s:
        assert (
            s.scalar(
                select(PlatformSetting.value).where(PlatformSetting.key == "registration_open")
            )
            is True
        )
        assert s.scalar(select(SubscriptionTier.id).where(SubscriptionTier.name == "Team")) is None
        create_user(s)  # the session still works after refused requests


def test_beta_gate_set_on_admin_pages_decides_who_can_register(admin_client, app):
    form = {
        "first_name": "Vee",
        "last_name": "Pea",
        "password": "Brew-strong-2026",
        "confirm_password": "Brew-strong-2026",
    }
    visitor = app.test_client()
    admin_client.post("/admin/settings", data={"registration_open": "on", "private_beta": "on"})
    admin_client.post("/admin/beta", data={"email": "vip@example.com"})
    refused = visitor.post("/auth/register", data=form | {"email": "other@example.com"})
    assert refused.status_code == 403
    welcomed = visitor.post("/auth/register", data=form | {"email": "vip@example.com"})
    assert welcomed.status_code == 200
    admin_client.post("/admin/settings", data={})  # registration closed, beta off
    closed = visitor.post("/auth/register", data=form | {"email": "late@example.com"})
    assert closed.status_code == 403


def test_users_list_is_paginated(admin_client, database):
    with database.system_session() as s:
        for n in range(55):
            create_user(s, email=f"many{n:02d}@example.com")
    first = admin_client.get("/admin/users?q=many").get_data(as_text=True)
    assert "55 users" in first and "Page 1 of 2" in first and first.count("data-user-email") == 50
    second = admin_client.get("/admin/users?q=many&page=2").get_data(as_text=True)
    assert second.count("data-user-email") == 5 and "many00@example.com" in second
    assert admin_client.get("/admin/users?q=many&page=99").status_code == 200  # last page
