"""Google sign-in (UC-AUTH-03) with authlib's Flask client and OpenID Connect discovery.

Enabled when DRA_GOOGLE_CLIENT_ID and DRA_GOOGLE_CLIENT_SECRET are set; the discovery
document comes from DRA_GOOGLE_DISCOVERY_URL (Google's by default). The linking policy
for existing accounts is in ``dra.accounts.google``.
"""

from __future__ import annotations

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, abort, current_app, flash, redirect, url_for
from requests import RequestException

from dra.accounts.errors import AccountError
from dra.accounts.google import GoogleIdentity, sign_in_with_google
from webapp.auth.loader import start_session
from webapp.database import get_database

EXTENSION = "dra_google_oauth"
FAILED = "Google sign-in did not work. Please try again, or sign in with your password."


def init_oauth(app: Flask) -> None:
    """Register the Google client on this app when credentials are configured."""
    settings = app.config["DRA_SETTINGS"]
    if not (settings.google_client_id and settings.google_client_secret):
        return
    oauth = OAuth(app)
    app.extensions[EXTENSION] = oauth.register(
        "google",
        client_id=settings.google_client_id,
        client_secret=settings.google_client_secret,
        server_metadata_url=settings.google_discovery_url,
        client_kwargs={"scope": "openid email profile", "timeout": 10},
    )


def google_enabled() -> bool:
    return EXTENSION in current_app.extensions


def _client():
    if not google_enabled():
        abort(404, description="Google sign-in is not configured on this platform.")
    return current_app.extensions[EXTENSION]


def begin():
    """Send the browser to Google's consent screen (state and nonce kept in the session)."""
    from webapp.auth.mailing import external_url

    try:
        return _client().authorize_redirect(external_url("auth.google_callback"))
    except (OAuthError, RequestException, ValueError) as exc:
        current_app.logger.warning("Google sign-in could not start: %s", exc)
        flash(FAILED, "error")
        return redirect(url_for("auth.login", error="oauth_failed"))


def finish():
    """Exchange the code, verify the ID token, then sign the user in (or explain why not)."""
    try:
        token = _client().authorize_access_token()
        claims = token.get("userinfo")
        if not claims:
            raise OAuthError(description="no ID token in the answer")
    except (OAuthError, RequestException, ValueError, KeyError) as exc:
        current_app.logger.warning("Google sign-in failed: %s", exc)
        flash(FAILED, "error")
        return redirect(url_for("auth.login", error="oauth_failed"))
    try:
        with get_database().system_session() as db:
            user = sign_in_with_google(db, GoogleIdentity.from_claims(claims))
            start_session(user)
    except AccountError as exc:
        flash(exc.message, "error")
        return redirect(url_for("auth.login", error="oauth_refused"))
    return redirect(url_for("core.index"))
