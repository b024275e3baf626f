"""Ad Manager revenue in the attribution report: Ad Manager sources of two projects
ingested from the fake by the ingestion asset, then the report pipeline (dbt build +
report asset). The report's section holds its own project's orders (impressions, clicks,
revenue in the network's currency) for its dates, checked against the fake's rows, and
their totals per currency; never as spend; on the page and in the API too. A project
without Ad Manager gets no section."""

# ruff: noqa: F811 - fixtures imported from other test modules are parameters here
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from dra.ads.platforms import AdAccount
from dra.attribution.ad_revenue import ad_revenue
from dra.attribution.spend import SPEND_MODEL
from tests.integration.test_ads_google_ingestion import ads_settings, fakes  # noqa: F401
from tests.integration.test_attribution_ga4 import (  # noqa: F401 - a fixture
    api_section,
    assert_no_section,
    source_in_two_projects,
)
from tests.integration.test_attribution_spend import _report
from tests.support.google_fakes import google_fakes, oauth  # noqa: F401 - fixtures

pytestmark = pytest.mark.slow
TITLE = "Ad revenue (Google Ad Manager)"

NETWORK = AdAccount(
    id="21700001", name="Coffee shop network", currency="USD", time_zone="America/New_York"
)


def _expected(fake, start, end) -> dict:
    """The section the fake's rows for [start, end] make: orders most revenue first, and
    their totals (summed in decimals)."""
    orders: dict[str, dict] = defaultdict(lambda: defaultdict(Decimal))
    names = {}
    for row in fake.expected_rows(start, end):
        order = orders[str(row["order_id"])]
        names[str(row["order_id"])] = row["order_name"]
        order["impressions"] += row["impressions"]
        order["clicks"] += row["clicks"]
        order["revenue"] += Decimal(row["revenue_micros"]) / 1_000_000
    shown = [
        {
            "order_id": order_id,
            "order_name": names[order_id],
            "currency": "USD",
            "impressions": int(o["impressions"]),
            "clicks": int(o["clicks"]),
            "revenue": float(o["revenue"]),
        }
        for order_id, o in sorted(orders.items(), key=lambda i: (-i[1]["revenue"], i[0]))
    ]
    total = {
        k: sum((o[k] for o in orders.values()), Decimal(0))
        for k in ("impressions", "clicks", "revenue")
    }
    return {
        "orders": shown,
        "totals": [
            {
                "currency": "USD",
                "impressions": int(total["impressions"]),
                "clicks": int(total["clicks"]),
                "revenue": float(total["revenue"]),
            }
        ],
    }


def test_report_shows_ad_manager_revenue_per_order(
    database, settings, login, google_fakes, source_in_two_projects
):
    fake = google_fakes["google_ad_manager"]
    loaded = source_in_two_projects("google_ad_manager", "GAM", NETWORK, fake, _expected)
    owner, start, day = loaded.owner, loaded.start, loaded.day
    project_id, other, bare = loaded.mine, loaded.other, loaded.bare
    expected, others = loaded.expected, loaded.others
    assert others["totals"] != expected["totals"]

    report = _report(database, settings, project_id, owner.id, day)
    section = report.result["ad_revenue"]
    assert section == expected
    assert {o["order_id"] for o in section["orders"]} == {"9001", "9002"}
    assert expected["totals"][0]["revenue"] > 0
    assert report.result["spend"] is None  # revenue, never spend

    # the other project's rows never show here; it has its own
    with database.system_session() as s:
        assert ad_revenue(s, other, start, day) == others

    # the page: the section with the figures, formatted
    client = login(owner)
    html = client.get(f"/projects/{project_id}/attribution/reports/{report.id}").get_data(True)
    assert TITLE in html and "Advertising spend" not in html
    for o in expected["orders"]:
        assert (
            f'<tr data-order="{o["order_id"]}"><td>{o["order_name"]}</td>'
            f'<td class="impressions">{o["impressions"]:,}</td>'
            f'<td class="clicks">{o["clicks"]:,}</td>'
        ) in html
        assert f'<td class="revenue">${o["revenue"]:,.2f}</td>' in html
    total = expected["totals"][0]
    assert f'<td class="impressions">{total["impressions"]:,}</td>' in html
    assert f'<td class="revenue">${total["revenue"]:,.2f}</td>' in html

    # the API: the same section, and the document declares it
    answered, schemas = api_section(client, project_id, report.id, "ad_revenue")
    assert answered == section
    assert set(schemas["AdRevenueOut"]["properties"]) == {"orders", "totals"}
    assert set(schemas["AdRevenueOrderOut"]["properties"]) == {
        "order_id",
        "order_name",
        "currency",
        "impressions",
        "clicks",
        "revenue",
    }

    # the same events without an Ad Manager source: no section
    assert_no_section(database, settings, client, loaded, "ad_revenue", TITLE)

    with database.system_engine.connect() as conn:  # each change rolled back
        # amounts added up in decimals, per currency; cost rows are not revenue
        columns = (
            "project_id, source_id, platform, date, account_id, campaign_id, campaign_name,"
            " platform_channel, ad_channel, channel, spend_kind, currency, spend,"
            " impressions, clicks"
        )
        for campaign, kind, currency, amount in [
            ("1", "revenue", "EUR", "0.1"),
            ("2", "revenue", "EUR", "0.2"),
            ("3", "revenue", "CHF", "5"),
            ("4", "cost", "EUR", "7"),
        ]:
            conn.execute(
                text(
                    f"INSERT INTO marts.{SPEND_MODEL} ({columns}) VALUES (:p, 0, 'x', :d, 'n',"
                    " :c, NULL, '', 'x', 'other', :k, :cur, :amount, 10, 1)"
                ),
                {"p": bare, "d": day, "c": campaign, "k": kind, "cur": currency, "amount": amount},
            )
        summed = ad_revenue(Session(bind=conn), bare, start, day)
        assert [(o["order_id"], o["order_name"], o["revenue"]) for o in summed["orders"]] == [
            ("3", "3", 5.0),
            ("2", "2", 0.2),
            ("1", "1", 0.1),
        ]
        assert summed["totals"] == [
            {"currency": "CHF", "impressions": 10, "clicks": 1, "revenue": 5.0},
            {"currency": "EUR", "impressions": 20, "clicks": 2, "revenue": 0.3},
        ]
        # before the mart is built: no section either
        conn.execute(text(f"DROP TABLE marts.{SPEND_MODEL}"))
        assert ad_revenue(Session(bind=conn), project_id, start, day) is None
        conn.rollback()
