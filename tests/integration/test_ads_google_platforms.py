"""The Google platforms (GA4, Google Ads, Ad Manager) against local fakes of their APIs,
reached by the real client libraries: accounts listed (pages, manager accounts), rows read
(pages, conversions of money and dates), a rate limit backed off, a revoked grant."""

# ruff: noqa: F811 - fixtures imported from tests/support/google_fakes.py are parameters here
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from dra.ads.ad_manager import AdManager
from dra.ads.google_ads import TEST_ACCOUNTS_ONLY, GoogleAds
from dra.ads.google_analytics import GoogleAnalytics
from dra.ads.platforms import OAuthToken, PlatformError, TokenRevoked, platform_class
from dra.ads.settings import load_ads_settings
from tests.support.fake_ad_manager import LINE_ITEMS, AdManagerNetwork, FakeAdManager
from tests.support.fake_ga4 import TRAFFIC, FakeGa4, Ga4Property
from tests.support.fake_google_ads import AdsCustomer, FakeGoogleAds
from tests.support.fake_oauth import FakeOAuthProvider
from tests.support.google_fakes import oauth  # noqa: F401 - a fixture

START, END = date(2026, 3, 1), date(2026, 3, 4)
DAYS = 4


@pytest.fixture
def token(oauth):
    return OAuthToken.from_dict(oauth.issue())


def refreshes(oauth: FakeOAuthProvider) -> int:
    return sum(1 for r in oauth.token_requests if r.get("grant_type") == "refresh_token")


def settings_for(oauth: FakeOAuthProvider, **env: str):
    return load_ads_settings(
        {
            **oauth.env("DRA_GOOGLE"),
            "DRA_ADS_RETRY_SECONDS": "0.01",
            "DRA_ADS_MAX_RETRIES": "3",
            "DRA_GOOGLE_ADS_DEVELOPER_TOKEN": "dev-token",
            **env,
        }
    )


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_the_three_google_platforms_are_registered():
    assert platform_class("google_analytics") is GoogleAnalytics
    assert platform_class("google_ads") is GoogleAds
    assert platform_class("google_ad_manager") is AdManager
    for cls in (GoogleAnalytics, GoogleAds, AdManager):
        assert cls.provider == "google"
        assert cls.authorize_params["access_type"] == "offline"


# --- GA4 ---------------------------------------------------------------------------------


@pytest.fixture
def ga4(oauth):
    with FakeGa4(
        properties=[
            Ga4Property("123456", "Coffee shop web"),
            Ga4Property("777", "Roastery app", account="accounts/200", currency="GBP"),
        ]
    ) as fake:
        fake.sleeps = Sleeps()
        fake.script.oauth = oauth
        fake.platform = GoogleAnalytics(
            settings_for(oauth, DRA_GA4_API_URL=fake.url, DRA_GA4_ADMIN_API_URL=fake.url),
            sleep=fake.sleeps,
        )
        yield fake


def test_ga4_lists_every_property_of_every_account_page(ga4, token):
    accounts = ga4.platform.list_accounts(token)
    assert [(a.id, a.name, a.currency, a.time_zone, a.parent_id) for a in accounts] == [
        ("123456", "Coffee shop web", "EUR", "Europe/Berlin", "100"),
        ("777", "Roastery app", "GBP", "Europe/Berlin", "200"),
    ]
    assert ga4.script.seen_tokens[0] == token.access_token


def test_ga4_without_properties_lists_none(ga4, token):
    ga4.properties = []
    assert ga4.platform.list_accounts(token) == []
    assert GoogleAnalytics.none_found == "No GA4 properties found for this account."


