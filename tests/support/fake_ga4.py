"""A local fake of the GA4 Data API (``runReport``) and the Admin API's account summaries,
which the real ``google-analytics-data`` client and an authorized HTTP session reach through
``api_endpoint=fake.url``.

Wire format as Google's: camelCase JSON, int64 and metric values as strings, dates as
``YYYYMMDD``, ``offset``/``limit`` paging with ``rowCount``, the property's currency and
time zone in ``metadata``, errors as ``{"error": {"code", "message", "status"}}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import Flask, jsonify, request

from tests.support.fake_ads import DailyNumbers, RestFake, Script, days_between

# (sessionDefaultChannelGroup, sessionSource, sessionMedium, sessionCampaignName)
TRAFFIC = [
    ("Paid Search", "google", "cpc", "spring_sale"),
    ("Paid Search", "google", "cpc", "brand"),
    ("Paid Social", "facebook", "paid_social", "spring_sale"),
    ("Organic Search", "google", "organic", "(organic)"),
    ("Direct", "(direct)", "(none)", "(direct)"),
    ("Email", "newsletter", "email", "march_news"),
]
TRAFFIC_DIMENSIONS = [
    "sessionDefaultChannelGroup",
    "sessionSource",
    "sessionMedium",
    "sessionCampaignName",
]
METRIC_TYPES = {
    "sessions": "TYPE_INTEGER",
    "totalUsers": "TYPE_INTEGER",
    "keyEvents": "TYPE_FLOAT",
    "totalRevenue": "TYPE_CURRENCY",
}


@dataclass
class Ga4Property:
    id: str
    name: str
    account: str = "accounts/100"
    account_name: str = "Demo account"
    currency: str = "EUR"
    time_zone: str = "Europe/Berlin"


def metric_value(numbers: DailyNumbers, day: date, entity: int, metric: str) -> str:
    """The metric as the API writes it: integers for counts, decimals for money."""
    index = list(METRIC_TYPES).index(metric)
    raw = numbers.value(day, entity, index)
    if metric == "totalRevenue":
        return f"{raw * 1.25:.2f}"
    if metric == "keyEvents":
        return str(raw % 7)
    return str(raw)


@dataclass
class FakeGa4(RestFake):
    properties: list[Ga4Property] = field(
        default_factory=lambda: [Ga4Property("123456", "Coffee shop web")]
    )
    numbers: DailyNumbers = field(default_factory=DailyNumbers)
    script: Script = field(default_factory=Script)
    traffic: list[tuple[str, str, str, str]] = field(default_factory=lambda: list(TRAFFIC))
    """The rows' dimension values, as :data:`TRAFFIC`."""
    summaries_page_size: int = 1
    max_page_rows: int = 250_000
    """runReport gives at most this many rows, whatever ``limit`` asks (the API: 250,000)."""
    reports: list[dict[str, Any]] = field(default_factory=list)
    """The JSON body of every runReport request, in order."""

    def expected_rows(
        self, start: date, end: date, dimensions: list[str], metrics: list[str]
    ) -> list[dict[str, str]]:
        """Every row the report has for the date range, as the API would send it."""
        groups = _groups(dimensions, self.traffic)
        out = []
        for day in days_between(start, end):
            if not self.numbers.active(day):
                continue
            for index, values in enumerate(groups):
                row = {
                    "date": day.strftime("%Y%m%d"),
                    **dict(zip(dimensions[1:], values, strict=True)),
                }
                for metric in metrics:
                    row[metric] = metric_value(self.numbers, day, index, metric)
                out.append(row)
        return out

    def app(self) -> Flask:
        app = Flask("fake_ga4")

        def error(code: int, status: str, message: str):
            return jsonify(error={"code": code, "message": message, "status": status}), code

        @app.before_request
        def authenticate():
            if self.script.token_refused(request.headers.get("Authorization")):
                return error(
                    401,
                    "UNAUTHENTICATED",
                    "Request had invalid authentication credentials.",
                )
            if self.script.take_throttle():
                return error(429, "RESOURCE_EXHAUSTED", "Exhausted property tokens per hour.")
            return None

        @app.post("/v1beta/properties/<property_id>:runReport")
        def run_report(property_id: str):
            body = request.get_json()
            self.reports.append(body)
            prop = next((p for p in self.properties if p.id == property_id), None)
            if prop is None:
                return error(403, "PERMISSION_DENIED", "User does not have sufficient permissions.")
            dimensions = [d["name"] for d in body.get("dimensions", [])]
            metrics = [m["name"] for m in body.get("metrics", [])]
            if not dimensions or dimensions[0] != "date":
                return error(400, "INVALID_ARGUMENT", "The fake answers reports by date first.")
            (span,) = body["dateRanges"]
            rows = self.expected_rows(
                date.fromisoformat(span["startDate"]),
                date.fromisoformat(span["endDate"]),
                dimensions,
                metrics,
            )
            offset = int(body.get("offset", 0))
            limit = min(int(body.get("limit", 10000)), self.max_page_rows)
            page = rows[offset : offset + limit]
            answer: dict[str, Any] = {
                "dimensionHeaders": [{"name": d} for d in dimensions],
                "metricHeaders": [{"name": m, "type": METRIC_TYPES[m]} for m in metrics],
                "rows": [
                    {
                        "dimensionValues": [{"value": r[d]} for d in dimensions],
                        "metricValues": [{"value": r[m]} for m in metrics],
                    }
                    for r in page
                ],
                "rowCount": len(rows),
                "metadata": {"currencyCode": prop.currency, "timeZone": prop.time_zone},
                "kind": "analyticsData#runReport",
            }
            if not page:
                del answer["rows"]
            return jsonify(answer)

        @app.get("/v1beta/properties/<property_id>")
        def get_property(property_id: str):
            prop = next((p for p in self.properties if p.id == property_id), None)
            if prop is None:
                return error(403, "PERMISSION_DENIED", "User does not have sufficient permissions.")
            return jsonify(
                name=f"properties/{prop.id}",
                displayName=prop.name,
                parent=prop.account,
                currencyCode=prop.currency,
                timeZone=prop.time_zone,
                propertyType="PROPERTY_TYPE_ORDINARY",
            )

        @app.get("/v1beta/accountSummaries")
        def account_summaries():
            start = int(request.args.get("pageToken") or 0)
            size = min(int(request.args.get("pageSize") or 50), self.summaries_page_size)
            accounts: dict[str, dict[str, Any]] = {}
            for prop in self.properties:
                summary = accounts.setdefault(
                    prop.account,
                    {
                        "name": f"accountSummaries/{prop.account.split('/')[1]}",
                        "account": prop.account,
                        "displayName": prop.account_name,
                        "propertySummaries": [],
                    },
                )
                summary["propertySummaries"].append(
                    {
                        "property": f"properties/{prop.id}",
                        "displayName": prop.name,
                        "propertyType": "PROPERTY_TYPE_ORDINARY",
                        "parent": prop.account,
                    }
                )
            listed = list(accounts.values())
            answer: dict[str, Any] = {"accountSummaries": listed[start : start + size]}
            if start + size < len(listed):
                answer["nextPageToken"] = str(start + size)
            return jsonify(answer)

        return app


def _groups(
    dimensions: list[str], traffic: list[tuple[str, str, str, str]]
) -> list[tuple[str, ...]]:
    """The distinct values of the non-date dimensions in ``traffic``, in a fixed order."""
    indexes = [TRAFFIC_DIMENSIONS.index(d) for d in dimensions[1:]]
    seen: dict[tuple[str, ...], None] = {}
    for entry in traffic:
        seen.setdefault(tuple(entry[i] for i in indexes), None)
    return list(seen)
