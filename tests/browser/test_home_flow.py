"""The page after sign-in, in a real browser: projects, dashboards, pipeline work, alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dra.models import Dashboard, DataSource, Notification, PipelineRequest, Project
from tests.support.factories import DEFAULT_PASSWORD, project_with_roles

pytestmark = pytest.mark.browser


def test_home_after_sign_in(live_server, chromium, database, artifacts_dir):
    now = datetime.now(UTC)
    with database.system_session() as s:
        roles = project_with_roles(s)
        s.get(Project, roles.project_id).name = "Coffee shop"
        source = DataSource(project_id=roles.project_id, name="Orders CSV", type="csv")
        s.add_all(
            [
                source,
                Dashboard(project_id=roles.project_id, name="Shop overview", layout={}, filters={}),
            ]
        )
        s.flush()
        s.add_all(
            [
                PipelineRequest(
                    project_id=roles.project_id,
                    kind="ingest_source",
                    target_id=source.id,
                    status="failed",
                    error="Row 3 has 4 fields, the header has 5.",
                    created_at=now - timedelta(hours=2),
                    finished_at=now - timedelta(hours=2),
                ),
                Notification(
                    user_id=roles.owner.id,
                    type="alert.pipeline",
                    title="Pipeline run failed: ingest_source_job",
                    message="Row 3 has 4 fields, the header has 5.",
                ),
            ]
        )
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/auth/login")
    page.fill("input[name=email]", roles.owner.email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    for section, text in (
        ("#home-projects", "Coffee shop"),
        ("#home-dashboards", "Shop overview"),
        ("#home-pipelines", "Orders CSV"),
        ("#home-notifications", "Pipeline run failed"),
    ):
        assert page.locator(section).is_visible()
        assert text in page.locator(section).inner_text()
    folder = artifacts_dir / "browser" / "home_flow"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / "home.png"), full_page=True)
    page.click("#home-pipelines a")
    assert page.url.endswith(f"/projects/{roles.project_id}/sources/{source.id}")
