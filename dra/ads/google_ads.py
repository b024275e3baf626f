"""Google Ads (UC-DS-08): the customer accounts a token can read, those under a manager
account included (read through it: ``login_customer_id``), and campaign and ad-group
performance by date (cost, impressions, clicks, conversions, conversion value) read with
GAQL through ``GoogleAdsService.SearchStream`` of the official ``google-ads`` client
(gRPC over TLS).

Cost comes as ``cost_micros`` and is stored in the account's currency (micros / 10^6);
dates are in the account's time zone. A developer token (``DRA_GOOGLE_ADS_DEVELOPER_TOKEN``)
is needed; one approved for test accounts only is refused with Google's explanation
(ALT-DS08A). ``DRA_GOOGLE_ADS_LOGIN_CUSTOMER_ID`` names a manager account to list and read
through instead of every account the user can reach directly."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from dra.ads.google import GooglePlatform, micros
from dra.ads.platforms import (
    AdAccount,
    AdTable,
    OAuthToken,
    PlatformError,
    breakdown_table,
    register_platform,
    spend_table,
)

API_VERSION = "v26"

CAMPAIGN_TABLE = spend_table(
    description="Campaign performance by date: cost (spend), impressions, clicks, "
    "conversions and conversion value; channel = the campaign's advertising channel type.",
)
AD_GROUP_TABLE = breakdown_table(
    "ad_group_daily",
    ("ad_group",),
    "Ad-group performance by date (the same measures as the campaign table).",
)
_METRICS = (
    "metrics.cost_micros, metrics.impressions, metrics.clicks, metrics.conversions, "
    "metrics.conversions_value"
)
_QUERIES = {
    CAMPAIGN_TABLE.name: "SELECT segments.date, campaign.id, campaign.name, "
    f"campaign.advertising_channel_type, {_METRICS} FROM campaign",
    AD_GROUP_TABLE.name: "SELECT segments.date, campaign.id, campaign.name, ad_group.id, "
    f"ad_group.name, {_METRICS} FROM ad_group",
}
ACCOUNTS_QUERY = (
    "SELECT customer_client.id, customer_client.descriptive_name, "
    "customer_client.currency_code, customer_client.time_zone, customer_client.manager, "
    "customer_client.level, customer_client.status FROM customer_client "
    "WHERE customer_client.status = 'ENABLED'"
)
TEST_ACCOUNTS_ONLY = (
    "Google Ads: this developer token is approved for test accounts only, so it cannot "
    "read this account. Apply for Basic or Standard access for the token in the API "
    "Center of your manager account, or connect a test account."
)


@register_platform
class GoogleAds(GooglePlatform):
    key = "google_ads"
    label = "Google Ads"
    scopes = ("https://www.googleapis.com/auth/adwords",)
    account_noun = "Google Ads account"
    none_found = "No Google Ads accounts found."
    tables = (CAMPAIGN_TABLE, AD_GROUP_TABLE)

    def client(self, token: OAuthToken, login_customer_id: str | None) -> tuple[Any, Any]:
        """A ``GoogleAdsClient`` acting through ``login_customer_id`` (a manager account),
        and its credentials."""
        developer_token = self.settings.google_ads_developer_token
        if not developer_token:
            raise PlatformError(
                "Google Ads needs a developer token: set DRA_GOOGLE_ADS_DEVELOPER_TOKEN.",
                status=400,
            )
        from google.ads.googleads.client import GoogleAdsClient  # imports grpc: only here

        creds = self.fresh(self.credentials(token))
        client = GoogleAdsClient(
            credentials=creds,
            developer_token=developer_token,
            login_customer_id=login_customer_id,
            endpoint=self.api_url,
            version=API_VERSION,
            use_proto_plus=False,
        )
        return client, creds

    def translate(self, exc: BaseException, what: str) -> Exception:
        if _authorization_error(exc) == "DEVELOPER_TOKEN_NOT_APPROVED":
            return PlatformError(TEST_ACCOUNTS_ONLY, status=400)
        return super().translate(exc, what)

    def list_accounts(self, token: OAuthToken) -> list[AdAccount]:
        """Every non-manager account: those the user reaches directly, and those under each
        manager account they reach (read through that manager), each once."""
        roots = [self.settings.google_ads_login_customer_id or ""]
        if not roots[0]:
            client, creds = self.client(token, None)
            service = client.get_service("CustomerService")
            answer = self.call(
                creds, service.list_accessible_customers, "listing the Google Ads accounts"
            )
            roots = [name.split("/")[-1] for name in answer.resource_names]
        accounts: dict[str, AdAccount] = {}
        for root in roots:
            for row in self._search(token, root, root, ACCOUNTS_QUERY, "listing the accounts"):
                found = row.customer_client
                account_id = str(found.id)
                if found.manager or account_id in accounts:
                    continue
                accounts[account_id] = AdAccount(
                    id=account_id,
                    name=found.descriptive_name or account_id,
                    currency=found.currency_code or None,
                    time_zone=found.time_zone or None,
                    parent_id=root if account_id != root else None,
                    extra={"login_customer_id": root},
                )
        return list(accounts.values())

    def fetch_table(
        self, token: OAuthToken, account: AdAccount, table: AdTable, start: date, end: date
    ) -> Iterator[Mapping[str, Any]]:
        query = (
            f"{_QUERIES[table.name]} WHERE segments.date BETWEEN "
            f"'{start.isoformat()}' AND '{end.isoformat()}'"
        )
        login = account.extra.get("login_customer_id") or account.id
        rows = self._search(token, login, account.id, query, f"the {table.name} report")
        convert = _campaign_row if table.name == CAMPAIGN_TABLE.name else _ad_group_row
        for row in rows:
            yield convert(row)

    def _search(
        self, token: OAuthToken, login: str, customer_id: str, query: str, what: str
    ) -> Iterator[Any]:
        """The rows of a GAQL query, batch by batch as the stream sends them. Opening the
        stream (where a rate limit or a refused token shows) is retried; a failure in the
        middle of the stream is not (rows already handed out would come twice)."""
        client, creds = self.client(token, login)
        service = client.get_service("GoogleAdsService")

        def open_stream() -> tuple[Any, Any]:
            stream = iter(service.search_stream(customer_id=customer_id, query=query))
            return stream, next(stream, None)

        stream, batch = self.call(creds, open_stream, what)
        while batch is not None:
            yield from batch.results
            try:
                batch = next(stream, None)
            except Exception as exc:
                raise self.translate(exc, what) from exc


def _measures(row: Any) -> dict[str, Any]:
    m = row.metrics
    return {
        "date": row.segments.date,
        "campaign_id": str(row.campaign.id),
        "campaign_name": row.campaign.name,
        "spend": micros(m.cost_micros),
        "impressions": m.impressions,
        "clicks": m.clicks,
        "conversions": m.conversions,
        "conversion_value": m.conversions_value,
    }


def _campaign_row(row: Any) -> dict[str, Any]:
    out = _measures(row)
    out["channel"] = _CHANNELS[row.campaign.advertising_channel_type]
    return out


def _ad_group_row(row: Any) -> dict[str, Any]:
    out = _measures(row)
    out["ad_group_id"] = str(row.ad_group.id)
    out["ad_group_name"] = row.ad_group.name
    return out


def _authorization_error(exc: BaseException) -> str | None:
    """The AuthorizationError name of a GoogleAdsException's first error, if it has one."""
    errors = getattr(getattr(exc, "failure", None), "errors", None)
    if not errors:
        return None
    code = errors[0].error_code  # proto-plus: the client's failures always are
    if "authorization_error" not in code:
        return None
    from google.ads.googleads.v26.errors.types.authorization_error import (
        AuthorizationErrorEnum,
    )

    return AuthorizationErrorEnum.AuthorizationError(int(code.authorization_error)).name


class _ChannelNames(dict):
    """AdvertisingChannelType number -> name (``SEARCH``, ``DISPLAY``...), loaded lazily."""

    def __missing__(self, number: int) -> str | None:
        from google.ads.googleads.v26.enums.types.advertising_channel_type import (
            AdvertisingChannelTypeEnum,
        )

        try:
            name = AdvertisingChannelTypeEnum.AdvertisingChannelType(number).name
        except ValueError:
            name = None
        self[number] = name
        return name


_CHANNELS = _ChannelNames()
