"""Google Ad Manager (UC-DS-09): the networks a token can read, and impressions, clicks and
revenue by date and order / line item, read with the official ``google-ads-admanager``
client (REST): a report is created, run (a long-running operation), polled until done,
and its rows fetched page by page.

Revenue (Ad Manager's "Total revenue", a MONEY value in micros) is stored in the network's
currency; dates are in the network's time zone. ``campaign_daily`` holds orders (the
revenue billed for an order is its ``spend``), ``line_item_daily`` their line items."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

from google.ads import admanager_v1 as admanager
from google.api_core.future import polling

from dra.ads.google import GooglePlatform, micros
from dra.ads.platforms import (
    DATE_COLUMN,
    AdAccount,
    AdColumn,
    AdTable,
    OAuthToken,
    PlatformError,
    named,
    register_platform,
    spend_table,
)

PAGE_ROWS = 10_000
REPORT_TIMEOUT_SECONDS = 1800.0
"""How long a report may take to run before the load fails."""

Dimension = admanager.ReportDefinition.Dimension
Metric = admanager.ReportDefinition.Metric

CAMPAIGN_TABLE = spend_table(
    description="Orders by date: impressions, clicks and the revenue billed (spend).",
)
LINE_ITEM_TABLE = AdTable(
    "line_item_daily",
    (
        DATE_COLUMN,
        *named("order", "line_item"),
        AdColumn("impressions", "bigint"),
        AdColumn("clicks", "bigint"),
        AdColumn("revenue", "numeric"),
    ),
    key=("date", "line_item_id"),
    description="Line items by date: impressions, clicks and revenue.",
)
_DIMENSIONS = {
    CAMPAIGN_TABLE.name: (Dimension.DATE, Dimension.ORDER_ID, Dimension.ORDER_NAME),
    LINE_ITEM_TABLE.name: (
        Dimension.DATE,
        Dimension.ORDER_ID,
        Dimension.ORDER_NAME,
        Dimension.LINE_ITEM_ID,
        Dimension.LINE_ITEM_NAME,
    ),
}
_METRICS = (Metric.IMPRESSIONS, Metric.CLICKS, Metric.REVENUE)


@register_platform
class AdManager(GooglePlatform):
    key = "google_ad_manager"
    label = "Google Ad Manager"
    scopes = ("https://www.googleapis.com/auth/admanager",)
    account_noun = "Ad Manager network"
    none_found = "No Google Ad Manager networks found for this account."
    tables = (CAMPAIGN_TABLE, LINE_ITEM_TABLE)

    def _options(self) -> dict[str, str]:
        return {"api_endpoint": self.api_url}

    def list_accounts(self, token: OAuthToken) -> list[AdAccount]:
        creds = self.credentials(token)
        client = admanager.NetworkServiceClient(
            credentials=creds, transport="rest", client_options=self._options()
        )
        answer = self.call(
            creds,
            lambda: client.list_networks(
                admanager.ListNetworksRequest(), timeout=self.settings.timeout_seconds
            ),
            "listing the Ad Manager networks",
        )
        return [
            AdAccount(
                id=network.network_code,
                name=network.display_name or network.network_code,
                currency=network.currency_code or None,
                time_zone=network.time_zone or None,
            )
            for network in answer.networks
        ]

    def fetch_table(
        self, token: OAuthToken, account: AdAccount, table: AdTable, start: date, end: date
    ) -> Iterator[Mapping[str, Any]]:
        creds = self.credentials(token)
        client = admanager.ReportServiceClient(
            credentials=creds, transport="rest", client_options=self._options()
        )
        timeout = self.settings.timeout_seconds
        span = admanager.ReportDefinition.DateRange.FixedDateRange(
            start_date={"year": start.year, "month": start.month, "day": start.day},
            end_date={"year": end.year, "month": end.month, "day": end.day},
        )
        report = admanager.Report(
            display_name=f"DRA {table.name} {start.isoformat()}..{end.isoformat()}",
            report_definition=admanager.ReportDefinition(
                dimensions=list(_DIMENSIONS[table.name]),
                metrics=list(_METRICS),
                report_type=admanager.ReportDefinition.ReportType.HISTORICAL,
                date_range=admanager.ReportDefinition.DateRange(fixed=span),
            ),
        )
        created = self.call(
            creds,
            lambda: client.create_report(
                parent=f"networks/{account.id}", report=report, timeout=timeout
            ),
            "creating the Ad Manager report",
        )
        operation = self.call(
            creds,
            lambda: client.run_report(name=created.name, timeout=timeout),
            "running the Ad Manager report",
        )
        first = min(1.0, max(self.settings.retry_seconds, 0.01))
        wait = polling.DEFAULT_POLLING.with_delay(
            initial=first, maximum=15.0, multiplier=1.5
        ).with_timeout(REPORT_TIMEOUT_SECONDS)
        result = self.call(
            creds,
            lambda: operation.result(timeout=REPORT_TIMEOUT_SECONDS, polling=wait),
            "waiting for the Ad Manager report",
        )
        if not result.report_result:
            raise PlatformError("Google Ad Manager: the report finished without a result.")
        page_token = ""
        while True:
            request = admanager.FetchReportResultRowsRequest(
                name=result.report_result, page_size=PAGE_ROWS, page_token=page_token
            )
            page = self.call(
                creds,
                lambda request=request: client.fetch_report_result_rows(
                    request=request, timeout=timeout
                ),
                "reading the Ad Manager report",
            )
            for row in page.rows:  # this page's rows only (iterating the pager would fetch on)
                yield _row(table, row)
            page_token = page.next_page_token
            if not page_token:
                return


def _value(value: Any) -> Any:
    kind = admanager.ReportValue.pb(value).WhichOneof("value")
    return getattr(value, kind) if kind else None


def _day(value: Any) -> date:
    """A DATE dimension: an int ``YYYYMMDD`` (text ``YYYY-MM-DD`` accepted too)."""
    text = str(value)
    return datetime.strptime(text, "%Y-%m-%d" if "-" in text else "%Y%m%d").date()


def _row(table: AdTable, row: Any) -> dict[str, Any]:
    dims = [_value(v) for v in row.dimension_values]
    impressions, clicks, revenue = (
        [_value(v) for v in row.metric_value_groups[0].primary_values]
        if row.metric_value_groups
        else [None, None, None]
    )
    out: dict[str, Any] = {"date": _day(dims[0]), "impressions": impressions, "clicks": clicks}
    if table.name == CAMPAIGN_TABLE.name:
        out.update(campaign_id=str(dims[1]), campaign_name=dims[2], spend=micros(revenue))
        return out
    out.update(
        order_id=str(dims[1]),
        order_name=dims[2],
        line_item_id=str(dims[3]),
        line_item_name=dims[4],
        revenue=micros(revenue),
    )
    return out