def test_ga4_campaign_rows_by_date_channel_source_medium_campaign(ga4, token):
    account = ga4.platform.list_accounts(token)[0]
    table = ga4.platform.table("campaign_daily")
    rows = list(ga4.platform.fetch_table(token, account, table, START, END))
    assert len(rows) == DAYS * len(TRAFFIC)
    first = rows[0]
    expected = ga4.expected_rows(
        START,
        START,
        [
            "date",
            "sessionDefaultChannelGroup",
            "sessionSource",
            "sessionMedium",
            "sessionCampaignName",
        ],
        ["sessions", "totalUsers", "keyEvents", "totalRevenue"],
    )[0]
    assert first == {
        "date": START,
        "channel": expected["sessionDefaultChannelGroup"],
        "source": expected["sessionSource"],
        "medium": expected["sessionMedium"],
        "campaign_id": expected["sessionCampaignName"],
        "campaign_name": expected["sessionCampaignName"],
        "sessions": expected["sessions"],
        "users": expected["totalUsers"],
        "conversions": expected["keyEvents"],
        "conversion_value": expected["totalRevenue"],
    }
    sent = ga4.reports[0]
    assert sent["dateRanges"] == [{"startDate": "2026-03-01", "endDate": "2026-03-04"}]
    assert [m["name"] for m in sent["metrics"]] == [
        "sessions",
        "totalUsers",
        "keyEvents",
        "totalRevenue",
    ]


def test_ga4_channel_rows_and_paging_by_offset(ga4, token):
    ga4.max_page_rows = 5
    account = ga4.platform.list_accounts(token)[0]
    table = ga4.platform.table("channel_daily")
    rows = list(ga4.platform.fetch_table(token, account, table, START, END))
    channels = {t[0] for t in TRAFFIC}
    assert len(rows) == DAYS * len(channels)
    assert len({(r["date"], r["channel"]) for r in rows}) == len(rows)  # no page read twice
    assert [int(r.get("offset", 0)) for r in ga4.reports] == list(range(0, len(rows), 5))
    assert set(rows[0]) == {"date", "channel", "sessions", "users", "key_events", "revenue"}


def test_ga4_backs_off_from_a_429_then_reads(ga4, token):
    account = ga4.platform.list_accounts(token)[0]
    ga4.script.throttle(1)
    rows = list(ga4.platform.fetch_table(token, account, ga4.platform.tables[1], START, START))
    assert rows and len(ga4.sleeps) == 1


def test_ga4_gives_up_after_the_retries(ga4, token):
    account = ga4.platform.list_accounts(token)[0]
    ga4.script.throttle(10)
    with pytest.raises(PlatformError, match="still rate-limited after 4 attempts"):
        list(ga4.platform.fetch_table(token, account, ga4.platform.tables[1], START, START))
    assert len(ga4.sleeps) == 3


def test_ga4_refreshes_a_refused_access_token_once(ga4, token, oauth):
    account = ga4.platform.list_accounts(token)[0]
    oauth.expire_access_tokens()
    rows = list(ga4.platform.fetch_table(token, account, ga4.platform.tables[1], START, START))
    assert rows and refreshes(oauth) == 1
    assert ga4.script.seen_tokens[-1] != token.access_token
    assert oauth.valid(ga4.script.seen_tokens[-1])


def test_ga4_revoked_grant_is_token_revoked(ga4, token, oauth):
    account = ga4.platform.list_accounts(token)[0]
    oauth.revoke_all()
    with pytest.raises(TokenRevoked) as caught:
        list(ga4.platform.fetch_table(token, account, ga4.platform.tables[1], START, START))
    assert "connect the account again" in caught.value.message
    assert token.access_token not in caught.value.message


# --- Google Ads --------------------------------------------------------------------------


@pytest.fixture
def gads(oauth):
    with FakeGoogleAds(
        customers=[
            AdsCustomer("1112223333", "Agency MCC", manager=True, clients=["4445556666"]),
            AdsCustomer(
                "4445556666", "Coffee shop ads", currency="USD", time_zone="America/Chicago"
            ),
            AdsCustomer("9990001111", "Direct account", currency="EUR"),
        ],
        accessible=["1112223333", "9990001111"],
    ) as fake:
        fake.sleeps = Sleeps()
        fake.script.oauth = oauth
        fake.platform = GoogleAds(
            settings_for(oauth, DRA_GOOGLE_ADS_ENDPOINT=fake.endpoint), sleep=fake.sleeps
        )
        yield fake


