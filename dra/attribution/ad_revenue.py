"""Google Ad Manager revenue beside an attribution report (issue #16).

Ad Manager's rows of the dbt mart ``marts.fct_ad_spend_daily`` are a publisher's: their
amounts (``spend``) are the revenue billed to advertisers, not a cost, so they have
``spend_kind = 'revenue'`` and the spend section (:mod:`dra.attribution.spend`) never
counts them. The mart's campaign is the Ad Manager order.

For the report's project and dates (the networks' own days) it gives:

- per order: impressions, clicks and revenue, in the network's currency;
- per currency: the same added up over the orders.

Sums are made in decimals, so 0.1 + 0.2 comes out as 0.3.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from dra.attribution.dbt_env import MARTS_SCHEMA
from dra.attribution.spend import SPEND_MODEL, mart_exists


@dataclass
class _Totals:
    """One currency's orders added up."""

    impressions: int = 0
    clicks: int = 0
    revenue: Decimal = Decimal(0)


def ad_revenue(session: Session, project_id: int, start: date, end: date) -> dict[str, Any] | None:
    """The report's Ad Manager section, or None when the project's Ad Manager sources have
    no rows in the range (or the mart is not built yet): a project without Ad Manager
    gets no section."""
    if not mart_exists(session, SPEND_MODEL):
        return None
    rows = session.execute(
        text(
            "SELECT campaign_id, max(campaign_name) AS name, currency,"
            " sum(impressions) AS impressions, sum(clicks) AS clicks, sum(spend) AS revenue"
            f' FROM "{MARTS_SCHEMA}"."{SPEND_MODEL}"'
            " WHERE project_id = :p AND spend_kind = 'revenue' AND date >= :s AND date <= :e"
            " GROUP BY campaign_id, currency"
            " ORDER BY sum(spend) DESC NULLS LAST, campaign_id, currency"
        ),
        {"p": project_id, "s": start, "e": end},
    ).all()
    if not rows:
        return None
    totals: dict[str | None, _Totals] = {}
    orders = []
    for r in rows:
        impressions, clicks, revenue = int(r.impressions or 0), int(r.clicks or 0), r.revenue or 0
        total = totals.setdefault(r.currency, _Totals())
        total.impressions += impressions
        total.clicks += clicks
        total.revenue += revenue
        orders.append(
            {
                "order_id": r.campaign_id,
                "order_name": r.name or r.campaign_id,
                "currency": r.currency,
                "impressions": impressions,
                "clicks": clicks,
                "revenue": float(revenue),
            }
        )
    return {
        "orders": orders,
        "totals": [
            {
                "currency": currency,
                "impressions": t.impressions,
                "clicks": t.clicks,
                "revenue": float(t.revenue),
            }
            for currency, t in sorted(totals.items(), key=lambda i: i[0] or "")
        ],
    }
