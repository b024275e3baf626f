"""Advertising and analytics platforms: what each one provides, and the registry.

A platform (Meta Ads, LinkedIn Ads, GA4, Google Ads, Ad Manager) is one module under
``dra/ads/`` holding one :class:`Platform` subclass decorated with
:func:`register_platform`. The framework around it does everything else once for all:

- the OAuth flow (``dra.ads.oauth``): authorize URL with state and PKCE, code exchange,
  refresh of an expired access token, ``invalid_grant`` -> :class:`TokenRevoked`;
- the connect pages (``webapp/ads``): "Connect with Google / LinkedIn / Meta", then
  :meth:`Platform.list_accounts`, the user picks one, the source is created with
  ``type = Platform.key`` and the token encrypted at rest (``dra.security.crypto``);
- ingestion (``dra.ingestion.sources.ads``): for each table of :attr:`Platform.tables`,
  the window of dates to read (first load: ``DRA_ADS_HISTORY_DAYS``; later loads: from
  the last date loaded minus the platform's lookback), :meth:`Platform.fetch_table` for
  that window, and an upsert on the table's unique key into the project's raw schema
  (so re-read days replace their rows, never add to them). The account's id, currency
  and time zone are added to every row by the framework (:data:`ACCOUNT_COLUMNS`);
- a revoked token marks the source "reconnect needed" and notifies its owner; any other
  error fails that source only.

A platform module therefore writes only: which OAuth provider and scopes, how to list
the accounts a token can read, and how to read one table's rows for a date range
(following pages, raising :class:`RateLimited` for throttling so that
:meth:`Platform.retrying` backs off, :class:`TokenRevoked` for a dead token and
:class:`PlatformError` for anything else). It never writes to the database.

Keys are the ``app.data_sources.type`` values (a check constraint lists them):
``meta_ads``, ``linkedin_ads``, ``google_analytics`` (GA4), ``google_ads``,
``google_ad_manager`` (Ad Manager). Tests point every URL at local fakes through
``Settings.ads`` (``dra.ads.settings``), never by patching the platform.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, ClassVar, TypeVar

from dra.ads.settings import AdsSettings, ProviderSettings
from dra.errors import DraError
from dra.ingestion.registry import ReconnectNeeded

T = TypeVar("T")

PLATFORM_KEYS = ("google_analytics", "google_ads", "google_ad_manager", "linkedin_ads", "meta_ads")
"""Every platform key (= data source type). The unified spend model expects these five."""

PROVIDER_LABELS = {"google": "Google", "linkedin": "LinkedIn", "meta": "Meta"}
"""OAuth provider key -> the name on the "Connect with ..." button."""

BUILTIN_MODULES = (
    "dra.ads.meta",
    "dra.ads.linkedin",
    "dra.ads.google_analytics",
    "dra.ads.google_ads",
    "dra.ads.ad_manager",
)
"""Modules imported (when present) before the registry is read; each registers its platform."""

MAX_BACKOFF_SECONDS = 60.0


# ---------------------------------------------------------------------------------------
# What a platform hands back


@dataclass(frozen=True)
class AdAccount:
    """One account a token can read: a Meta ad account (``act_`` stripped), a LinkedIn
    sponsored account, a GA4 property, a Google Ads customer, an Ad Manager network.

    ``id`` is what :meth:`Platform.fetch_table` needs to address it (digits as text);
    ``currency`` an ISO 4217 code (None when the platform has none, e.g. GA4 without
    revenue currency); ``time_zone`` an IANA name (the dates of its rows are in it);
    ``parent_id`` the manager account / GA4 account / business it sits under, if any.
    ``extra`` holds other non-secret facts fetch needs later (kept in the source's
    settings, shown nowhere): e.g. Google Ads ``{"login_customer_id": "..."}``.
    """

    id: str
    name: str
    currency: str | None = None
    time_zone: str | None = None
    parent_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AdAccount:
        return cls(
            id=str(data["id"]),
            name=str(data.get("name") or data["id"]),
            currency=data.get("currency"),
            time_zone=data.get("time_zone"),
            parent_id=data.get("parent_id"),
            extra=dict(data.get("extra") or {}),
        )

    @property
    def label(self) -> str:
        """How the account is shown in the picker: name, id, currency and time zone."""
        facts = ", ".join(x for x in (self.currency, self.time_zone) if x)
        under = f", under {self.parent_id}" if self.parent_id else ""
        return f"{self.name} ({self.id}{', ' + facts if facts else ''}{under})"


@dataclass(frozen=True)
class OAuthToken:
    """The tokens of a connection, stored only encrypted (``connection_encrypted``).

    ``expires_at`` is a Unix time (None: does not expire, or unknown); Meta gives no
    ``refresh_token`` (long-lived tokens of about 60 days). The framework refreshes an
    expired token before calling the platform, so ``access_token`` is valid when a
    platform method receives it.
    """

    access_token: str
    refresh_token: str | None = None
    expires_at: float | None = None
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
    scope: str | None = None

    def expired(self, margin_seconds: float = 300, now: float | None = None) -> bool:
        if self.expires_at is None:
            return False
        return (now if now is not None else time.time()) >= self.expires_at - margin_seconds

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OAuthToken:
        expires_at = data.get("expires_at")
        if expires_at is None and data.get("expires_in") is not None:
            expires_at = time.time() + float(data["expires_in"])
        scope = data.get("scope")
        if isinstance(scope, list | tuple):
            scope = " ".join(scope)
        return cls(
            access_token=str(data["access_token"]),
            refresh_token=data.get("refresh_token") or None,
            expires_at=float(expires_at) if expires_at is not None else None,
            token_type=str(data.get("token_type") or "Bearer"),
            scope=scope,
        )

    @property
    def secrets(self) -> tuple[str, ...]:
        """The values :func:`scrub` must remove from any text that leaves the process."""
        return tuple(s for s in (self.access_token, self.refresh_token) if s)


# ---------------------------------------------------------------------------------------
# The tables a platform ingests


@dataclass(frozen=True)
class AdColumn:
    name: str
    pg_type: str
    """A PostgreSQL type: ``date``, ``text``, ``bigint``, ``numeric``, ``jsonb``..."""


@dataclass(frozen=True)
class AdTable:
    """One raw table of a platform, one row per (account, ``key``) (``key`` includes the
    date column). The framework prepends :data:`ACCOUNT_COLUMNS`, creates the table in
    the project's raw schema (named from the source's name and ``name``), with a unique
    index on ``("account_id", *key)``, and upserts every load on it."""

    name: str
    columns: tuple[AdColumn, ...]
    key: tuple[str, ...]
    description: str = ""
    date_column: str = "date"

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: a column is declared twice")
        if self.date_column not in names:
            raise ValueError(f"{self.name}: no {self.date_column!r} column")
        missing = [k for k in self.key if k not in names]
        if missing or self.date_column not in self.key:
            raise ValueError(f"{self.name}: the key must be columns and include the date")
        clash = {c.name for c in ACCOUNT_COLUMNS} & set(names)
        if clash:
            raise ValueError(f"{self.name}: {sorted(clash)} are added by the framework")

    @property
    def all_columns(self) -> tuple[AdColumn, ...]:
        """The stored columns: the account's, then the platform's."""
        return ACCOUNT_COLUMNS + self.columns

    @property
    def unique_key(self) -> tuple[str, ...]:
        return ("account_id", *self.key)


ACCOUNT_COLUMNS = (
    AdColumn("account_id", "text"),
    AdColumn("currency", "text"),
    AdColumn("time_zone", "text"),
)
"""Added by the framework to every row: the account's id, ISO currency and IANA time
zone (the platform's ``spend`` and ``conversion_value`` are in that currency, its dates
in that time zone)."""

SPEND_TABLE = "campaign_daily"
"""Every platform has a table of this name; the dbt model ``fct_ad_spend_daily`` unions
them (whatever the platform's other tables are)."""

DATE_COLUMN = AdColumn("date", "date")

METRIC_COLUMNS = (
    AdColumn("spend", "numeric"),
    AdColumn("impressions", "bigint"),
    AdColumn("clicks", "bigint"),
    AdColumn("conversions", "numeric"),
    AdColumn("conversion_value", "numeric"),
)
"""The measures of :data:`SPEND_COLUMNS`, also those of the tables below the campaign
(:func:`breakdown_table`)."""


def named(*levels: str) -> tuple[AdColumn, ...]:
    """The ``<level>_id`` and ``<level>_name`` text columns of each of ``levels``."""
    return tuple(AdColumn(f"{level}_{part}", "text") for level in levels for part in ("id", "name"))


SPEND_COLUMNS = (DATE_COLUMN, *named("campaign"), AdColumn("channel", "text"), *METRIC_COLUMNS)
"""The first columns of every platform's :data:`SPEND_TABLE`, in this order (None where
the platform has no such figure). ``spend`` and ``conversion_value`` are amounts in the
account's currency (Google Ads ``cost_micros`` / 1e6). ``conversions`` are the
platform's own attributed conversions (GA4: key events; LinkedIn: external website
conversions; Meta: the ``actions`` counted as conversions). ``channel`` is the
platform's own channel name when it has one (GA4 default channel group, Google Ads
advertising channel type), else None (the model fills ``paid_social`` etc.).

Per platform: Meta and LinkedIn a campaign by day; Google Ads a campaign by day; GA4
one row per (date, channel group, source/medium, campaign name) with ``campaign_id`` =
the campaign name or ``(not set)`` and no spend/impressions/clicks; Ad Manager an order
by day (``campaign_*`` = the order, ``spend`` = the revenue billed for it)."""


def spend_table(
    extra: Iterable[AdColumn] = (),
    key: tuple[str, ...] = ("date", "campaign_id"),
    description: str = "",
) -> AdTable:
    """A platform's :data:`SPEND_TABLE`: :data:`SPEND_COLUMNS` plus its own ``extra``
    columns (GA4: ``source``, ``medium``, ``sessions``, ``users``...), keyed by ``key``."""
    return AdTable(SPEND_TABLE, SPEND_COLUMNS + tuple(extra), key, description)


def breakdown_table(
    name: str, levels: tuple[str, ...], description: str, extra: Iterable[AdColumn] = ()
) -> AdTable:
    """A table by day below the campaign (Google Ads ad groups, Meta ads): the date, the
    campaign's and each of ``levels``' id and name, :data:`METRIC_COLUMNS`, then ``extra``;
    keyed by the date and the last level's id."""
    columns = (DATE_COLUMN, *named("campaign", *levels), *METRIC_COLUMNS, *extra)
    return AdTable(name, columns, ("date", f"{levels[-1]}_id"), description)


# ---------------------------------------------------------------------------------------
# Errors


class PlatformError(DraError):
    """A platform refused or failed a call. The message is shown to people (the connect
    page, the source's last error): it must never hold a token (use :func:`scrub`)."""

    status = 502


class TokenRevoked(PlatformError, ReconnectNeeded):
    """The token was revoked or has expired for good (``invalid_grant`` on refresh,
    Meta error 190, a 401 that a refresh does not cure): the source needs reconnecting."""

    status = 400


class RateLimited(PlatformError):
    """Throttled (HTTP 429, Meta codes 17/80000/80004, gRPC RESOURCE_EXHAUSTED) or briefly
    unavailable (5xx): :meth:`Platform.retrying` waits ``retry_after`` seconds (else its
    own back-off) and calls again."""

    status = 429

    def __init__(self, message: str = "", *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message or "The platform asked to slow down.", **kw)
        self.retry_after = retry_after


_TOKEN_PARAM = re.compile(
    r"((?:access_token|refresh_token|appsecret_proof|client_secret|code)=)[^&\s'\"]+", re.I
)


def scrub(text: object, secrets: Iterable[str] = ()) -> str:
    """``text`` without token values: every ``access_token=...``-style query parameter and
    every given secret replaced by ``***`` (Meta sends the token in the query string, so
    any URL in an error or a log line would carry it)."""
    out = _TOKEN_PARAM.sub(r"\1***", str(text))
    for secret in secrets:
        if secret and len(secret) >= 4:
            out = out.replace(secret, "***")
    return out


# ---------------------------------------------------------------------------------------
# The interface


class Platform(ABC):
    """One advertising or analytics platform. Instances are cheap: one per call site,
    built by :func:`platform` with the settings (URLs, retries) to use."""

    key: ClassVar[str]
    """One of :data:`PLATFORM_KEYS` (= the data source type)."""
    label: ClassVar[str]
    """Shown to people: "Meta Ads", "Google Analytics 4"..."""
    provider: ClassVar[str]
    """The OAuth provider: ``google``, ``linkedin`` or ``meta``."""
    scopes: ClassVar[tuple[str, ...]]
    """OAuth scopes asked for (read-only ones)."""
    authorize_params: ClassVar[dict[str, str]] = {}
    """Extra authorize-URL parameters (Google: ``access_type=offline``, ``prompt=consent``
    so that a refresh token comes back)."""
    account_noun: ClassVar[str] = "ad account"
    """What an account is called in the picker ("GA4 property", "network"...)."""
    none_found: ClassVar[str]
    """The 400 message when a token can read no account (the specification's words:
    "No GA4 properties found for this account.", "No Google Ads accounts found.")."""
    tables: ClassVar[tuple[AdTable, ...]]
    """What the platform ingests; exactly one is named :data:`SPEND_TABLE`."""

    def __init__(self, settings: AdsSettings, sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.sleep = sleep

    # -- what a platform implements ---------------------------------------------------

    @abstractmethod
    def list_accounts(self, token: OAuthToken) -> list[AdAccount]:
        """Every account the token can read (all pages; accounts under a manager account
        included), in a stable order. An empty list makes the connect page answer 400
        with :attr:`none_found`. Raises TokenRevoked / PlatformError."""

    @abstractmethod
    def fetch_table(
        self, token: OAuthToken, account: AdAccount, table: AdTable, start: date, end: date
    ) -> Iterator[Mapping[str, Any]]:
        """The rows of ``table`` for dates ``start``..``end`` (both included, in the
        account's time zone), one mapping per row keyed by ``table.columns`` names
        (without :data:`ACCOUNT_COLUMNS`; a missing key is NULL). Values: ``date`` or
        ISO text for dates, int/Decimal/float/numeric text for numbers, str for text,
        dict/list for jsonb.

        A generator that follows every page lazily (constant memory: 365,000 rows must
        not be held at once), each page call wrapped in :meth:`retrying`. Rows may
        repeat a key (the last one wins). Raises TokenRevoked for a dead token,
        PlatformError (message scrubbed of tokens) for any other refusal."""

    # -- given --------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """Where the platform's API is (``Settings.ads.api_url(key)``; a fake in tests)."""
        return self.settings.api_url(self.key)

    @property
    def oauth(self) -> ProviderSettings:
        """The provider's client id/secret and token URL (google-auth ``Credentials``
        need them to refresh by themselves)."""
        return self.settings.provider(self.provider)

    @property
    def lookback_days(self) -> int:
        return self.settings.lookback_days.get(self.key, 7)

    def table(self, name: str) -> AdTable:
        for table in self.tables:
            if table.name == name:
                return table
        raise LookupError(f"{self.label} has no table {name!r}.")

    def fetch(
        self, token: OAuthToken, account: AdAccount, start: date, end: date
    ) -> Iterator[tuple[AdTable, Iterator[Mapping[str, Any]]]]:
        """Each table with its rows for ``start``..``end`` (consume one table's rows
        before asking for the next)."""
        for table in self.tables:
            yield table, self.fetch_table(token, account, table, start, end)

    def retrying(self, call: Callable[[], T], what: str = "a call") -> T:
        """``call()``, retried while it raises :class:`RateLimited`: waits its
        ``retry_after``, else ``DRA_ADS_RETRY_SECONDS`` doubled at each attempt (at most
        60 s), up to ``DRA_ADS_MAX_RETRIES`` retries; then PlatformError."""
        delay = self.settings.retry_seconds
        attempts = self.settings.max_retries + 1
        for attempt in range(1, attempts + 1):
            try:
                return call()
            except RateLimited as exc:
                if attempt == attempts:
                    raise PlatformError(
                        f"{self.label}: {what} was still rate-limited after {attempts} "
                        f"attempts ({exc.message})"
                    ) from None
                wait = exc.retry_after if exc.retry_after is not None else delay
                self.sleep(max(0.0, min(wait, MAX_BACKOFF_SECONDS)))
                delay = min(delay * 2, MAX_BACKOFF_SECONDS)
        raise AssertionError("unreachable")


# ---------------------------------------------------------------------------------------
# The registry

_PLATFORMS: dict[str, type[Platform]] = {}


def register_platform(cls: type[Platform]) -> type[Platform]:
    """Class decorator: make ``cls`` the platform of ``cls.key``."""
    if cls.key not in PLATFORM_KEYS:
        raise ValueError(f"{cls.key!r} is not a platform key (one of {', '.join(PLATFORM_KEYS)})")
    if cls.provider not in PROVIDER_LABELS:
        raise ValueError(f"{cls.provider!r} is not an OAuth provider")
    if sum(1 for t in cls.tables if t.name == SPEND_TABLE) != 1:
        raise ValueError(f"{cls.key}: exactly one table must be named {SPEND_TABLE!r}")
    spend = next(t for t in cls.tables if t.name == SPEND_TABLE)
    if spend.columns[: len(SPEND_COLUMNS)] != SPEND_COLUMNS:
        raise ValueError(f"{cls.key}: {SPEND_TABLE} must start with SPEND_COLUMNS")
    _PLATFORMS[cls.key] = cls
    return cls


def _load_builtins() -> None:
    for name in BUILTIN_MODULES:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)


def platform_class(key: str) -> type[Platform]:
    """The registered platform of ``key``; LookupError when none is (yet)."""
    _load_builtins()
    try:
        return _PLATFORMS[key]
    except KeyError:
        raise LookupError(f"{key!r} is not a supported advertising platform.") from None


def platform(key: str, settings: AdsSettings) -> Platform:
    """A ready platform of ``key`` using ``settings`` (``Settings.ads``)."""
    return platform_class(key)(settings)


def platforms() -> list[type[Platform]]:
    """Every registered platform, in :data:`PLATFORM_KEYS` order."""
    _load_builtins()
    return [_PLATFORMS[k] for k in PLATFORM_KEYS if k in _PLATFORMS]


def is_ad_source(source_type: str) -> bool:
    return source_type in PLATFORM_KEYS
