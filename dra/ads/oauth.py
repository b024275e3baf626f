"""The OAuth 2 authorization-code flow with PKCE against Google, LinkedIn or Meta (authlib).

Plain functions: the web app keeps the state and the PKCE verifier in the signed-in
person's session between :func:`begin` and :func:`finish`; ingestion calls
:func:`fresh_token` before using a stored token. Every refusal is a DraError whose
message never carries a token.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from requests import RequestException

from dra.ads.platforms import PROVIDER_LABELS, OAuthToken, Platform, TokenRevoked, scrub
from dra.ads.settings import ProviderSettings
from dra.errors import DraError

TIMEOUT_SECONDS = 20


class OAuthFlowError(DraError):
    """The flow cannot go on (400): a forged or missing state, a refused code exchange."""


class ConsentDenied(DraError):
    """The person declined on the provider's consent screen (``error=access_denied``)."""


class ProviderNotConfigured(DraError):
    """No client id/secret for the provider: the platform cannot be connected (404)."""

    status = 404


@dataclass(frozen=True)
class Authorization:
    """Where to send the browser, and what the callback must find in the session."""

    url: str
    state: str
    code_verifier: str


def _session(provider: ProviderSettings, scopes: tuple[str, ...] = (), redirect_uri=None):
    return OAuth2Session(
        provider.client_id,
        provider.client_secret,
        scope=" ".join(scopes) or None,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_post",  # noqa: S106 - a method name
        timeout=TIMEOUT_SECONDS,
    )


def provider_label(key: str) -> str:
    return PROVIDER_LABELS.get(key, key)


def configured_provider(platform: Platform) -> ProviderSettings:
    provider = platform.oauth
    if not provider.configured:
        raise ProviderNotConfigured(
            f"{platform.label} is not configured on this platform: an administrator must set "
            f"the {provider_label(platform.provider)} client id and secret."
        )
    return provider


def begin(platform: Platform, redirect_uri: str) -> Authorization:
    """The provider's authorize URL for ``platform``'s scopes, with a new state and a PKCE
    (S256) challenge."""
    provider = configured_provider(platform)
    verifier = generate_token(64)
    with _session(provider, platform.scopes, redirect_uri) as client:
        url, state = client.create_authorization_url(
            provider.authorize_url, code_verifier=verifier, **platform.authorize_params
        )
    return Authorization(url=url, state=state, code_verifier=verifier)


def check_callback(args: dict[str, str], expected_state: str | None) -> str:
    """The code of a callback whose state matches the one issued; ConsentDenied when the
    person declined, OAuthFlowError (400) for a forged, missing or stale state."""
    given = args.get("state") or ""
    if not expected_state or not given or not hmac.compare_digest(given, expected_state):
        raise OAuthFlowError(
            "This sign-in answer does not match a connection started here (its state is "
            "missing or wrong). Start the connection again.",
            field="state",
        )
    if args.get("error"):
        if args["error"] == "access_denied":
            raise ConsentDenied(
                "The connection was cancelled: access was not granted on the consent screen.",
                field="error",
            )
        raise OAuthFlowError(
            f"The provider refused the connection ({scrub(args['error'])[:100]}). Try again.",
            field="error",
        )
    code = args.get("code")
    if not code:
        raise OAuthFlowError("The provider sent no authorization code. Try again.", field="code")
    return code


def finish(platform: Platform, redirect_uri: str, code: str, code_verifier: str) -> OAuthToken:
    """Exchange the code (with the PKCE verifier) for tokens (ALT-DS07B: 400, retry)."""
    provider = configured_provider(platform)
    label = provider_label(platform.provider)
    try:
        with _session(provider, platform.scopes, redirect_uri) as client:
            token = client.fetch_token(
                provider.token_url,
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
            )
    except OAuthError as exc:
        raise OAuthFlowError(
            f"{label} did not exchange the authorization code for tokens ({exc.error}). "
            "Please try again."
        ) from None
    except (RequestException, ValueError) as exc:
        raise OAuthFlowError(
            f"{label} could not be reached to exchange the code "
            f"({scrub(exc.__class__.__name__)}). Please try again."
        ) from None
    if not token.get("access_token"):
        raise OAuthFlowError(f"{label} answered without an access token. Please try again.")
    return OAuthToken.from_dict(token)


def refresh(platform: Platform, token: OAuthToken) -> OAuthToken:
    """A new access token from the refresh token (kept when the answer has none);
    TokenRevoked for ``invalid_grant`` (or no refresh token to use)."""
    provider = platform.oauth
    label = provider_label(platform.provider)
    if not token.refresh_token:
        raise TokenRevoked(
            f"The {label} access token has expired and cannot be renewed: reconnect the source."
        )
    try:
        with _session(provider) as client:
            answer = client.refresh_token(provider.token_url, refresh_token=token.refresh_token)
    except OAuthError as exc:
        if exc.error in ("invalid_grant", "unauthorized_client", "invalid_client"):
            raise TokenRevoked(
                f"{label} refused the stored authorization ({exc.error}): it was revoked or "
                "has expired. Reconnect the source."
            ) from None
        raise DraError(
            f"{label} did not renew the access token ({exc.error}).", status=502
        ) from None
    except (RequestException, ValueError) as exc:
        raise DraError(
            f"{label} could not be reached to renew the access token ({exc.__class__.__name__}).",
            status=502,
        ) from None
    renewed = OAuthToken.from_dict(answer)
    if renewed.refresh_token is None:
        renewed = OAuthToken(
            renewed.access_token,
            token.refresh_token,
            renewed.expires_at,
            renewed.token_type,
            renewed.scope or token.scope,
        )
    return renewed


def fresh_token(platform: Platform, token: OAuthToken) -> tuple[OAuthToken, bool]:
    """``token`` if still valid for five minutes, else a refreshed one; (token, renewed)."""
    if not token.expired():
        return token, False
    return refresh(platform, token), True
