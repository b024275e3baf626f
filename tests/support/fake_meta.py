"""A fake Meta Graph API (the parts the ``facebook-business`` SDK calls for ads reporting).

``GET /v21.0/me/adaccounts`` and ``GET /v21.0/act_<id>/insights`` (``level``,
``time_increment=1``, ``time_range``, ``limit``, paging by ``after`` cursor with a
``next`` link while more remains), the access token checked against a
:class:`~tests.support.fake_oauth.FakeOAuthProvider` (error 190 otherwise). Figures come
from :meth:`FakeMeta.set_day` or, for benchmarks, from ``synthetic_campaigns`` (the
same deterministic rows for any day, generated per page: nothing is held in memory).
``throttle`` answers that many calls with error 80004 first; ``served_seconds`` is the
time spent answering insights pages (the benchmark's yardstick).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from datetime import date, timedelta
from typing import Any

from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from tests.support.fake_oauth import FakeOAuthProvider

VERSION = "v21.0"


def _error(code: int, message: str, status: int = 400, transient: bool = False):
    return jsonify(
        error={
            "message": message,
            "type": "OAuthException",
            "code": code,
            "is_transient": transient,
            "fbtrace_id": "fake",
        }
    ), status


def _cursor(day_index: int, row_index: int) -> str:
    return base64.urlsafe_b64encode(f"{day_index}:{row_index}".encode()).decode()


def _uncursor(text: str) -> tuple[int, int]:
    day, row = base64.urlsafe_b64decode(text.encode()).decode().split(":")
    return int(day), int(row)


class FakeMeta:
    def __init__(self, oauth: FakeOAuthProvider) -> None:
        self.oauth = oauth
        self.accounts: list[dict[str, Any]] = []
        self.days: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        self.synthetic_campaigns = 0
        self.throttle = 0
        self.throttled = 0
        self.requests: list[dict[str, str]] = []
        self.served_seconds = 0.0
        self.pages_served = 0
        self.app = self._build_app()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FakeMeta:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self._thread.join(timeout=5)

    def add_account(self, account_id: str, name: str, currency="EUR", tz="Europe/Paris") -> None:
        self.accounts.append(
            {
                "id": f"act_{account_id}",
                "account_id": account_id,
                "name": name,
                "currency": currency,
                "timezone_name": tz,
            }
        )

    def set_day(
        self,
        account_id: str,
        day: date,
        campaign_id: str,
        *,
        spend: str,
        impressions: int,
        clicks: int,
        purchases: int = 0,
        value: str = "0",
        name: str | None = None,
    ) -> None:
        """One campaign's figures for a day (and its one ad's, the same)."""
        figures = self._figures(campaign_id, name, spend, impressions, clicks, purchases, value)
        for level, row in (
            ("campaign", figures),
            ("ad", {**figures, **self._ad_ids(campaign_id, name)}),
        ):
            rows = self.days.setdefault((account_id, level, day.isoformat()), [])
            rows[:] = [r for r in rows if r["campaign_id"] != campaign_id] + [row]

    @staticmethod
    def _figures(campaign_id, name, spend, impressions, clicks, purchases, value):
        return {
            "campaign_id": campaign_id,
            "campaign_name": name or f"Campaign {campaign_id}",
            "spend": spend,
            "impressions": str(impressions),
            "clicks": str(clicks),
            "actions": [
                {"action_type": "link_click", "value": str(clicks)},
                {"action_type": "offsite_conversion.fb_pixel_purchase", "value": str(purchases)},
                {"action_type": "omni_purchase", "value": str(purchases)},
            ],
            "action_values": [{"action_type": "omni_purchase", "value": value}],
        }

    @staticmethod
    def _ad_ids(campaign_id: str, name: str | None) -> dict[str, str]:
        return {
            "adset_id": f"{campaign_id}1",
            "adset_name": f"Ad set of {name or campaign_id}",
            "ad_id": f"{campaign_id}11",
            "ad_name": f"Ad of {name or campaign_id}",
        }

    def _rows_for(self, account_id: str, level: str, day: date) -> list[dict[str, Any]]:
        stored = self.days.get((account_id, level, day.isoformat()))
        if stored is not None or not self.synthetic_campaigns:
            return stored or []
        rows = []
        seed = day.toordinal()
        for n in range(self.synthetic_campaigns):
            cid = str(1000 + n)
            row = self._figures(
                cid,
                None,
                f"{(seed * 7 + n * 13) % 5000 / 100:.2f}",
                (seed + n * 31) % 10000,
                (seed + n) % 300,
                (seed + n) % 7,
                f"{(seed + n * 3) % 900:.2f}",
            )
            if level == "ad":
                row.update(self._ad_ids(cid, None))
            rows.append(row)
        return rows

    def _page(self, account_id: str) -> Any:
        args = request.args
        level = args.get("level", "account")
        since_until = json.loads(args["time_range"])
        first = date.fromisoformat(since_until["since"])
        last = date.fromisoformat(since_until["until"])
        limit = int(args.get("limit", 25))
        day_index, row_index = _uncursor(args["after"]) if args.get("after") else (0, 0)
        fields = args.get("fields", "").split(",")
        out: list[dict[str, Any]] = []
        ndays = (last - first).days + 1
        while day_index < ndays and len(out) < limit:
            day = first + timedelta(days=day_index)
            rows = self._rows_for(account_id, level, day)
            take = rows[row_index : row_index + (limit - len(out))]
            for row in take:
                item = {k: v for k, v in row.items() if k in fields}
                item.update(date_start=day.isoformat(), date_stop=day.isoformat())
                out.append(item)
            row_index += len(take)
            if row_index >= len(rows):
                day_index, row_index = day_index + 1, 0
        body: dict[str, Any] = {"data": out}
        if day_index < ndays:
            after = _cursor(day_index, row_index)
            body["paging"] = {
                "cursors": {"before": _cursor(0, 0), "after": after},
                "next": f"{self.base_url}/{VERSION}/act_{account_id}/insights?after={after}",
            }
        return jsonify(body)

    def _build_app(self) -> Flask:
        app = Flask("fake_meta")

        @app.before_request
        def check():
            self.requests.append({"path": request.path, **request.args.to_dict()})
            if not self.oauth.valid(request.args.get("access_token")):
                return _error(190, "Error validating access token: the session is invalid.")
            if self.throttle > 0:
                self.throttle -= 1
                self.throttled += 1
                return _error(80004, "There have been too many calls to this ad-account.")
            return None

        @app.get(f"/{VERSION}/me/adaccounts")
        def adaccounts():
            limit = int(request.args.get("limit", 25))
            start = int(request.args.get("after") or 0)
            page = self.accounts[start : start + limit]
            body: dict[str, Any] = {"data": page}
            if start + limit < len(self.accounts):
                body["paging"] = {
                    "cursors": {"after": str(start + limit)},
                    "next": f"{self.base_url}/{VERSION}/me/adaccounts?after={start + limit}",
                }
            return jsonify(body)

        @app.get(f"/{VERSION}/act_<account_id>/insights")
        def insights(account_id: str):
            began = time.perf_counter()
            try:
                return self._page(account_id)
            finally:
                self.served_seconds += time.perf_counter() - began
                self.pages_served += 1

        return app
