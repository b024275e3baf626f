"""LinkedIn Ads through the Marketing API over plain HTTP (there is no official client):
ad accounts, their campaigns (for names), and ``adAnalytics`` by campaign and day.

Rest.li 2.0 conventions: a pinned ``LinkedIn-Version``, ``X-Restli-Protocol-Version:
2.0.0``, query strings encoded with ``safe="():,"`` (``requests``' own params encoding
would escape the parentheses and colons of the Rest.li syntax), at most 20 fields per
analytics request. LinkedIn reports days in UTC.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import requests

from dra.ads.platforms import (
    AdAccount,
    AdColumn,
    AdTable,
    OAuthToken,
    Platform,
    PlatformError,
    RateLimited,
    TokenRevoked,
    register_platform,
    scrub,
    spend_table,
)

VERSION = "202411"
ACTIVE_ACCOUNTS = "(status:(values:List(ACTIVE)))"
PAGE_SIZE = 100
WINDOW_DAYS = 30
"""Days per analytics request (a response holds at most 15,000 elements)."""
FIELDS = (
    "dateRange",
    "pivotValues",
    "impressions",
    "clicks",
    "costInLocalCurrency",
    "externalWebsiteConversions",
    "conversionValueInLocalCurrency",
    "landingPageClicks",
)
assert len(FIELDS) <= 20  # noqa: S101 - the API's limit per request


def _retry_after(resp: requests.Response) -> float | None:
    try:
        return float(resp.headers["Retry-After"])
    except (KeyError, ValueError):
        return None


def _restli_date(day: date) -> str:
    return f"(year:{day.year},month:{day.month},day:{day.day})"


@register_platform
class LinkedInAds(Platform):
    key = "linkedin_ads"
    label = "LinkedIn Ads"
    provider = "linkedin"
    scopes = ("r_ads", "r_ads_reporting")
    account_noun = "ad account"
    none_found = "No LinkedIn ad accounts found for this account."
    tables = (
        spend_table(
            (AdColumn("landing_page_clicks", "bigint"),),
            description="Campaign analytics by day (adAnalytics, pivot CAMPAIGN).",
        ),
    )

    def _get(self, token: OAuthToken, path: str, params: Mapping[str, Any]) -> dict[str, Any]:
        url = f"{self.api_url.rstrip('/')}{path}?{urlencode(params, safe='():,%')}"
        headers = {
            "Authorization": f"Bearer {token.access_token}",
            "LinkedIn-Version": VERSION,
            "X-Restli-Protocol-Version": "2.0.0",
        }

        def attempt() -> dict[str, Any]:
            try:
                resp = requests.get(url, headers=headers, timeout=self.settings.timeout_seconds)
            except requests.RequestException as exc:
                raise PlatformError(
                    f"LinkedIn Ads could not be reached ({exc.__class__.__name__})"
                ) from None
            if resp.status_code == 401:
                raise TokenRevoked(
                    "LinkedIn refused the access token (401): it was revoked or has expired. "
                    "Reconnect the source."
                )
            if resp.status_code == 429 or resp.status_code >= 500:
                raise RateLimited(
                    f"LinkedIn answered {resp.status_code}", retry_after=_retry_after(resp)
                )
            if resp.status_code != 200:
                detail = scrub(resp.text, token.secrets)[:300]
                raise PlatformError(f"LinkedIn Ads refused {path} ({resp.status_code}: {detail})")
            return resp.json()

        return self.retrying(attempt, f"GET {path}")

    def _paged(self, token: OAuthToken, path: str, params: Mapping[str, Any]) -> Iterator[dict]:
        page_token = None
        while True:
            query = {**params, "pageSize": PAGE_SIZE}
            if page_token:
                query["pageToken"] = page_token
            body = self._get(token, path, query)
            yield from body.get("elements", [])
            page_token = (body.get("metadata") or {}).get("nextPageToken")
            if not page_token:
                return

    def list_accounts(self, token: OAuthToken) -> list[AdAccount]:
        accounts = [
            AdAccount(
                id=str(item["id"]),
                name=str(item.get("name") or item["id"]),
                currency=item.get("currency"),
                time_zone="UTC",
                parent_id=item.get("reference"),
            )
            for item in self._paged(
                token,
                "/rest/adAccounts",
                {"q": "search", "search": "(status:(values:List(ACTIVE)))"},
            )
        ]
        return sorted(accounts, key=lambda a: (a.name.lower(), a.id))

    def _campaign_names(self, token: OAuthToken, account: AdAccount) -> dict[str, str]:
        path = f"/rest/adAccounts/{quote(account.id)}/adCampaigns"
        return {
            str(c["id"]): str(c.get("name") or c["id"])
            for c in self._paged(token, path, {"q": "search"})
        }

    def fetch_table(
        self, token: OAuthToken, account: AdAccount, table: AdTable, start: date, end: date
    ) -> Iterator[Mapping[str, Any]]:
        names = self._campaign_names(token, account)
        account_urn = quote(f"urn:li:sponsoredAccount:{account.id}", safe="")
        first = start
        while first <= end:
            last = min(first + timedelta(days=WINDOW_DAYS - 1), end)
            body = self._get(
                token,
                "/rest/adAnalytics",
                {
                    "q": "analytics",
                    "pivot": "CAMPAIGN",
                    "timeGranularity": "DAILY",
                    "dateRange": f"(start:{_restli_date(first)},end:{_restli_date(last)})",
                    "accounts": f"List({account_urn})",
                    "fields": ",".join(FIELDS),
                },
            )
            for item in body.get("elements", []):
                started = item["dateRange"]["start"]
                campaign = str(item["pivotValues"][0]).rsplit(":", 1)[-1]
                yield {
                    "date": date(started["year"], started["month"], started["day"]),
                    "campaign_id": campaign,
                    "campaign_name": names.get(campaign),
                    "channel": None,
                    "spend": item.get("costInLocalCurrency"),
                    "impressions": item.get("impressions"),
                    "clicks": item.get("clicks"),
                    "conversions": item.get("externalWebsiteConversions"),
                    "conversion_value": item.get("conversionValueInLocalCurrency"),
                    "landing_page_clicks": item.get("landingPageClicks"),
                }
            first = last + timedelta(days=1)
