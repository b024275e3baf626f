"""Meta Ads through the official ``facebook-business`` SDK: ad accounts, and insights by
day at campaign and ad level.

The SDK puts the access token in the query string of every call: errors are scrubbed
before they leave this module, and the SDK's crash reporter (which would post
tracebacks to Meta) is never enabled: ``FacebookAdsApi`` is built directly, never
through ``FacebookAdsApi.init`` (whose ``crash_log`` defaults to True).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date
from typing import Any

from facebook_business.adobjects.adaccount import AdAccount as FbAdAccount
from facebook_business.adobjects.user import User
from facebook_business.api import Cursor, FacebookAdsApi
from facebook_business.exceptions import FacebookError, FacebookRequestError
from facebook_business.session import FacebookSession

from dra.ads.platforms import (
    AdAccount,
    AdColumn,
    AdTable,
    OAuthToken,
    Platform,
    PlatformError,
    RateLimited,
    TokenRevoked,
    breakdown_table,
    register_platform,
    scrub,
    spend_table,
)

API_VERSION = "v21.0"
PAGE_SIZE = 500
THROTTLE_CODES = {4, 17, 32, 613, 80000, 80003, 80004, 80014}
"""Application, user, page and ads-insights rate limits: back off and retry."""
TOKEN_CODES = {190, 102}
CONVERSION_ACTIONS = ("omni_purchase", "purchase", "offsite_conversion.fb_pixel_purchase")
"""The first of these action types present is the row's conversions (Meta reports the
same purchases under several overlapping types; adding them would count them twice)."""
METRICS = ("spend", "impressions", "clicks", "actions", "action_values")

_EXTRA = (AdColumn("actions", "jsonb"), AdColumn("action_values", "jsonb"))


def _first_action(items: Any) -> str | None:
    if not items:
        return None
    values = {a.get("action_type"): a.get("value") for a in items if isinstance(a, Mapping)}
    return next((values[t] for t in CONVERSION_ACTIONS if t in values), None)


@register_platform
class MetaAds(Platform):
    key = "meta_ads"
    label = "Meta Ads"
    provider = "meta"
    scopes = ("ads_read",)
    account_noun = "ad account"
    none_found = "No Meta ad accounts found for this account."
    tables = (
        spend_table(_EXTRA, description="Campaign insights by day (level=campaign)."),
        breakdown_table(
            "ad_daily", ("adset", "ad"), "Ad insights by day (level=ad).", extra=_EXTRA
        ),
    )

    def _api(self, token: OAuthToken) -> FacebookAdsApi:
        provider = self.oauth
        session = FacebookSession(
            provider.client_id,
            provider.client_secret,
            token.access_token,
            timeout=self.settings.timeout_seconds,
        )
        session.GRAPH = self.api_url.rstrip("/")
        return FacebookAdsApi(session, api_version=API_VERSION)

    def _error(self, exc: Exception, token: OAuthToken, what: str) -> Exception:
        """The SDK's error as ours: TokenRevoked, RateLimited or PlatformError, scrubbed."""
        if isinstance(exc, FacebookRequestError):
            code = exc.api_error_code()
            message = scrub(exc.api_error_message() or exc.body(), token.secrets)[:300]
            if code in TOKEN_CODES or exc.http_status() == 401:
                return TokenRevoked(
                    f"Meta refused the access token (error {code}: {message}). "
                    "Reconnect the source."
                )
            if code in THROTTLE_CODES or exc.http_status() == 429 or exc.api_transient_error():
                return RateLimited(f"Meta is throttling ({code}: {message})")
            if exc.http_status() and exc.http_status() >= 500:
                return RateLimited(f"Meta is unavailable (HTTP {exc.http_status()})")
            return PlatformError(f"Meta Ads: {what} failed (error {code}: {message})")
        return PlatformError(
            f"Meta Ads: {what} failed ({scrub(exc, token.secrets)[:300] or type(exc).__name__})"
        )

    def _call(self, fn: Callable[[], Any], token: OAuthToken, what: str) -> Any:
        def attempt():
            try:
                return fn()
            except (FacebookError, OSError, ValueError) as exc:
                raise self._error(exc, token, what) from None

        return self.retrying(attempt, what)

    def _rows(self, first: Callable[[], Cursor], token: OAuthToken, what: str) -> Iterator[Any]:
        """Every object of a cursor, page after page, each page call retried."""
        cursor = self._call(first, token, what)
        while True:
            try:
                item = self._call(lambda: next(cursor), token, what)
            except StopIteration:
                return
            yield item

    def list_accounts(self, token: OAuthToken) -> list[AdAccount]:
        api = self._api(token)
        me = User(fbid="me", api=api)
        fields = ["account_id", "name", "currency", "timezone_name", "business"]
        accounts = []
        for item in self._rows(
            lambda: me.get_ad_accounts(fields=fields, params={"limit": 100}),
            token,
            "listing ad accounts",
        ):
            data = item.export_all_data()
            business = data.get("business") or {}
            accounts.append(
                AdAccount(
                    id=str(data.get("account_id") or str(data["id"]).removeprefix("act_")),
                    name=str(data.get("name") or data["id"]),
                    currency=data.get("currency"),
                    time_zone=data.get("timezone_name"),
                    parent_id=str(business["id"]) if business.get("id") else None,
                )
            )
        return sorted(accounts, key=lambda a: (a.name.lower(), a.id))

    def fetch_table(
        self, token: OAuthToken, account: AdAccount, table: AdTable, start: date, end: date
    ) -> Iterator[Mapping[str, Any]]:
        level = "campaign" if table.name == "campaign_daily" else "ad"
        ids = ["campaign_id", "campaign_name"]
        if level == "ad":
            ids += ["adset_id", "adset_name", "ad_id", "ad_name"]
        params = {
            "level": level,
            "time_increment": 1,
            "time_range": {"since": start.isoformat(), "until": end.isoformat()},
            "limit": PAGE_SIZE,
        }
        ad_account = FbAdAccount(f"act_{account.id}", api=self._api(token))
        what = f"reading {level} insights"
        for item in self._rows(
            lambda: ad_account.get_insights(fields=[*ids, *METRICS], params=params),
            token,
            what,
        ):
            data = item.export_all_data()
            row = {name: data.get(name) for name in ids}
            row.update(
                date=data.get("date_start"),
                spend=data.get("spend"),
                impressions=data.get("impressions"),
                clicks=data.get("clicks"),
                conversions=_first_action(data.get("actions")),
                conversion_value=_first_action(data.get("action_values")),
                actions=data.get("actions"),
                action_values=data.get("action_values"),
            )
            yield row
