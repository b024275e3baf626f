"""AI insights in a real browser: generate, then read (UC-INS-01/02).

Olga (the owner) opens a data model's Insights tab, empty at first, and generates
insights: the (fake) model's first answer states a number no fact holds, so that insight
is dropped and the model is asked once more; the page shows the checked insights, the
numbers and SQL behind each one on request, and what was dropped. Vera (a viewer) reads
them without a button to generate. After a rebuild the set is marked out of date. The
dashboard reading the model lists its insights. No request fails, no script error, no
CSP violation. Screenshots in test-artifacts/browser/insights/.
"""

from __future__ import annotations

import pytest

from dra.models import Dashboard, DashboardWidget
from tests.support.ai import provider_env
from tests.support.browser import Shots, signed_in_page
from tests.support.factories import project_with_roles
from tests.support.insights import planted_model, rebuild

pytestmark = pytest.mark.browser

GOOD = {
    "title": "Amount jumped on the last day",
    "text": "The total amount rose 73.7% (+601) on 2026-03-31; DE made 99.7% of the change.",
    "severity": "warning",
    "fact_ids": ["change:amount:day", "driver:amount:country=DE"],
}
SPIKE = {
    "title": "A one-day spike on 2026-02-10",
    "text": "The total amount was 5,813 on 2026-02-10, far above the median of 816 a day.",
    "severity": "warning",
    "fact_ids": ["anomaly:amount:2026-02-10"],
}
INVENTED = {
    "title": "Visits grow fast",
    "text": "Visits grow 37% a month.",
    "severity": "info",
    "fact_ids": ["trend:visits"],
}
REPLACEMENT = {
    "title": "Visits climb steadily",
    "text": "Visits rose by about 8 per day over 90 days (R² 1).",
    "severity": "info",
    "fact_ids": ["trend:visits"],
}


@pytest.fixture
def live_server_env(gemini):
    return provider_env(gemini, timeout_seconds=10)


def test_generate_then_read_insights(live_server, chromium, database, gemini, artifacts_dir):
    base = live_server.url
    shot = Shots(artifacts_dir / "browser" / "insights")
    with database.system_session() as s:
        roles = project_with_roles(s)
    model_id = planted_model(database, roles.project_id)
    with database.system_session() as s:
        board = Dashboard(project_id=roles.project_id, name="Sales", layout={}, filters={})
        s.add(board)
        s.flush()
        s.add(
            DashboardWidget(
                dashboard_id=board.id,
                data_model_id=model_id,
                chart_type="bar",
                title="Amount by country",
                binding={"x": "country", "y": "amount", "aggregate": "sum"},
                w=6,
                h=4,
            )
        )
        board_id = board.id
    project_url = f"{base}/projects/{roles.project_id}"
    errors: list[str] = []

    # --- the owner: the model's Insights tab, empty, then generated ------------------------
    page = signed_in_page(chromium, base, roles.owner, errors)
    page.goto(f"{project_url}/models/{model_id}")
    page.click("nav.model-tabs >> text=Insights")
    page.wait_for_selector("text=No insights yet")
    shot(page, "empty-tab")
    gemini.answer({"insights": [SPIKE, GOOD, INVENTED]}).answer({"insights": [REPLACEMENT]})
    page.click("#generate-insights")
    page.wait_for_selector("text=3 insight(s) generated.")
    titles = page.locator(".insight h3").all_inner_texts()
    assert [t.split(" ", 1)[1] for t in titles] == [
        SPIKE["title"],
        GOOD["title"],
        REPLACEMENT["title"],
    ]
    assert page.locator(".insight-meta .badge.ok").inner_text() == "current"
    assert "37%" in gemini.user_texts(1)[1]  # the retry said what was wrong
    shot(page, "generated")

    # the numbers behind an insight, and the SQL that produced them, on request
    first = page.locator(".insight").nth(1)
    first.locator("summary").first.click()
    fact = first.locator(".fact[data-fact-id='driver:amount:country=DE']")
    assert "99.7%" in fact.inner_text() and "share_of_change_pct" in fact.inner_text()
    fact.locator("summary:has-text('SQL')").click()
    assert "group by" in fact.locator("pre.sql").inner_text()
    page.locator("details.dropped summary").click()
    assert "37% is in none of the cited facts" in page.locator("details.dropped").inner_text()
    shot(page, "numbers-and-sql")

    # --- the viewer reads, without a button to generate -------------------------------------
    viewer = signed_in_page(chromium, base, roles.viewer, errors)
    viewer.goto(f"{project_url}/models/{model_id}/insights")
    viewer.wait_for_selector(f"text={SPIKE['title']}")
    assert viewer.locator("#generate-insights").count() == 0
    shot(viewer, "viewer-reads")

    # --- rebuilt since: out of date --------------------------------------------------------
    rebuild(database, model_id)
    page.reload()
    page.wait_for_selector(".stale-badge")
    assert "now version 2" in page.locator(".insight-meta").inner_text()
    shot(page, "out-of-date")

    # --- the dashboard lists the insights of the models it reads ---------------------------
    page.goto(f"{project_url}/dashboards/{board_id}")
    page.wait_for_selector(".dashboard-insights >> text=" + SPIKE["title"])
    page.wait_for_selector(".js-plotly-plot, .plot-container", timeout=15000)
    shot(page, "dashboard")
    page.goto(f"{project_url}/insights")
    page.wait_for_selector("td >> text=Planted sales")
    shot(page, "project-tab")
    assert errors == []
