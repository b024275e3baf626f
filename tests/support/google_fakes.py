"""Pytest fixtures for the Google platforms' tests (import them into a test module):
``oauth``, the fake Google OAuth provider; ``google_fakes``, the three fake APIs (GA4,
Google Ads, Ad Manager) accepting only that provider's live tokens; and
:func:`google_env`, the settings that point the platform at them."""

from __future__ import annotations

import pytest

from tests.support.fake_ad_manager import FakeAdManager
from tests.support.fake_ga4 import FakeGa4
from tests.support.fake_google_ads import FakeGoogleAds
from tests.support.fake_oauth import FakeOAuthProvider


@pytest.fixture
def oauth():
    provider = FakeOAuthProvider().start()
    yield provider
    provider.stop()


@pytest.fixture
def google_fakes(oauth):
    """Platform key -> its fake, each started."""
    with FakeGa4() as ga4, FakeGoogleAds() as gads, FakeAdManager() as gam:
        for fake in (ga4, gads, gam):
            fake.script.oauth = oauth
        yield {"google_analytics": ga4, "google_ads": gads, "google_ad_manager": gam}


def google_env(oauth: FakeOAuthProvider, fakes: dict) -> dict[str, str]:
    """Settings (environment variables) reaching the fake provider and APIs."""
    return {
        **oauth.env("DRA_GOOGLE"),
        "DRA_GA4_API_URL": fakes["google_analytics"].url,
        "DRA_GA4_ADMIN_API_URL": fakes["google_analytics"].url,
        "DRA_GOOGLE_ADS_ENDPOINT": fakes["google_ads"].endpoint,
        "DRA_GOOGLE_ADS_DEVELOPER_TOKEN": "dev-token",
        "DRA_AD_MANAGER_API_URL": fakes["google_ad_manager"].url,
        "DRA_ADS_RETRY_SECONDS": "0",
    }
