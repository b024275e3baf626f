"""A local fake of the Ad Manager REST API that the real ``google-ads-admanager`` client
reaches through ``api_endpoint=fake.url``: the networks listing and a report's life,
create -> ``:run`` (a long-running operation, done after ``polls_needed`` polls) ->
``:fetchRows`` with ``pageToken``. Enums travel as integers, as the client sends them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import Flask, jsonify, request

from tests.support.fake_ads import DailyNumbers, RestFake, Script, days_between

# ReportDefinition.Dimension / Metric numbers (google.ads.admanager_v1)
DIM_DATE, DIM_LINE_ITEM_ID, DIM_LINE_ITEM_NAME, DIM_ORDER_ID, DIM_ORDER_NAME = 3, 1, 2, 7, 8
MET_IMPRESSIONS, MET_CLICKS, MET_REVENUE = 1, 2, 36

# (order id, order name, line item id, line item name)
LINE_ITEMS = [
    (9001, "Spring launch", 70001, "Homepage takeover"),
    (9001, "Spring launch", 70002, "Run of site 300x250"),
    (9002, "Coffee club", 70003, "Newsletter sponsor"),
]


@dataclass
class AdManagerNetwork:
    code: str
    name: str
    currency: str = "USD"
    time_zone: str = "America/New_York"


def revenue_micros(impressions: int) -> int:
    """Revenue for a row: 2.5 per thousand impressions, in micros (MONEY as int64)."""
    return impressions * 2500


@dataclass
class FakeAdManager(RestFake):
    networks: list[AdManagerNetwork] = field(
        default_factory=lambda: [AdManagerNetwork("21700001", "Coffee shop network")]
    )
    numbers: DailyNumbers = field(default_factory=DailyNumbers)
    script: Script = field(default_factory=Script)
    page_size: int = 1000
    """At most this many rows a fetchRows page, whatever the client asks."""
    polls_needed: int = 1
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Report name -> the definition the client created."""
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    fetches: list[dict[str, str]] = field(default_factory=list)
    """The query of every fetchRows call, in order."""

    def expected_rows(self, start: date, end: date) -> list[dict[str, Any]]:
        out = []
        for day in days_between(start, end):
            if not self.numbers.active(day):
                continue
            for index, (order_id, order, item_id, item) in enumerate(LINE_ITEMS):
                impressions = self.numbers.value(day, index, 0) * 100
                out.append(
                    {
                        "date": day,
                        "order_id": order_id,
                        "order_name": order,
                        "line_item_id": item_id,
                        "line_item_name": item,
                        "impressions": impressions,
                        "clicks": self.numbers.value(day, index, 1),
                        "revenue_micros": revenue_micros(impressions),
                    }
                )
        return out

    def app(self) -> Flask:
        app = Flask("fake_ad_manager")
        ids = itertools.count(1)

        def error(code: int, status: str, message: str):
            return jsonify(error={"code": code, "message": message, "status": status}), code

        def network(code: str) -> AdManagerNetwork | None:
            return next((n for n in self.networks if n.code == code), None)

        @app.before_request
        def authenticate():
            if self.script.token_refused(request.headers.get("Authorization")):
                return error(401, "UNAUTHENTICATED", "Invalid authentication credentials.")
            if request.method == "POST" and self.script.take_throttle():
                return error(429, "RESOURCE_EXHAUSTED", "Quota exceeded for reports.")
            return None

        @app.get("/v1/networks")
        def list_networks():
            return jsonify(
                networks=[
                    {
                        "name": f"networks/{n.code}",
                        "displayName": n.name,
                        "networkCode": n.code,
                        "timeZone": n.time_zone,
                        "currencyCode": n.currency,
                        "networkId": n.code,
                    }
                    for n in self.networks
                ]
            )

        @app.post("/v1/networks/<code>/reports")
        def create_report(code: str):
            if network(code) is None:
                return error(403, "PERMISSION_DENIED", "No access to this network.")
            body = request.get_json()
            name = f"networks/{code}/reports/{next(ids)}"
            self.reports[name] = body
            return jsonify({**body, "name": name, "reportId": name.rsplit("/", 1)[1]})

        @app.post("/v1/networks/<code>/reports/<report_id>:run")
        def run_report(code: str, report_id: str):
            report = f"networks/{code}/reports/{report_id}"
            if report not in self.reports:
                return error(404, "NOT_FOUND", "No such report.")
            run_id = str(next(ids))
            name = f"networks/{code}/operations/reports/runs/{run_id}"
            self.runs[name] = {"report": report, "result": f"{report}/results/{run_id}", "polls": 0}
            return jsonify(operation(name))

        def operation(name: str) -> dict[str, Any]:
            run = self.runs[name]
            done = run["polls"] >= self.polls_needed
            answer: dict[str, Any] = {
                "name": name,
                "metadata": {
                    "@type": "type.googleapis.com/google.ads.admanager.v1.RunReportMetadata",
                    "percentComplete": 100 if done else 50,
                    "report": run["report"],
                },
                "done": done,
            }
            if done:
                answer["response"] = {
                    "@type": "type.googleapis.com/google.ads.admanager.v1.RunReportResponse",
                    "reportResult": run["result"],
                }
            return answer

        @app.get("/v1/networks/<code>/operations/reports/runs/<run_id>")
        def poll(code: str, run_id: str):
            name = f"networks/{code}/operations/reports/runs/{run_id}"
            if name not in self.runs:
                return error(404, "NOT_FOUND", "No such operation.")
            self.runs[name]["polls"] += 1
            return jsonify(operation(name))

        @app.get("/v1/networks/<code>/reports/<report_id>/results/<run_id>:fetchRows")
        def fetch_rows(code: str, report_id: str, run_id: str):
            self.fetches.append(dict(request.args))
            definition = self.reports[f"networks/{code}/reports/{report_id}"]["reportDefinition"]
            fixed = definition["dateRange"]["fixed"]
            rows = self.expected_rows(_date(fixed["startDate"]), _date(fixed["endDate"]))
            if DIM_LINE_ITEM_ID not in [int(d) for d in definition["dimensions"]]:
                rows = by_order(rows)
            start = int(request.args.get("pageToken") or 0)
            size = min(int(request.args.get("pageSize") or 1000), self.page_size)
            page = rows[start : start + size]
            answer: dict[str, Any] = {
                "rows": [_wire_row(r, definition) for r in page],
                "totalRowCount": len(rows),
            }
            if start + size < len(rows):
                answer["nextPageToken"] = str(start + size)
            return jsonify(answer)

        return app


