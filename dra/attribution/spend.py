"""Advertising spend beside an attribution report (issue #16).

The spend comes from the dbt mart ``marts.fct_ad_spend_daily`` (every ad platform's
``campaign_daily`` rows, unified; its yml documents how a platform's campaign maps to an
attribution channel: Meta and LinkedIn Ads paid_social, Google Ads paid_search or
paid_display, all three the attribution channel ``paid``). Only rows of
``spend_kind = 'cost'`` are spend: GA4 reports none and Ad Manager's amounts are revenue
billed to advertisers.

For the report's project and dates (the accounts' own days) it gives:

- per campaign: spend, impressions, clicks, the platform's own attributed conversions
  and their value, cost per conversion (spend / conversions) and return on ad spend
  (conversion value / spend), both by the platform's own attribution;
- per attribution channel and currency: the spend, and for each attribution model of
  the report the conversions it credits the channel with and their value: cost per
  conversion (spend / credits) and return on ad spend (value / spend) per model.

A ratio whose divisor is 0 is None (shown as a dash). ROAS per model compares the
conversions' value with spend: it is None when they are in different currencies.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from dra.attribution.dbt_env import MARTS_SCHEMA

SPEND_MODEL = "fct_ad_spend_daily"


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, None when either is missing or the divisor is 0."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def _by_channel(item: tuple[tuple[str, str | None], Any]) -> tuple[str, str]:
    (channel, currency), _ = item
    return channel, currency or ""


def mart_exists(session: Session, model: str) -> bool:
    """Whether the dbt mart ``model`` has been built (a platform before its first dbt
    build has no such table)."""
    name = f'"{MARTS_SCHEMA}"."{model}"'
    return bool(session.scalar(text("SELECT to_regclass(:n) IS NOT NULL"), {"n": name}))


def spend_table_exists(session: Session) -> bool:
    """Whether the spend mart has been built."""
    return mart_exists(session, SPEND_MODEL)


def _campaigns(session: Session, project_id: int, start: date, end: date) -> list[dict[str, Any]]:
    rows = session.execute(
        text(
            "SELECT platform, channel, ad_channel, campaign_id, max(campaign_name) AS name,"
            " currency, sum(spend) AS spend, sum(impressions) AS impressions,"
            " sum(clicks) AS clicks, sum(conversions) AS conversions,"
            " sum(conversion_value) AS value"
            f' FROM "{MARTS_SCHEMA}"."{SPEND_MODEL}"'
            " WHERE project_id = :p AND spend_kind = 'cost' AND date >= :s AND date <= :e"
            " GROUP BY platform, channel, ad_channel, campaign_id, currency"
            " ORDER BY sum(spend) DESC NULLS LAST, platform, campaign_id"
        ),
        {"p": project_id, "s": start, "e": end},
    )
    out = []
    for r in rows:
        spend = float(r.spend or 0)
        conversions = float(r.conversions) if r.conversions is not None else None
        value = float(r.value) if r.value is not None else None
        out.append(
            {
                "platform": r.platform,
                "channel": r.channel,
                "ad_channel": r.ad_channel,
                "campaign_id": r.campaign_id,
                "campaign_name": r.name or r.campaign_id,
                "currency": r.currency,
                "spend": spend,
                "impressions": int(r.impressions or 0),
                "clicks": int(r.clicks or 0),
                "conversions": conversions,
                "conversion_value": value,
                "cost_per_conversion": ratio(spend, conversions),
                "roas": ratio(value, spend),
            }
        )
    return out


def ad_spend(
    session: Session,
    project_id: int,
    start: date,
    end: date,
    models: Mapping[str, Mapping[str, Mapping[str, float]]],
    conversions_currency: str | None,
) -> dict[str, Any] | None:
    """The report's spend section, or None when the project had no spend in the range.

    ``models`` is the report's model -> channel -> {credits, value};
    ``conversions_currency`` the currency of its conversions (None when unknown or mixed).
    """
    if not spend_table_exists(session):
        return None
    campaigns = _campaigns(session, project_id, start, end)
    if not campaigns:
        return None
    sums: dict[tuple[str, str | None], Decimal] = {}
    for c in campaigns:  # in decimals: 0.1 + 0.2 spent is 0.3
        key = (c["channel"], c["currency"])
        sums[key] = sums.get(key, Decimal(0)) + Decimal(str(c["spend"]))
    totals = {
        key: {"channel": key[0], "currency": key[1], "spend": float(amount)}
        for key, amount in sums.items()
    }
    channels = []
    for (channel, currency), row in sorted(totals.items(), key=_by_channel):
        same_money = conversions_currency is None or currency in (None, conversions_currency)
        per_model = {}
        for model, per_channel in models.items():
            cell = per_channel.get(channel) or {}
            credits = float(cell.get("credits", 0.0))
            value = float(cell.get("value", 0.0))
            per_model[model] = {
                "credits": credits,
                "value": value,
                "cost_per_conversion": ratio(row["spend"], credits),
                "roas": ratio(value, row["spend"]) if same_money else None,
            }
        channels.append({**row, "models": per_model})
    return {"channels": channels, "campaigns": campaigns}
