""" "Back up now" in a real browser: one click, one backup, a progress page of its own that
follows the job without reloading, and a browser refresh that starts nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from dra.models import Backup, PipelineRequest

pytestmark = pytest.mark.browser


def _counts(database) -> tuple[int, int]:
    with database.system_session() as s:
        return (
            s.scalar(select(func.count()).select_from(Backup)),
            s.scalar(select(func.count()).select_from(PipelineRequest)),
        )


def test_back_up_now_follows_one_backup(live_server, chromium, database, make_user, artifacts_dir):
    base = live_server.url
    folder = artifacts_dir / "browser" / "backup_flow"
    folder.mkdir(parents=True, exist_ok=True)
    root = make_user(email="root@example.com", platform_admin=True, password="Brew-strong-2026")
    page = chromium.new_context().new_page()
    page.goto(f"{base}/auth/login")
    page.fill("input[name=email]", root.email)
    page.fill("input[name=password]", "Brew-strong-2026")
    page.click("button:has-text('Sign in')")
    page.wait_for_load_state()

    page.goto(f"{base}/admin/database/")
    page.click("button:has-text('Back up now')")
    page.wait_for_url("**/admin/database/backups/*")
    assert page.inner_text(".flash") == "Backup job queued."
    assert page.inner_text("[data-field=status]") == "queued"
    with database.system_session() as s:
        backup_id = s.scalar(select(Backup.id))
    assert page.url == f"{base}/admin/database/backups/{backup_id}"

    # the job moves on: the page follows it without reloading (the flash stays)
    with database.system_session() as s:
        s.execute(
            update(Backup)
            .where(Backup.id == backup_id)
            .values(status="running", phase="dumping", progress=40)
        )
    page.wait_for_function(
        "() => document.querySelector('[data-field=phase]').textContent === 'dumping'",
        timeout=15000,
    )
    assert page.get_attribute(".progress", "aria-valuenow") == "40"
    assert page.inner_text(".flash") == "Backup job queued."
    page.screenshot(path=str(folder / "01-running.png"), full_page=True)

    # a browser refresh repeats the GET: 200, and still one backup
    assert page.reload().status == 200
    assert _counts(database) == (1, 1)

    with database.system_session() as s:
        s.execute(
            update(Backup)
            .where(Backup.id == backup_id)
            .values(status="succeeded", phase="done", progress=100, drill_status="passed")
        )
        s.execute(update(PipelineRequest).values(status="succeeded", progress=100))
    page.wait_for_function(
        "() => document.querySelector('[data-field=status]').textContent === 'succeeded'",
        timeout=15000,
    )
    assert page.inner_text("[data-field=drill_status]") == "passed"
    page.screenshot(path=str(folder / "02-done.png"), full_page=True)
    assert _counts(database) == (1, 1)