def by_order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Line-item rows summed by (date, order), as a report without line-item dimensions."""
    out: dict[tuple[date, int], dict[str, Any]] = {}
    for row in rows:
        key = (row["date"], row["order_id"])
        if key not in out:
            out[key] = {**row, "impressions": 0, "clicks": 0, "revenue_micros": 0}
        for metric in ("impressions", "clicks", "revenue_micros"):
            out[key][metric] += row[metric]
    return list(out.values())


def _date(value: dict[str, int]) -> date:
    return date(value["year"], value["month"], value["day"])


def _wire_row(row: dict[str, Any], definition: dict[str, Any]) -> dict[str, Any]:
    dimension = {
        DIM_DATE: {"intValue": row["date"].strftime("%Y%m%d")},
        DIM_ORDER_ID: {"intValue": str(row["order_id"])},
        DIM_ORDER_NAME: {"stringValue": row["order_name"]},
        DIM_LINE_ITEM_ID: {"intValue": str(row["line_item_id"])},
        DIM_LINE_ITEM_NAME: {"stringValue": row["line_item_name"]},
    }
    metric = {
        MET_IMPRESSIONS: {"intValue": str(row["impressions"])},
        MET_CLICKS: {"intValue": str(row["clicks"])},
        MET_REVENUE: {"intValue": str(row["revenue_micros"])},
    }
    return {
        "dimensionValues": [dimension[int(d)] for d in definition["dimensions"]],
        "metricValueGroups": [{"primaryValues": [metric[int(m)] for m in definition["metrics"]]}],
    }
