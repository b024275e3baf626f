"""The account area (UC-ACC-01..10) in the browser: every page renders for its user,
changes persist, another user's things answer 404, user text is escaped."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from dra.models import AccountCancellationRequest, EmailPreferences, Notification, User
from tests.support.factories import DEFAULT_PASSWORD, create_project
from tests.support.smtp import outbox

PAGES = [
    "/account/",
    "/account/password",
    "/account/email-preferences",
    "/account/notifications",
    "/account/subscription",
    "/account/tokens",
    "/account/cancel",
]


@pytest.mark.parametrize("path", PAGES)
def test_pages_need_sign_in(client, path):
    resp = client.get(path)
    assert resp.status_code == 302 and "/auth/login?next=" in resp.headers["Location"]


def test_json_endpoints_need_sign_in(client):
    for method, path in (
        ("get", "/api/account/notifications"),
        ("get", "/api/account/notifications/unread-count"),
        ("patch", "/api/account/notifications/read-all"),
        ("patch", "/api/account/profile"),
    ):
        assert getattr(client, method)(path).status_code == 401, path


def test_every_page_renders(login, make_user):
    browser = login(make_user())
    for path in PAGES:
        resp = browser.get(path)
        assert resp.status_code == 200, path
        assert b'name="csrf_token"' in resp.data or path == "/account/subscription", path


def test_script_in_a_name_is_escaped_everywhere(login, make_user):
    browser = login(make_user(first_name="<script>alert(1)</script>", last_name="<b>x</b>"))
    for path in ("/", "/account/", "/account/notifications"):
        html = browser.get(path).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html and "<b>x</b>" not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path


def test_edit_profile(login, make_user, database):
    user = make_user()
    browser = login(user)
    bad = browser.post("/account/profile", data={"first_name": "", "last_name": "x" * 101})
    assert bad.status_code == 422
    assert b"First name is required" in bad.data and b"at most 100 characters" in bad.data
    ok = browser.post("/account/profile", data={"first_name": "Zoë", "last_name": "Ng"})
    assert ok.status_code == 302
    assert "Profile updated successfully." in browser.get("/account/").get_data(as_text=True)
    with database.system_session() as s:
        assert s.get(User, user.id).full_name == "Zoë Ng"
    api = browser.patch("/api/account/profile", json={"first_name": "Zoe", "last_name": ""})
    assert api.status_code == 200 and api.get_json()["profile"]["full_name"] == "Zoe"
    assert browser.patch("/api/account/profile", json={"first_name": ""}).status_code == 422


def test_change_password_keeps_this_session_and_ends_others(login, make_user, database):
    user = make_user()
    here, elsewhere = login(user), login(user)
    wrong = here.post(
        "/account/password",
        data={
            "current_password": "not-it-at-all",
            "new_password": "Fresh-pass-2026",
            "confirm_new_password": "Fresh-pass-2026",
        },
    )
    assert wrong.status_code == 400 and b"Current password is incorrect." in wrong.data
    same = here.post(
        "/account/password",
        data={
            "current_password": DEFAULT_PASSWORD,
            "new_password": DEFAULT_PASSWORD,
            "confirm_new_password": DEFAULT_PASSWORD,
        },
    )
    assert same.status_code == 400 and b"must differ" in same.data
    weak = here.post(
        "/account/password",
        data={
            "current_password": DEFAULT_PASSWORD,
            "new_password": "short",
            "confirm_new_password": "short",
        },
    )
    assert weak.status_code == 422
    ok = here.post(
        "/account/password",
        data={
            "current_password": DEFAULT_PASSWORD,
            "new_password": "Fresh-pass-2026",
            "confirm_new_password": "Fresh-pass-2026",
        },
    )
    assert ok.status_code == 302
    assert here.get("/api/auth/session").status_code == 200
    assert elsewhere.get("/api/auth/session").status_code == 401
    assert login(user, "Fresh-pass-2026").get("/account/").status_code == 200
    assert outbox(database, user.email)[-1].subject == "Your password was changed"


def test_email_preferences(login, make_user, database):
    user = make_user()
    browser = login(user)
    assert (
        browser.post("/account/email-preferences", data={"product_updates": "on"}).status_code
        == 302
    )
    with database.system_session() as s:
        prefs = s.get(EmailPreferences, user.id)
        assert (prefs.product_updates, prefs.marketing, prefs.notifications) == (True, False, False)
    browser.post("/account/email-preferences", data={})
    assert b"You unsubscribed" in browser.get("/account/email-preferences").data


def _notify(database, user_id, n):
    now = datetime.now(UTC)
    with database.system_session() as s:
        s.execute(
            insert(Notification),
            [
                {
                    "user_id": user_id,
                    "type": "test",
                    "title": f"Note {i}",
                    "message": f"m{i}",
                    "created_at": now - timedelta(minutes=i),
                }
                for i in range(n)
            ],
        )
        return s.scalars(
            select(Notification.id)
            .where(Notification.user_id == user_id)
            .order_by(Notification.created_at.desc())
        ).all()


def test_notifications_pages_badge_and_actions(login, make_user, database):
    user = make_user()
    ids = _notify(database, user.id, 25)
    browser = login(user)
    first = browser.get("/account/notifications").get_data(as_text=True)
    assert "Note 0" in first and "Note 19" in first and "Note 20" not in first
    assert 'aria-label="25 unread"' in first and "Page 1 of 2" in first
    second = browser.get("/account/notifications?page=2").get_data(as_text=True)
    assert "Note 20" in second and "Note 24" in second
    assert browser.get("/account/notifications?page=0").status_code == 400
    assert browser.get("/account/notifications?page=x").status_code == 400

    assert browser.post(f"/account/notifications/{ids[0]}/read").status_code == 302
    assert 'aria-label="24 unread"' in browser.get("/").get_data(as_text=True)
    assert browser.post(f"/account/notifications/{ids[1]}/delete").status_code == 302
    api = browser.get("/api/account/notifications?page=1&limit=500").get_json()
    assert api["pagination"] == {"page": 1, "limit": 100, "total": 24, "totalPages": 1}
    assert browser.get("/api/account/notifications/unread-count").get_json()["unreadCount"] == 23
    assert browser.post("/account/notifications/read-all").status_code == 302
    assert "count-badge" not in browser.get("/").get_data(as_text=True)
    assert browser.delete(f"/api/account/notifications/{ids[2]}").status_code == 200


def test_another_users_notification_is_not_found(login, make_user, database):
    me, other = make_user(), make_user()
    [theirs] = _notify(database, other.id, 1)
    browser = login(me)
    assert browser.post(f"/account/notifications/{theirs}/read").status_code == 404
    assert browser.post(f"/account/notifications/{theirs}/delete").status_code == 404
    assert browser.patch(f"/api/account/notifications/{theirs}/read").status_code == 404
    assert browser.delete(f"/api/account/notifications/{theirs}").status_code == 404
    with database.system_session() as s:
        row = s.get(Notification, theirs)
        assert row is not None and row.read_at is None


def test_subscription_page_shows_plan_and_bars(login, make_user, database):
    user = make_user()
    with database.system_session() as s:
        create_project(s, user, "Coffee <shop>")
    html = login(user).get("/account/subscription").get_data(as_text=True)
    assert "Your plan:" in html and 'class="progress"' in html
    assert "Projects you own" in html and "Coffee &lt;shop&gt;" in html


def test_cancellation_request_and_withdrawal(login, make_user, database):
    admin = make_user(platform_admin=True)
    user = make_user(email="bye@example.com")
    browser = login(user)
    unconfirmed = browser.post("/account/cancel", data={"reason": "price"})
    assert unconfirmed.status_code == 422 and b"Tick the box" in unconfirmed.data
    ok = browser.post("/account/cancel", data={"reason": "price", "confirm": "yes"})
    assert ok.status_code == 302
    page = browser.get("/account/cancel").get_data(as_text=True)
    assert "pending" in page and "Withdraw the request" in page
    again = browser.post("/account/cancel", data={"reason": "", "confirm": "yes"})
    assert again.status_code == 409 and b"already pending" in again.data
    assert (
        outbox(database, "bye@example.com")[-1].subject
        == "We've received your cancellation request"
    )
    admin_view = login(admin).get("/account/notifications").get_data(as_text=True)
    assert "Account cancellation requested" in admin_view and "bye@example.com" in admin_view

    assert browser.post("/account/cancel/withdraw").status_code == 302
    with database.system_session() as s:
        assert s.scalar(select(AccountCancellationRequest.status)) == "withdrawn"
    assert browser.post("/account/cancel/withdraw").status_code == 404
