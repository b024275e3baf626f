"""What the three Google platforms (GA4, Google Ads, Ad Manager) share: the OAuth provider,
google-auth credentials built from the stored token (they refresh by themselves against
the provider's token URL), and one translation of the client libraries' errors into the
framework's: a rate limit (HTTP 429, gRPC RESOURCE_EXHAUSTED) -> RateLimited (retried by
``Platform.retrying``), a refused refresh (``invalid_grant``) or an access token still
refused after a refresh -> TokenRevoked, anything else -> PlatformError without tokens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from google.api_core import exceptions as api_exceptions
from google.auth import exceptions as auth_exceptions
from google.auth.transport.requests import Request
from google.oauth2.credentials import Credentials

from dra.ads.platforms import OAuthToken, Platform, PlatformError, RateLimited, TokenRevoked, scrub

T = TypeVar("T")

REVOKED = "Google no longer accepts this connection's authorisation: connect the account again."


class GooglePlatform(Platform):
    """A platform reached with a Google OAuth token (offline access: a refresh token)."""

    provider = "google"
    authorize_params = {
        "access_type": "offline",
        "prompt": "consent",
        "include_granted_scopes": "true",
    }

    def credentials(self, token: OAuthToken) -> Credentials:
        """google-auth credentials for ``token``: the client libraries send the access
        token and refresh it themselves (against the provider's token URL) when it expires."""
        oauth = self.oauth
        return Credentials(
            token=token.access_token,
            refresh_token=token.refresh_token,
            token_uri=oauth.token_url,
            client_id=oauth.client_id,
            client_secret=oauth.client_secret,
            expiry=(
                datetime.fromtimestamp(token.expires_at, UTC).replace(tzinfo=None)
                if token.expires_at is not None
                else None
            ),
        )

    def fresh(self, creds: Credentials) -> Credentials:
        """``creds``, refreshed first if their access token has expired (a gRPC call would
        otherwise hide a refused refresh in a transport error)."""
        if not creds.valid:
            refresh(creds, self.label)
        return creds

    def call(self, creds: Credentials, fn: Callable[[], T], what: str) -> T:
        """``fn()`` with rate limits retried (``Platform.retrying``) and every client error
        translated; an UNAUTHENTICATED answer gets one refresh of ``creds`` and one more try."""

        def once() -> T:
            try:
                return fn()
            except Exception as exc:
                raise self.translate(exc, what) from exc

        try:
            return self.retrying(once, what)
        except _Unauthenticated:
            refresh(creds, self.label)
            try:
                return self.retrying(once, what)
            except _Unauthenticated:
                raise TokenRevoked(f"{self.label}: {REVOKED}") from None

    def translate(self, exc: BaseException, what: str) -> Exception:
        """The framework's error for a client library's ``exc``."""
        if isinstance(exc, PlatformError):
            return exc
        if is_revoked(exc):
            return TokenRevoked(f"{self.label}: {REVOKED}")
        if is_rate_limited(exc):
            return RateLimited(f"{self.label}: {what} was rate-limited.")
        if is_unauthenticated(exc):
            return _Unauthenticated(f"{self.label}: the access token was refused.")
        if isinstance(exc, api_exceptions.ServiceUnavailable | api_exceptions.InternalServerError):
            return RateLimited(f"{self.label}: {what} failed for now ({type(exc).__name__}).")
        return PlatformError(f"{self.label}: {what} failed: {scrub(_message(exc))}")


class _Unauthenticated(PlatformError):
    """HTTP 401 / gRPC UNAUTHENTICATED (internal: refreshed once, then TokenRevoked)."""


def refresh(creds: Credentials, label: str) -> None:
    """Refresh ``creds`` now; a refused grant is TokenRevoked."""
    try:
        creds.refresh(Request())
    except auth_exceptions.RefreshError as exc:
        if is_revoked(exc):
            raise TokenRevoked(f"{label}: {REVOKED}") from None
        raise PlatformError(f"{label}: the token could not be refreshed: {scrub(exc)}") from None
    except auth_exceptions.TransportError as exc:
        raise RateLimited(f"{label}: the token service did not answer ({scrub(exc)}).") from None


def is_revoked(exc: BaseException) -> bool:
    """A refresh refused with ``invalid_grant`` (revoked, expired for good, password change)."""
    if not isinstance(exc, auth_exceptions.RefreshError):
        return False
    details = exc.args[1] if len(exc.args) > 1 else None
    if isinstance(details, dict):
        return details.get("error") == "invalid_grant"
    return "invalid_grant" in str(exc)


def _grpc_status_name(exc: BaseException) -> str:
    """The gRPC status of a ``GoogleAdsException`` (its ``error`` is the grpc.Call)."""
    code = getattr(getattr(exc, "error", None), "code", None)
    return getattr(code(), "name", "") if callable(code) else ""


def is_rate_limited(exc: BaseException) -> bool:
    if isinstance(exc, api_exceptions.TooManyRequests | api_exceptions.ResourceExhausted):
        return True
    return _grpc_status_name(exc) == "RESOURCE_EXHAUSTED"


def is_unauthenticated(exc: BaseException) -> bool:
    if isinstance(exc, api_exceptions.Unauthenticated):
        return True
    return _grpc_status_name(exc) == "UNAUTHENTICATED"


def micros(value: Any) -> Decimal | None:
    """A money value of the Google APIs as an amount: int64 micros / 10^6 (Google Ads
    ``cost_micros``, Ad Manager MONEY metrics); a double is taken as an amount already."""
    if value is None:
        return None
    if isinstance(value, int):
        return Decimal(value).scaleb(-6)
    return Decimal(str(value))


def _message(exc: BaseException) -> Any:
    """The most readable text of a client error (a GoogleAdsException's first error)."""
    failure = getattr(exc, "failure", None)
    errors = getattr(failure, "errors", None)
    if errors:
        return errors[0].message
    return getattr(exc, "message", None) or exc
