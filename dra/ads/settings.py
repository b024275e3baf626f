"""Settings of the advertising and analytics sources, read from the environment once.

``dra.settings.load_settings`` builds one :class:`AdsSettings` into ``Settings.ads``.
Every URL is a setting so that tests (and a proxy in production) can point the real
client libraries at another server; the defaults are the providers' own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlsplit

N = TypeVar("N", int, float)


class AdsSettingsError(RuntimeError):
    """A malformed advertising setting; the message names the variable."""


@dataclass(frozen=True)
class ProviderSettings:
    """One OAuth provider (``google``, ``linkedin``, ``meta``) as configured."""

    key: str
    client_id: str | None
    client_secret: str | None
    authorize_url: str
    token_url: str

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret)


# provider key -> (env prefix, default authorize URL, default token URL)
PROVIDER_DEFAULTS: dict[str, tuple[str, str, str]] = {
    "google": (
        "DRA_GOOGLE",
        "https://accounts.google.com/o/oauth2/v2/auth",
        "https://oauth2.googleapis.com/token",
    ),
    "linkedin": (
        "DRA_LINKEDIN",
        "https://www.linkedin.com/oauth/v2/authorization",
        "https://www.linkedin.com/oauth/v2/accessToken",
    ),
    "meta": (
        "DRA_META",
        "https://www.facebook.com/v21.0/dialog/oauth",
        "https://graph.facebook.com/v21.0/oauth/access_token",
    ),
}

# platform key -> (variable, default) of the API address its client library talks to
API_URL_DEFAULTS: dict[str, tuple[str, str]] = {
    "meta_ads": ("DRA_META_API_URL", "https://graph.facebook.com"),
    "linkedin_ads": ("DRA_LINKEDIN_API_URL", "https://api.linkedin.com"),
    "google_analytics": ("DRA_GA4_API_URL", "https://analyticsdata.googleapis.com"),
    # GA4 lists properties through the Admin API (account summaries), not the Data API
    "google_analytics_admin": ("DRA_GA4_ADMIN_API_URL", "https://analyticsadmin.googleapis.com"),
    "google_ads": ("DRA_GOOGLE_ADS_ENDPOINT", "googleads.googleapis.com:443"),
    "google_ad_manager": ("DRA_AD_MANAGER_API_URL", "https://admanager.googleapis.com"),
}

# platform key -> days re-read on every load for late conversions (DRA_ADS_LOOKBACK_DAYS_<KEY>)
LOOKBACK_DEFAULTS: dict[str, int] = {
    "google_analytics": 2,
    "google_ads": 14,
    "google_ad_manager": 7,
    "meta_ads": 28,
    "linkedin_ads": 30,
}


def _number(
    env: Mapping[str, str],
    name: str,
    default: N,
    low: int,
    high: int,
    parse: Callable[[str], N] = int,
    noun: str = "a whole number",
    unit: str = "",
) -> N:
    """``env[name]`` read with ``parse`` and kept within ``low``..``high``; ``default``
    when it is unset or blank."""
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = parse(raw)
    except ValueError:
        raise AdsSettingsError(f"{name} must be {noun}, not {raw!r}") from None
    if not low <= value <= high:
        raise AdsSettingsError(f"{name} must be from {low} to {high}{unit}, not {value}")
    return value


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    return _number(env, name, default, 0, 600, float, "a number of seconds", " seconds")


@dataclass(frozen=True)
class AdsSettings:
    providers: dict[str, ProviderSettings] = field(default_factory=dict)
    api_urls: dict[str, str] = field(default_factory=dict)
    history_days: int = 90
    """First load: how many days back (DRA_ADS_HISTORY_DAYS)."""
    lookback_days: dict[str, int] = field(default_factory=lambda: dict(LOOKBACK_DEFAULTS))
    max_retries: int = 5
    """Rate-limited or briefly unavailable calls are retried this many times."""
    retry_seconds: float = 2.0
    """First back-off; doubled on each retry, capped at 60 s (a Retry-After is honoured)."""
    timeout_seconds: float = 60.0
    google_ads_developer_token: str | None = None
    google_ads_login_customer_id: str | None = None

    def provider(self, key: str) -> ProviderSettings:
        try:
            return self.providers[key]
        except KeyError:
            raise LookupError(f"{key!r} is not an OAuth provider of the platform.") from None

    def api_url(self, platform_key: str) -> str:
        return self.api_urls.get(platform_key) or API_URL_DEFAULTS[platform_key][1]

    def consent_origins(self) -> list[str]:
        """The origins (scheme://host[:port]) of the configured providers' consent
        screens: where a "Connect with ..." form's answer redirects the browser."""
        origins = set()
        for provider in self.providers.values():
            if provider.configured:
                url = urlsplit(provider.authorize_url)
                origins.add(f"{url.scheme}://{url.netloc}")
        return sorted(origins)


def load_ads_settings(env: Mapping[str, str]) -> AdsSettings:
    """Read every advertising setting; AdsSettingsError names a malformed variable."""
    providers = {}
    for key, (prefix, authorize, token) in PROVIDER_DEFAULTS.items():
        providers[key] = ProviderSettings(
            key=key,
            client_id=env.get(f"{prefix}_CLIENT_ID") or None,
            client_secret=env.get(f"{prefix}_CLIENT_SECRET") or None,
            authorize_url=env.get(f"{prefix}_AUTHORIZE_URL") or authorize,
            token_url=env.get(f"{prefix}_TOKEN_URL") or token,
        )
    return AdsSettings(
        providers=providers,
        api_urls={k: env.get(var) or default for k, (var, default) in API_URL_DEFAULTS.items()},
        history_days=_number(env, "DRA_ADS_HISTORY_DAYS", 90, 1, 3660),
        lookback_days={
            k: _number(env, f"DRA_ADS_LOOKBACK_DAYS_{k.upper()}", d, 0, 400)
            for k, d in LOOKBACK_DEFAULTS.items()
        },
        max_retries=_number(env, "DRA_ADS_MAX_RETRIES", 5, 0, 20),
        retry_seconds=_seconds(env, "DRA_ADS_RETRY_SECONDS", 2.0),
        timeout_seconds=_seconds(env, "DRA_ADS_TIMEOUT_SECONDS", 60.0),
        google_ads_developer_token=env.get("DRA_GOOGLE_ADS_DEVELOPER_TOKEN") or None,
        google_ads_login_customer_id=env.get("DRA_GOOGLE_ADS_LOGIN_CUSTOMER_ID") or None,
    )
