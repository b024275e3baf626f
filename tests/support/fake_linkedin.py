"""A fake LinkedIn Marketing API: ``/rest/adAccounts`` (search), ``/rest/adAccounts/<id>/
adCampaigns`` (paged by ``pageToken``) and ``/rest/adAnalytics`` (``q=analytics``,
``pivot=CAMPAIGN``, daily), checking the Rest.li headers and the bearer token against a
:class:`~tests.support.fake_oauth.FakeOAuthProvider`. ``throttle`` answers that many
calls with 429 first."""

from __future__ import annotations

import re
import threading
from datetime import date
from typing import Any

from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from tests.support.fake_oauth import FakeOAuthProvider


class FakeLinkedIn:
    def __init__(self, oauth: FakeOAuthProvider) -> None:
        self.oauth = oauth
        self.accounts: list[dict[str, Any]] = []
        self.campaigns: dict[str, list[dict[str, Any]]] = {}
        self.figures: dict[tuple[str, str, date], dict[str, Any]] = {}
        self.throttle = 0
        self.requests: list[str] = []
        self.app = self._build_app()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FakeLinkedIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self._thread.join(timeout=5)

    def set_day(self, account: str, campaign: str, day: date, **figures: Any) -> None:
        names = self.campaigns.setdefault(account, [])
        if not any(c["id"] == int(campaign) for c in names):
            names.append({"id": int(campaign), "name": f"Campaign {campaign}"})
        self.figures[(account, campaign, day)] = figures

    @staticmethod
    def _page(items: list[Any]):
        size = int(request.args.get("pageSize", 10))
        start = int(request.args.get("pageToken") or 0)
        body: dict[str, Any] = {"elements": items[start : start + size], "metadata": {}}
        if start + size < len(items):
            body["metadata"]["nextPageToken"] = str(start + size)
        return jsonify(body)

    def _build_app(self) -> Flask:
        app = Flask("fake_linkedin")

        @app.before_request
        def check():
            self.requests.append(request.full_path)
            if request.headers.get("X-Restli-Protocol-Version") != "2.0.0" or not re.fullmatch(
                r"\d{6}", request.headers.get("LinkedIn-Version", "")
            ):
                return jsonify(message="Rest.li headers missing"), 400
            auth = request.headers.get("Authorization", "")
            if not self.oauth.valid(auth.removeprefix("Bearer ")):
                return jsonify(status=401, message="Invalid access token"), 401
            if self.throttle > 0:
                self.throttle -= 1
                return jsonify(status=429, message="Too many requests"), 429, {"Retry-After": "0"}
            return None

        @app.get("/rest/adAccounts")
        def accounts():
            return self._page(self.accounts)

        @app.get("/rest/adAccounts/<account>/adCampaigns")
        def campaigns(account: str):
            return self._page(self.campaigns.get(account, []))

        @app.get("/rest/adAnalytics")
        def analytics():
            raw = request.query_string.decode()
            assert "pivot=CAMPAIGN" in raw and "dateRange=(start:(" in raw, raw
            found = re.search(
                r"start:\(year:(\d+),month:(\d+),day:(\d+)\),end:\(year:(\d+),month:(\d+),day:(\d+)\)",
                raw,
            )
            y1, m1, d1, y2, m2, d2 = map(int, found.groups())
            first, last = date(y1, m1, d1), date(y2, m2, d2)
            account = re.search(r"sponsoredAccount%3A(\d+)", raw).group(1)
            assert len(request.args["fields"].split(",")) <= 20
            elements = []
            for (acc, campaign, day), figures in sorted(self.figures.items()):
                if acc == account and first <= day <= last:
                    span = {"year": day.year, "month": day.month, "day": day.day}
                    elements.append(
                        {
                            "dateRange": {"start": span, "end": span},
                            "pivotValues": [f"urn:li:sponsoredCampaign:{campaign}"],
                            **figures,
                        }
                    )
            return jsonify(elements=elements, paging={"count": len(elements), "start": 0})

        return app