def test_google_ads_lists_accounts_under_a_manager_and_direct_ones(gads, token):
    accounts = gads.platform.list_accounts(token)
    assert [(a.id, a.name, a.currency, a.time_zone, a.parent_id, a.extra) for a in accounts] == [
        (
            "4445556666",
            "Coffee shop ads",
            "USD",
            "America/Chicago",
            "1112223333",
            {"login_customer_id": "1112223333"},
        ),
        (
            "9990001111",
            "Direct account",
            "EUR",
            "Europe/Berlin",
            None,
            {"login_customer_id": "9990001111"},
        ),
    ]
    # each hierarchy is read through its own root (the manager account)
    assert [s["login_customer_id"] for s in gads.searches] == ["1112223333", "9990001111"]


def test_google_ads_configured_manager_account_is_the_one_listed(gads, oauth, token):
    gads.platform = GoogleAds(
        settings_for(
            oauth,
            DRA_GOOGLE_ADS_ENDPOINT=gads.endpoint,
            DRA_GOOGLE_ADS_LOGIN_CUSTOMER_ID="1112223333",
        )
    )
    assert [a.id for a in gads.platform.list_accounts(token)] == ["4445556666"]


def test_google_ads_without_accounts_lists_none(gads, token):
    gads.accessible = []
    assert gads.platform.list_accounts(token) == []
    assert GoogleAds.none_found == "No Google Ads accounts found."


def test_google_ads_campaign_rows_cost_from_micros_through_the_manager(gads, token):
    account = gads.platform.list_accounts(token)[0]
    rows = list(gads.platform.fetch_table(token, account, gads.platform.tables[0], START, END))
    expected = gads.campaign_rows(START, END)
    assert len(rows) == len(expected) == DAYS * gads.campaigns
    first, want = rows[0], expected[0]
    assert first["date"] == "2026-03-01"
    assert first["campaign_id"] == "100" and first["campaign_name"] == "Campaign 0"
    assert first["spend"] == Decimal(want["cost_micros"]) / 1_000_000
    assert isinstance(first["spend"], Decimal)
    assert (first["impressions"], first["clicks"]) == (want["impressions"], want["clicks"])
    assert first["conversions"] == want["conversions"]
    assert first["conversion_value"] == want["conversions_value"]
    assert [r["channel"] for r in rows[:2]] == ["SEARCH", "DISPLAY"]
    search = gads.searches[-1]
    assert search["customer_id"] == "4445556666"
    assert search["login_customer_id"] == "1112223333"
    assert "BETWEEN '2026-03-01' AND '2026-03-04'" in search["query"]


def test_google_ads_ad_group_rows_over_several_stream_batches(gads, token):
    gads.batch_size = 5
    account = gads.platform.list_accounts(token)[0]
    rows = list(gads.platform.fetch_table(token, account, gads.platform.tables[1], START, END))
    assert len(rows) == DAYS * gads.campaigns * gads.ad_groups_per_campaign
    assert len({(r["date"], r["ad_group_id"]) for r in rows}) == len(rows)
    assert rows[0]["ad_group_name"] == "Ad group 0.0"


def test_google_ads_backs_off_from_resource_exhausted(gads, token):
    account = gads.platform.list_accounts(token)[0]
    gads.script.throttle(2)
    rows = list(gads.platform.fetch_table(token, account, gads.platform.tables[0], START, START))
    assert len(rows) == gads.campaigns
    assert len(gads.sleeps) == 2


def test_google_ads_revoked_grant_is_token_revoked(gads, token, oauth):
    account = gads.platform.list_accounts(token)[0]
    oauth.revoke_all()
    with pytest.raises(TokenRevoked):
        list(gads.platform.fetch_table(token, account, gads.platform.tables[0], START, END))


def test_google_ads_refreshes_a_refused_access_token(gads, token, oauth):
    account = gads.platform.list_accounts(token)[0]
    oauth.expire_access_tokens()
    rows = list(gads.platform.fetch_table(token, account, gads.platform.tables[0], START, START))
    assert len(rows) == gads.campaigns and refreshes(oauth) == 1


def test_google_ads_test_only_developer_token_is_explained(gads, oauth, token):
    platform = GoogleAds(
        settings_for(
            oauth,
            DRA_GOOGLE_ADS_ENDPOINT=gads.endpoint,
            DRA_GOOGLE_ADS_DEVELOPER_TOKEN=gads.test_only_token,
        )
    )
    with pytest.raises(PlatformError) as caught:
        platform.list_accounts(token)
    assert caught.value.status == 400 and caught.value.message == TEST_ACCOUNTS_ONLY


