"""The project journey in a real browser: sign up, verify, create a project, invite, roles.

Ana registers and verifies her email through the link in the outbox, signs in and
creates a project. Her Free plan allows no members, so inviting Bea (registered
earlier) shows the upgrade message; a platform admin moves Ana to Professional on the
admin pages, and the same invitation then adds Bea at once. Carol, who has no account,
gets an emailed invitation: she opens it, registers, verifies, signs in and accepts.
Ana makes Bea an admin; each of them then sees what their role allows.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from dra.models import EmailOutbox

pytestmark = pytest.mark.browser

PASSWORD = "Brew-strong-2026"


def latest_link(database, to: str, path: str) -> str:
    """The newest link to ``path`` in a mail sent to ``to`` (read from app.email_outbox)."""
    with database.system_session() as s:
        bodies = s.scalars(
            select(EmailOutbox.body_text)
            .where(EmailOutbox.to_address == to)
            .order_by(EmailOutbox.id.desc())
        ).all()
    for body in bodies:
        match = re.search(rf"https?://\S+{re.escape(path)}\S+", body)
        if match:
            return match.group(0)
    raise AssertionError(f"no mail to {to} with a {path} link (outbox: {len(bodies)} mails)")


class Shots:
    def __init__(self, folder):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.n = 0

    def __call__(self, page, name: str) -> None:
        self.n += 1
        page.screenshot(path=str(self.folder / f"{self.n:02d}-{name}.png"), full_page=True)


def register(page, base: str, first: str, last: str, email: str) -> None:
    page.goto(f"{base}/auth/register")
    page.fill("input[name=first_name]", first)
    page.fill("input[name=last_name]", last)
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirm_password]", PASSWORD)
    page.click("button:has-text('Create account')")
    page.wait_for_selector("text=Check your email")


def sign_in(page, base: str, email: str, password: str = PASSWORD) -> None:
    if "/auth/login" not in page.url:
        page.goto(f"{base}/auth/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button:has-text('Sign in')")
    page.wait_for_load_state()
    assert "/auth/login" not in page.url, page.inner_text("main")


def flash(page) -> str:
    return page.inner_text(".flash")


def test_project_journey(live_server, chromium, database, make_user, artifacts_dir):
    base = live_server.url
    shot = Shots(artifacts_dir / "browser" / "project_flow")
    bea = make_user(
        email="bea@example.com", first_name="Bea", last_name="Barista", password=PASSWORD
    )
    root = make_user(
        email="root@example.com", first_name="Root", platform_admin=True, password=PASSWORD
    )

    ana = chromium.new_context().new_page()
    ana.on("dialog", lambda dialog: dialog.accept())

    # sign up and verify through the emailed link
    register(ana, base, "Ana", "Alvarez", "ana@example.com")
    shot(ana, "registered")
    ana.goto(latest_link(database, "ana@example.com", "/auth/verify/"))
    assert "/auth/login" in ana.url and "verified" in flash(ana).lower()
    sign_in(ana, base, "ana@example.com")

    # create a project (empty state first)
    ana.goto(f"{base}/projects/")
    assert "No projects yet" in ana.inner_text("main")
    ana.click("text=Create your first project")
    ana.fill("input[name=name]", "Coffee analytics")
    ana.fill("textarea[name=description]", "Orders and visits of the shop")
    ana.click("button:has-text('Create project')")
    assert flash(ana) == "The project has been added."
    assert "Coffee analytics" in ana.inner_text("h1") and "owner" in ana.inner_text("h1 .badge")
    project_url = ana.url
    shot(ana, "project-created")

    # the Free plan allows no members: the upgrade message, and nothing changes
    ana.click("nav.tabs >> text=Members")
    ana.fill("input[name=email]", "bea@example.com")
    ana.select_option("select[name=role]", "editor")
    ana.click("button:has-text('Invite')")
    assert "Free plan allows 0 members in this project. Upgrade your plan" in flash(ana)
    assert ana.locator("tr[data-member-email='bea@example.com']").count() == 0
    shot(ana, "member-limit")

    # a platform admin moves Ana to the Professional tier
    admin = chromium.new_context().new_page()
    sign_in(admin, base, root.email)
    admin.goto(f"{base}/admin/users?q=ana@")
    row = admin.locator("tr[data-user-email='ana@example.com']")
    row.locator("select[name=tier_id]").select_option(label="Professional")
    row.locator("button:has-text('Set tier')").click()
    assert flash(admin) == "ana@example.com is on the Professional tier."
    shot(admin, "admin-tier")

    # now Bea (already registered) is added at once; Carol (no account) is invited by mail
    ana.fill("input[name=email]", "bea@example.com")
    ana.select_option("select[name=role]", "editor")
    ana.click("button:has-text('Invite')")
    assert flash(ana) == "bea@example.com already had an account and was added as editor."
    ana.fill("input[name=email]", "carol@example.com")
    ana.select_option("select[name=role]", "viewer")
    ana.click("button:has-text('Invite')")
    assert flash(ana) == "Invitation sent to carol@example.com (viewer)."
    assert "carol@example.com" in ana.inner_text("table.invitations")
    shot(ana, "invited")

    bea_page = chromium.new_context().new_page()
    sign_in(bea_page, base, bea.email)
    bea_page.goto(f"{base}/projects/")
    card = bea_page.locator(".project-card", has_text="Coffee analytics")
    assert card.locator(".badge").inner_text() == "editor"
    shot(bea_page, "bea-projects")

    # Carol opens the invitation, creates her account, verifies it and accepts
    carol = chromium.new_context().new_page()
    invitation = latest_link(database, "carol@example.com", "/projects/invitations/")
    carol.goto(invitation)
    assert "Coffee analytics" in carol.inner_text("main")
    shot(carol, "carol-invitation")
    carol.click("text=Create an account")
    register(carol, base, "Carol", "Cortado", "carol@example.com")
    carol.goto(latest_link(database, "carol@example.com", "/auth/verify/"))
    sign_in(carol, base, "carol@example.com")
    carol.goto(invitation)
    carol.click("button:has-text('Accept invitation')")
    assert carol.url == project_url and flash(carol) == "Welcome to Coffee analytics."
    assert carol.inner_text("h1 .badge") == "viewer"
    assert carol.locator("text=Delete project").count() == 0
    shot(carol, "carol-joined")

    # Ana makes Bea an admin
    ana.reload()
    bea_row = ana.locator("tr[data-member-email='bea@example.com']")
    bea_row.locator("select[name=role]").select_option("admin")
    bea_row.locator("button:has-text('Change role')").click()
    assert flash(ana) == "Bea Barista is now admin."
    assert ana.locator("tr[data-member-email='carol@example.com'] .badge").inner_text() == "viewer"
    shot(ana, "roles")

    # what each one sees now
    members_url = f"{project_url}/members"
    bea_page.goto(members_url)
    assert bea_page.locator("text=Invite someone").count() == 1  # admins manage members
    assert bea_page.locator("tr[data-member-email='ana@example.com'] button").count() == 0
    shot(bea_page, "bea-admin")
    carol.goto(members_url)
    assert carol.locator("text=Invite someone").count() == 0
    assert carol.locator("button:has-text('Change role')").count() == 0
    assert "bea@example.com" in carol.inner_text("table.members")
    carol.goto(f"{project_url}/delete")
    assert "Not allowed" in carol.inner_text("main")
    shot(carol, "carol-cannot-delete")
    ana.goto(project_url)
    assert ana.locator("text=Delete project").count() == 1
    admin.goto(project_url)  # a platform admin who is not a member does not see the project
    assert "Not found" in admin.inner_text("main")

    # the admin reads the mails of this journey in the outbox (no SMTP here)
    admin.goto(f"{base}/admin/outbox")
    outbox = admin.inner_text("table.outbox")
    assert "carol@example.com" in outbox and "invited you to Coffee analytics" in outbox
    admin.click("text=invited you to Coffee analytics")
    assert "/projects/invitations/" in admin.inner_text("pre.mail-body")
    shot(admin, "admin-outbox-mail")
    admin.goto(f"{base}/admin/tiers")
    assert "Professional" in admin.inner_text("table.tiers")
    shot(admin, "admin-tiers")
