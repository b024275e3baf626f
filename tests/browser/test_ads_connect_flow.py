"""Connecting a Meta Ads account in a real browser (UC-DS-11): an editor of the project
goes from the data sources page to "Connect with Meta", through the provider (a local
fake OAuth server and Graph API) and back, picks one of two ad accounts and lands on the
new source, queued for ingestion; then declines consent and is back on the connect page
with the specification's message (ALT-DS11A). Screenshots in test-artifacts/browser/ads/."""

# ruff: noqa: F811 - fixtures imported from tests/integration/test_ads_connect.py are parameters
from __future__ import annotations

import pytest
from sqlalchemy import select

from dra.models import DataSource, PipelineRequest
from tests.integration.test_ads_connect import meta, meta_oauth  # noqa: F401 - fixtures
from tests.support.browser import signed_in_page
from tests.support.factories import add_member, create_project, create_user

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server_env(meta_oauth, meta):
    return {**meta_oauth.env("DRA_META"), "DRA_META_API_URL": meta.base_url}


def test_an_editor_connects_a_meta_ads_account(
    live_server, chromium, database, meta, meta_oauth, artifacts_dir
):
    folder = artifacts_dir / "browser" / "ads"
    folder.mkdir(parents=True, exist_ok=True)
    with database.system_session() as s:
        owner = create_user(s)
        editor = create_user(s, email="editor@example.com")
        project_id = create_project(s, owner, name="Shop")
        add_member(s, project_id, editor, "editor")
    meta.add_account("111", "Shop FR")
    meta.add_account("222", "Shop DE")
    problems: list[str] = []
    page = signed_in_page(chromium, live_server.url, editor, problems, width=1280)

    page.goto(f"{live_server.url}/projects/{project_id}/sources")
    page.click("text=Connect an ad account")
    page.wait_for_selector("#ad-platforms")
    page.screenshot(path=str(folder / "platforms.png"), full_page=True)
    page.click("#ad-platforms [data-platform=meta_ads] a")
    page.click("button:has-text('Connect with Meta')")
    # the provider consents at once and sends the browser back: the accounts to pick from
    page.wait_for_selector("#accounts")
    assert page.url.startswith(f"{live_server.url}/projects/{project_id}/sources/connect/")
    labels = page.inner_text("#accounts")
    assert "Shop FR" in labels and "Shop DE" in labels
    page.screenshot(path=str(folder / "pick.png"), full_page=True)
    page.check("#accounts input[value='222']")
    page.fill("input[name=name]", "Meta DE")
    page.click("button:has-text('Connect and ingest')")
    page.wait_for_selector("text=has been connected")
    page.screenshot(path=str(folder / "source.png"), full_page=True)
    with database.system_session() as s:
        source = s.scalar(select(DataSource).where(DataSource.project_id == project_id))
        assert (source.name, source.type, source.created_by) == ("Meta DE", "meta_ads", editor.id)
        assert source.settings["account"]["id"] == "222"
        assert b"access_token" not in source.connection_encrypted  # encrypted at rest
        queued = s.scalar(select(PipelineRequest).where(PipelineRequest.target_id == source.id))
        assert queued.status == "queued"
    assert page.url == f"{live_server.url}/projects/{project_id}/sources/{source.id}"
    assert meta_oauth.issue()["access_token"] not in page.content()

    # declining at the provider: back on the connect page with the message, nothing saved
    meta_oauth.deny = True
    page.goto(f"{live_server.url}/projects/{project_id}/sources/connect/meta_ads")
    page.click("button:has-text('Connect with Meta')")
    page.wait_for_selector(".flash-error, [role=alert]")
    assert page.url.startswith(f"{live_server.url}/projects/{project_id}/sources/connect/meta_ads")
    assert page.inner_text("body").count("access was not granted on the consent screen") == 1
    page.screenshot(path=str(folder / "denied.png"), full_page=True)
    with database.system_session() as s:
        count = len(s.scalars(select(DataSource).where(DataSource.project_id == project_id)).all())
    assert count == 1
    assert problems == []
