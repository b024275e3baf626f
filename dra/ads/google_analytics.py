"""Google Analytics 4 (UC-DS-07): properties listed through the Admin API's account
summaries, sessions, users, key events and revenue read with ``runReport`` of the Data
API (``google-analytics-data``, REST transport) by date and default channel group, and by
date, channel group, source / medium and campaign.

Each property's currency and time zone (from the Admin API) go with its rows; GA4's dates
are in the property's time zone."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

from google.analytics.data_v1beta import BetaAnalyticsDataClient
from google.analytics.data_v1beta.types import (
    DateRange,
    Dimension,
    Metric,
    OrderBy,
    RunReportRequest,
)
from google.api_core import exceptions as api_exceptions
from google.auth.transport.requests import AuthorizedSession

from dra.ads.google import GooglePlatform
from dra.ads.platforms import (
    AdAccount,
    AdColumn,
    AdTable,
    OAuthToken,
    register_platform,
    spend_table,
)

PAGE_ROWS = 100_000
"""Rows asked for per runReport call (the API gives at most 250,000)."""

_METRICS = {  # GA4 metric -> our column
    "sessions": "sessions",
    "totalUsers": "users",
    "keyEvents": "conversions",
    "totalRevenue": "conversion_value",
}
_TRAFFIC = {  # GA4 dimension -> our column
    "sessionDefaultChannelGroup": "channel",
    "sessionSource": "source",
    "sessionMedium": "medium",
    "sessionCampaignName": "campaign_id",
}

CAMPAIGN_TABLE = spend_table(
    extra=(
        AdColumn("source", "text"),
        AdColumn("medium", "text"),
        AdColumn("sessions", "bigint"),
        AdColumn("users", "bigint"),
    ),
    key=("date", "channel", "source", "medium", "campaign_id"),
    description="Sessions, users, key events (conversions) and revenue (conversion_value) "
    "by date, default channel group, source / medium and campaign name; no spend.",
)
CHANNEL_TABLE = AdTable(
    "channel_daily",
    (
        AdColumn("date", "date"),
        AdColumn("channel", "text"),
        AdColumn("sessions", "bigint"),
        AdColumn("users", "bigint"),
        AdColumn("key_events", "numeric"),
        AdColumn("revenue", "numeric"),
    ),
    key=("date", "channel"),
    description="Sessions, users, key events and revenue by date and default channel group "
    "(users counted once per channel and day, which the campaign table cannot add up to).",
)
_DIMENSIONS = {
    CAMPAIGN_TABLE.name: ["date", *_TRAFFIC],
    CHANNEL_TABLE.name: ["date", "sessionDefaultChannelGroup"],
}
_CHANNEL_COLUMNS = {"keyEvents": "key_events", "totalRevenue": "revenue"}


@register_platform
class GoogleAnalytics(GooglePlatform):
    key = "google_analytics"
    label = "Google Analytics 4"
    scopes = ("https://www.googleapis.com/auth/analytics.readonly",)
    account_noun = "GA4 property"
    none_found = "No GA4 properties found for this account."
    tables = (CAMPAIGN_TABLE, CHANNEL_TABLE)

    @property
    def admin_url(self) -> str:
        return self.settings.api_url("google_analytics_admin").rstrip("/")

    def list_accounts(self, token: OAuthToken) -> list[AdAccount]:
        """Every property of every account summary (all pages), with the property's
        currency and time zone."""
        creds = self.credentials(token)
        session = AuthorizedSession(creds)
        timeout = self.settings.timeout_seconds

        def get(path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
            def fetch() -> dict[str, Any]:
                answer = session.get(f"{self.admin_url}{path}", params=params, timeout=timeout)
                if answer.status_code >= 400:
                    raise api_exceptions.from_http_response(answer)
                return answer.json()

            return self.call(creds, fetch, "listing the GA4 properties")

        accounts = []
        page_token = ""
        while True:
            params = {"pageSize": "200", **({"pageToken": page_token} if page_token else {})}
            page = get("/v1beta/accountSummaries", params)
            for summary in page.get("accountSummaries", []):
                for prop in summary.get("propertySummaries", []):
                    property_id = prop["property"].split("/", 1)[1]
                    detail = get(f"/v1beta/properties/{property_id}")
                    accounts.append(
                        AdAccount(
                            id=property_id,
                            name=prop.get("displayName") or property_id,
                            currency=detail.get("currencyCode") or None,
                            time_zone=detail.get("timeZone") or None,
                            parent_id=summary.get("account", "").split("/")[-1] or None,
                        )
                    )
            page_token = page.get("nextPageToken") or ""
            if not page_token:
                return accounts

    def client(self, token: OAuthToken) -> tuple[BetaAnalyticsDataClient, Any]:
        creds = self.credentials(token)
        client = BetaAnalyticsDataClient(
            credentials=creds, transport="rest", client_options={"api_endpoint": self.api_url}
        )
        return client, creds

    def fetch_table(
        self, token: OAuthToken, account: AdAccount, table: AdTable, start: date, end: date
    ) -> Iterator[Mapping[str, Any]]:
        client, creds = self.client(token)
        dimensions = _DIMENSIONS[table.name]
        offset = 0
        while True:
            request = RunReportRequest(
                property=f"properties/{account.id}",
                date_ranges=[DateRange(start_date=start.isoformat(), end_date=end.isoformat())],
                dimensions=[Dimension(name=d) for d in dimensions],
                metrics=[Metric(name=m) for m in _METRICS],
                order_bys=[OrderBy(dimension=OrderBy.DimensionOrderBy(dimension_name="date"))],
                offset=offset,
                limit=PAGE_ROWS,
                keep_empty_rows=False,
            )
            report = self.call(
                creds,
                lambda request=request: client.run_report(
                    request=request, timeout=self.settings.timeout_seconds
                ),
                "a GA4 report",
            )
            names = [h.name for h in report.dimension_headers] + [
                h.name for h in report.metric_headers
            ]
            for row in report.rows:
                values = [v.value for v in row.dimension_values] + [
                    v.value for v in row.metric_values
                ]
                yield _row(table, dict(zip(names, values, strict=True)))
            offset += len(report.rows)
            if not report.rows or offset >= report.row_count:
                return


def _row(table: AdTable, raw: Mapping[str, str]) -> dict[str, Any]:
    """One GA4 row as the table's columns (metric values come as decimal text)."""
    out: dict[str, Any] = {"date": datetime.strptime(raw["date"], "%Y%m%d").date()}
    if table.name == CHANNEL_TABLE.name:
        out["channel"] = raw["sessionDefaultChannelGroup"]
        for metric, column in _METRICS.items():
            out[_CHANNEL_COLUMNS.get(metric, column)] = raw[metric]
        return out
    for dimension, column in _TRAFFIC.items():
        out[column] = raw[dimension] or "(not set)"
    out["campaign_name"] = out["campaign_id"]
    for metric, column in _METRICS.items():
        out[column] = raw[metric]
    return out