def test_google_ads_needs_a_developer_token(gads, oauth, token):
    platform = GoogleAds(
        settings_for(
            oauth, DRA_GOOGLE_ADS_ENDPOINT=gads.endpoint, DRA_GOOGLE_ADS_DEVELOPER_TOKEN=""
        )
    )
    with pytest.raises(PlatformError, match="DRA_GOOGLE_ADS_DEVELOPER_TOKEN"):
        platform.list_accounts(token)
    assert gads.searches == []


# --- Ad Manager --------------------------------------------------------------------------


@pytest.fixture
def gam(oauth):
    with FakeAdManager(
        networks=[AdManagerNetwork("21700001", "Coffee shop network", currency="USD")],
        polls_needed=2,
    ) as fake:
        fake.sleeps = Sleeps()
        fake.script.oauth = oauth
        fake.platform = AdManager(
            settings_for(oauth, DRA_AD_MANAGER_API_URL=fake.url), sleep=fake.sleeps
        )
        yield fake


def test_ad_manager_lists_networks_with_currency_and_time_zone(gam, token):
    accounts = gam.platform.list_accounts(token)
    assert [(a.id, a.name, a.currency, a.time_zone) for a in accounts] == [
        ("21700001", "Coffee shop network", "USD", "America/New_York")
    ]


def test_ad_manager_without_networks_lists_none(gam, token):
    gam.networks = []
    assert gam.platform.list_accounts(token) == []
    assert AdManager.none_found == "No Google Ad Manager networks found for this account."


def test_ad_manager_report_created_run_polled_and_fetched_by_line_item(gam, token):
    gam.page_size = 4
    account = gam.platform.list_accounts(token)[0]
    table = gam.platform.table("line_item_daily")
    rows = list(gam.platform.fetch_table(token, account, table, START, END))
    expected = gam.expected_rows(START, END)
    assert len(rows) == len(expected) == DAYS * len(LINE_ITEMS)
    assert rows[0] == {
        "date": START,
        "order_id": "9001",
        "order_name": "Spring launch",
        "line_item_id": "70001",
        "line_item_name": "Homepage takeover",
        "impressions": expected[0]["impressions"],
        "clicks": expected[0]["clicks"],
        "revenue": Decimal(expected[0]["revenue_micros"]) / 1_000_000,
    }
    (definition,) = [r["reportDefinition"] for r in gam.reports.values()]
    assert definition["dimensions"] == [3, 7, 8, 1, 2]  # enums travel as integers
    assert definition["metrics"] == [1, 2, 36]
    (run,) = gam.runs.values()
    assert run["polls"] == 2  # polled until done
    assert len(gam.fetches) == 3  # 12 rows, 4 a page
    assert [f.get("pageToken") for f in gam.fetches] == [None, "4", "8"]


def test_ad_manager_orders_by_day_are_the_spend_table(gam, token):
    account = gam.platform.list_accounts(token)[0]
    rows = list(gam.platform.fetch_table(token, account, gam.platform.tables[0], START, START))
    by_order = {r["campaign_id"]: r for r in rows}
    assert set(by_order) == {"9001", "9002"}
    lines = [r for r in gam.expected_rows(START, START) if r["order_id"] == 9001]
    assert by_order["9001"]["impressions"] == sum(r["impressions"] for r in lines)
    assert by_order["9001"]["spend"] == Decimal(sum(r["revenue_micros"] for r in lines)) / 10**6
    assert by_order["9001"]["campaign_name"] == "Spring launch"


def test_ad_manager_backs_off_from_a_429(gam, token):
    account = gam.platform.list_accounts(token)[0]
    gam.script.throttle(1)
    rows = list(gam.platform.fetch_table(token, account, gam.platform.tables[0], START, START))
    assert rows and len(gam.sleeps) == 1
    assert len(gam.reports) == 1  # the refused create was not counted as a report


def test_ad_manager_revoked_grant_is_token_revoked(gam, token, oauth):
    oauth.revoke_all()
    with pytest.raises(TokenRevoked):
        gam.platform.list_accounts(token)
