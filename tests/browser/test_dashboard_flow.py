"""Models and dashboards in a real browser, then the public link in a fresh context.

Olga builds "Revenue by country" with the query builder (orders joined to customers,
sum of amount per country) and "Daily orders" in the SQL editor; both are built by the
data-model asset. She makes a dashboard with a bar chart, a donut and a line chart plus
a country filter, arranges a widget, shares it, and a guest opens the public link in a
fresh browser context: the three charts render, read-only. Screenshots are kept.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from assets.data_models import data_model_tables
from dra.models import DataModel
from tests.support.factories import DEFAULT_PASSWORD, project_with_roles
from tests.support.modeling import seed_shop

pytestmark = pytest.mark.browser


class Shots:
    def __init__(self, folder):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.n = 0

    def __call__(self, page, name: str) -> None:
        self.n += 1
        page.screenshot(path=str(self.folder / f"{self.n:02d}-{name}.png"), full_page=True)


def build_all(database, materialize) -> None:
    """What the request sensor would launch: one run per saved model."""
    with database.system_session() as s:
        ids = list(s.scalars(select(DataModel.id).order_by(DataModel.id)))
    for model_id in ids:
        materialize(
            [data_model_tables],
            partition_key=str(model_id),
            dynamic_partitions={"data_models": ids},
        )


def add_widget(page, base_url, model, chart, title, x, y, aggregate="sum"):
    page.click("text=Add widget")
    page.fill("input[name=title]", title)
    page.select_option("#data_model_id", label=model)
    page.select_option("#chart_type", chart)
    page.fill("input[name=x]", x)
    page.fill("input[name=y]", y)
    page.select_option("select[name=aggregate]", aggregate)
    page.click("button:has-text('Save widget')")
    page.wait_for_selector("text=The dashboard has been updated.")


def test_model_dashboard_and_public_link(
    live_server, chromium, database, materialize, artifacts_dir
):
    base = live_server.url
    shot = Shots(artifacts_dir / "browser" / "dashboard_flow")
    with database.system_session() as s:
        roles = project_with_roles(s)
        email = roles.owner.email
    seed_shop(database, roles.project_id)
    models_url = f"{base}/projects/{roles.project_id}/models"

    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{base}/auth/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_load_state()

    # --- the query builder: a join and an aggregate -----------------------------------
    page.goto(f"{models_url}/new")
    page.wait_for_selector("#add-table")
    page.select_option("#add-table", "orders")
    page.select_option("#add-table", "customers")
    page.select_option("select[aria-label='Left column']", "customer_id")
    page.select_option("select[aria-label='Right column']", "id")
    page.check("input[data-column='customers.country']")
    page.check("input[data-column='orders.amount']")
    page.select_option("select[aria-label='Aggregate orders.amount']", "sum")
    page.fill("input[aria-label='Alias orders.amount']", "revenue")
    page.press("input[aria-label='Alias orders.amount']", "Tab")
    page.fill("#model-name", "Revenue by country")
    page.click("#preview-button")
    page.wait_for_selector("#preview table.result")
    assert "FR" in page.inner_text("#preview")
    shot(page, "builder-preview")
    page.click("#save-button")
    page.wait_for_selector("text=The data model has been saved.")
    shot(page, "model-saved")

    # --- the SQL editor ----------------------------------------------------------------
    page.goto(f"{models_url}/new?mode=sql")
    page.fill("#model-name", "Daily orders")
    page.fill(
        "#sql",
        "select ordered_on, amount, c.country from orders o "
        "join customers c on c.id = o.customer_id",
    )
    page.click("#save-button")
    page.wait_for_selector("text=The data model has been saved.")
    build_all(database, materialize)
    page.goto(models_url)
    assert page.locator("#models .badge.ok").count() == 2
    shot(page, "models-built")

    # --- a dashboard with three chart types and a filter -------------------------------
    page.goto(f"{base}/projects/{roles.project_id}/dashboards")
    page.fill("#new-dashboard input[name=name]", "Sales overview")
    page.click("#new-dashboard button")
    page.wait_for_selector("text=The dashboard has been added.")
    add_widget(page, base, "Revenue by country", "bar", "Revenue by country", "country", "revenue")
    add_widget(page, base, "Revenue by country", "donut", "Revenue share", "country", "revenue")
    add_widget(page, base, "Daily orders", "line", "Daily revenue", "ordered_on", "amount")
    page.click("text=Settings and filters")
    page.fill("input[name=values_column]", "country")
    page.click("button:has-text('Save')")
    page.wait_for_selector("#filters")
    page.wait_for_function("() => document.querySelectorAll('.widget[data-rendered]').length === 3")
    page.click("#edit-layout")
    page.click(".widget >> nth=0 >> button[title='Narrower']")
    page.wait_for_timeout(300)
    assert "changed by someone else" not in page.inner_text("main")
    page.fill("#filters input[name=values]", "FR")
    page.click("#filters button")
    page.wait_for_function("() => document.querySelectorAll('.widget[data-rendered]').length === 3")
    shot(page, "dashboard-filtered")

    # --- share, then open the link as a guest in a fresh context ------------------------
    page.click("text=Share")
    page.click("button:has-text('Create public link')")
    public_url = page.input_value("#public-url")
    assert "/public/d/" in public_url
    shot(page, "share")
    context.close()

    guest = chromium.new_context(viewport={"width": 1400, "height": 1000})
    gpage = guest.new_page()
    gpage.goto(public_url)
    gpage.wait_for_function(
        "() => document.querySelectorAll('.widget[data-rendered]').length === 3"
    )
    assert gpage.locator(".js-plotly-plot").count() == 3
    assert gpage.locator("text=Add widget").count() == 0
    assert {gpage.get_attribute(f".widget >> nth={i}", "data-chart") for i in range(3)} == {
        "bar",
        "pie",
        "line",
    } - {"pie"} | {"donut"}
    shot(gpage, "public-dashboard")
    gpage.goto(public_url + "x")
    assert gpage.locator("text=no longer shared").count() == 1
    guest.close()
