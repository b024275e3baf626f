"""The AI data modeler in a real browser, from the chat to a chart.

Olga opens the AI modeler tab, picks the shop's two sources (orders and customers), asks
for revenue by country; the (fake) model's answer shows its analysis, model, SQL and the
preview the platform ran; its hostile text stays text. She opens the draft in the query
builder and sends it back, saves it with a title and lands on the model page, which links
the conversation. Once the model is built she charts it on a dashboard. Screenshots in
test-artifacts/browser/ai_flow/.
"""

from __future__ import annotations

import re

import pytest

from dra.modeling.materialize import materialize_model
from tests.support.ai import provider_env, revenue_proposal
from tests.support.browser import Shots, signed_in_page

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror=window.pwned=1>"


@pytest.fixture
def live_server_env(gemini):
    return provider_env(gemini, timeout_seconds=10)


def add_widget(page, model, chart, title, x, y, aggregate="sum"):
    page.click("text=Add widget")
    page.fill("input[name=title]", title)
    page.select_option("#data_model_id", label=model)
    page.select_option("#chart_type", chart)
    page.fill("input[name=x]", x)
    page.fill("input[name=y]", y)
    page.select_option("select[name=aggregate]", aggregate)
    page.click("button:has-text('Save widget')")
    page.wait_for_selector("text=The dashboard has been updated.")


def proposal() -> dict:
    return revenue_proposal(
        analysis=f"orders.customer_id references customers.id; paid orders only. {HOSTILE}",
        unresolved=["Which currency the amounts are in."],
    )


def test_chat_save_build_and_chart(live_server, chromium, database, gemini, shop, artifacts_dir):
    base = live_server.url
    shot = Shots(artifacts_dir / "browser" / "ai_flow")
    project_url = f"{base}/projects/{shop.project_id}"
    errors: list[str] = []  # failed requests, script errors, CSP violations of the page
    page = signed_in_page(chromium, base, shop.owner, errors, width=1400)

    # --- the tab, the sources, the greeting and the join suggestions --------------------
    page.goto(project_url)
    page.click("nav.tabs >> text=AI modeler")
    page.check("label:has-text('Shop') input")
    page.check("label:has-text('CRM') input")
    shot(page, "pick-sources")
    page.click("#open-sources")
    page.wait_for_selector(".ai-greeting >> text=2 table(s)")
    page.wait_for_selector("#joins-list >> text=orders.customer_id → customers.id")
    shot(page, "session-opened")

    # --- a message: the spinner, then the checked answer ---------------------------------
    gemini.answer(proposal(), delay=0.8)
    page.fill("#ai-message", "monthly revenue by country")
    page.click("#ai-send")
    page.wait_for_selector("#ai-spinner:not([hidden])")
    assert page.is_disabled("#ai-send")
    page.wait_for_selector(".ai-assistant .ai-answer")
    assert page.is_enabled("#ai-send") and page.is_hidden("#ai-spinner")
    answer = page.locator(".ai-assistant .ai-answer").first
    text = answer.inner_text()
    for heading in ("ANALYSIS", "MODEL", "SQL", "PREVIEW", "COULD NOT RESOLVE"):
        assert heading in text.upper()
    assert "checked: the SQL ran" in text and "0 correction rounds" in text
    assert HOSTILE in answer.locator(".ai-analysis").inner_text()  # shown as text
    assert answer.locator("img").count() == 0 and page.evaluate("window.pwned") is None
    preview = answer.locator(".ai-preview table.result")
    assert preview.locator("tbody tr").count() == 2 and "FR" in preview.inner_text()
    assert page.input_value("#save-title") == "Revenue by country"
    answer.locator("details.ai-seen summary").click()
    assert "BEGIN SCHEMA DATA" in answer.locator("details.ai-seen pre").inner_text()
    shot(page, "answer")

    # --- the draft in the query builder, and back -------------------------------------------
    page.click("#draft-builder")
    page.wait_for_selector("#ai-draft-note:not([hidden])")
    page.wait_for_selector("input[data-column='customers.country']:checked")
    assert page.input_value("#model-name") == "Revenue by country"
    page.wait_for_selector(".join-hint >> text=orders.customer_id = customers.id (95%)")
    shot(page, "draft-in-builder")
    page.click("#save-button")  # "Use as the AI draft"
    page.wait_for_url(re.compile(r"/ai\?dataSources="))
    page.wait_for_selector("#draft-status >> text=edited")
    assert "Revenue by country" in page.inner_text("#draft-summary")

    # --- a refused save names the title, then the save lands on the model page ------------
    page.fill("#save-title", "")
    page.click("#save-model")
    assert page.inner_text("#save-error") == "Give the data model a title."
    page.fill("#save-title", "Revenue by country (AI)")
    page.click("#save-model")
    page.wait_for_url(re.compile(r"/models/\d+$"))
    page.wait_for_selector("text=The data model has been saved.")
    model_id = int(page.url.rsplit("/", 1)[1])
    assert page.locator("a:has-text('AI conversation')").count() == 1
    shot(page, "model-saved")
    assert not errors, errors

    # --- the build (what refresh_model_job runs), then a chart on a dashboard -------------
    materialize_model(database, model_id)
    page.goto(f"{project_url}/models/{model_id}")
    page.click("a:has-text('AI conversation')")
    page.wait_for_selector(".ai-answer")
    assert "monthly revenue by country" in page.inner_text("main")
    assert page.locator(".ai-answer img").count() == 0
    shot(page, "conversation")

    page.goto(f"{project_url}/dashboards")
    page.fill("#new-dashboard input[name=name]", "AI revenue")
    page.click("#new-dashboard button")
    page.wait_for_selector("text=The dashboard has been added.")
    add_widget(page, "Revenue by country (AI)", "bar", "Revenue", "country", "revenue")
    page.wait_for_function("() => document.querySelectorAll('.widget[data-rendered]').length === 1")
    assert page.locator(".js-plotly-plot").count() == 1
    shot(page, "dashboard")
    page.context.close()
