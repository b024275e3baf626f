"""Application factory."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import Flask

from dra.db import Database
from dra.settings import Settings, SettingsError, load_settings
from webapp.request_class import BoundedJSONRequest
from webapp.urls import IdConverter


def create_app(settings: Settings | None = None, config: Mapping[str, Any] | None = None) -> Flask:
    """Build the web app from settings (read from the environment unless given)."""
    settings = settings or load_settings()
    if settings.database_url is None:
        raise SettingsError(
            "DRA_DATABASE_URL is not set: start the platform with `python3 manage.py run`, "
            "which starts the database and sets it"
        )
    app = Flask(__name__)
    app.request_class = BoundedJSONRequest
    app.url_map.converters["int"] = IdConverter
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.upload_max_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=settings.is_production,
        REMEMBER_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(days=7),
        WTF_CSRF_TIME_LIMIT=None,
        RATELIMIT_STORAGE_URI=settings.rate_limit_storage_uri,
        RATELIMIT_HEADERS_ENABLED=True,
        DRA_SETTINGS=settings,
    )
    if config:
        app.config.update(config)
    app.extensions["dra_database"] = Database(settings.database_url)
    register_security(app, settings)
    register_extensions(app)
    register_blueprints(app)
    allow_consent_redirects(app, settings)
    register_errorhandlers(app)
    register_template_helpers(app)
    return app


CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",  # no inline script: pages read their data from JSON blocks
    "style-src": "'self' 'unsafe-inline'",  # style attributes; plotly injects its styles
    "img-src": "'self' data: blob:",  # plotly's PNG export
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
PERMISSIONS_POLICY = {
    "browsing-topics": "()",
    "camera": "()",
    "geolocation": "()",
    "microphone": "()",
}


def register_security(app: Flask, settings: Settings) -> None:
    """Security headers on every answer (flask-talisman) and the trusted proxies.

    CSP above, X-Frame-Options DENY, nosniff, strict-origin-when-cross-origin; in
    production HSTS (on HTTPS answers) and a redirect of plain HTTP to HTTPS
    (``DRA_FORCE_HTTPS``), except ``/healthz`` that monitors may probe over HTTP. With
    ``DRA_TRUSTED_PROXIES`` = N, werkzeug's ProxyFix takes the client's address and
    scheme from the X-Forwarded-For / X-Forwarded-Proto entries the last N proxies
    added (rate limits then count per visitor); with 0 those headers are ignored.
    """
    from flask_talisman import DENY, Talisman
    from werkzeug.middleware.proxy_fix import ProxyFix

    if settings.trusted_proxies:
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.extensions["talisman"] = Talisman(
        app,
        content_security_policy=CONTENT_SECURITY_POLICY,
        permissions_policy=PERMISSIONS_POLICY,
        frame_options=DENY,
        force_https=settings.force_https,
        strict_transport_security=settings.is_production,
        session_cookie_secure=settings.is_production,
        x_content_type_options=True,
        referrer_policy="strict-origin-when-cross-origin",
    )


# The pages whose forms start an OAuth flow: their answer redirects the browser to the
# provider's consent screen, which the CSP's form-action must allow (browsers check it on
# every redirect that follows a form's submission).
CONSENT_FORM_PAGES = ("ads.connect", "sources.detail")


def allow_consent_redirects(app: Flask, settings: Settings) -> None:
    """form-action on the pages of CONSENT_FORM_PAGES: 'self' and the configured OAuth
    providers' consent origins (every other page keeps 'self' alone)."""
    origins = settings.ads.consent_origins()
    if not origins:
        return
    policy = {**CONTENT_SECURITY_POLICY, "form-action": " ".join(["'self'", *origins])}
    for endpoint in CONSENT_FORM_PAGES:
        # this app's own wrapper: the view function itself is shared by every app
        view = app.view_functions[endpoint]
        page = functools.wraps(view)(lambda *args, _view=view, **kwargs: _view(*args, **kwargs))
        page.talisman_view_options = {"content_security_policy": policy}  # type: ignore[attr-defined]
        app.view_functions[endpoint] = page


def register_extensions(app: Flask) -> None:
    from webapp.auth import init_app as init_auth
    from webapp.auth.loader import configure_login
    from webapp.database import close_session, commit_on_success
    from webapp.extensions import csrf, limiter, login_manager
    from webapp.maintenance import init_app as init_maintenance

    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    configure_login(login_manager)
    init_auth(app)
    init_maintenance(app)
    app.after_request(commit_on_success)
    app.teardown_appcontext(close_session)


def register_blueprints(app: Flask) -> None:
    from webapp.account.api import bp as account_api_bp
    from webapp.account.views import bp as account_bp
    from webapp.admin.api import bp as admin_api_bp
    from webapp.admin.views import bp as admin_bp
    from webapp.ads.views import bp as ads_bp
    from webapp.ads.views import callback_bp as ads_callback_bp
    from webapp.ai.api import bp as ai_api_bp
    from webapp.ai.views import bp as ai_bp
    from webapp.attribution.admin import bp as attribution_admin_bp
    from webapp.attribution.api import bp as tracking_bp
    from webapp.attribution.api import reports_bp as attribution_api_bp
    from webapp.attribution.views import bp as attribution_views_bp
    from webapp.auth.views import api_bp as auth_api_bp
    from webapp.auth.views import bp as auth_bp
    from webapp.content.admin import bp as content_admin_bp
    from webapp.content.public import bp as blog_bp
    from webapp.core.views import bp as core_bp
    from webapp.dashboards.public import public_bp as public_dashboards_bp
    from webapp.dashboards.views import all_bp as all_dashboards_bp
    from webapp.dashboards.views import bp as dashboards_bp
    from webapp.dbadmin.views import bp as dbadmin_bp
    from webapp.insights.api import bp as insights_api_bp
    from webapp.insights.views import bp as insights_bp
    from webapp.models.views import bp as models_bp
    from webapp.projects.views import bp as projects_bp
    from webapp.quality.views import bp as quality_bp
    from webapp.sources.views import bp as sources_bp

    for blueprint in (
        core_bp,
        auth_bp,
        projects_bp,
        admin_bp,
        dbadmin_bp,
        auth_api_bp,
        account_bp,
        account_api_bp,
        tracking_bp,
        sources_bp,
        ads_bp,
        ads_callback_bp,
        quality_bp,
        models_bp,
        dashboards_bp,
        public_dashboards_bp,
        all_dashboards_bp,
        attribution_views_bp,
        attribution_admin_bp,
        attribution_api_bp,
        ai_bp,
        ai_api_bp,
        insights_bp,
        insights_api_bp,
        admin_api_bp,
        content_admin_bp,
        blog_bp,
    ):
        app.register_blueprint(blueprint)
    from webapp.api import init_app as init_api

    init_api(app)  # the REST API's areas and its OpenAPI document


def register_errorhandlers(app: Flask) -> None:
    from webapp.errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from webapp.templating import register

    register(app)
