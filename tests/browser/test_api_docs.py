"""The API reference page (/api/docs) in Chromium: Swagger UI renders every operation of
the document from the app's own files, fetches nothing from another site and breaks no
CSP rule; an operation opens with its parameters. Screenshots go to
test-artifacts/browser/api_docs/."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.support.browser import Shots, watch

pytestmark = pytest.mark.browser


def test_the_docs_page_renders_every_operation_from_local_files(
    live_server, chromium, artifacts_dir
):
    shot = Shots(artifacts_dir / "browser" / "api_docs")
    doc = live_server.app.test_client().get("/api/v1/openapi.json").get_json()
    operations = sum(len(ops) for ops in doc["paths"].values())
    problems: list[str] = []
    page = chromium.new_context(viewport={"width": 1300, "height": 1000}).new_page()
    watch(page, problems)
    hosts: set[str] = set()
    page.on("request", lambda r: hosts.add(urlsplit(r.url).netloc))

    page.goto(f"{live_server.url}/api/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() == operations
    titles = page.locator(".opblock-tag").all_inner_texts()
    for tag in ("projects", "data sources", "attribution", "AI modeler", "insights", "admin"):
        assert any(t.startswith(tag) for t in titles), (tag, titles)
    shot(page, "operations")

    report = page.locator(".opblock-post:has-text('/attribution/reports')").first
    report.locator(".opblock-summary").click()
    page.wait_for_selector(".opblock.is-open .opblock-section-request-body")
    assert "lookback_days" in page.locator(".opblock.is-open").inner_text()
    shot(page, "report-operation")

    assert hosts == {urlsplit(live_server.url).netloc}, hosts  # nothing from another site
    assert problems == [], problems
