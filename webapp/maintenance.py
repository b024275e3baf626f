"""Maintenance mode (UC-ADM-08): while the platform setting is on, everyone but platform
admins gets 503 with ``Retry-After``: the maintenance page with the admins' message, or a
problem details answer (``application/problem+json``) for ``/api/`` calls and JSON clients.

Still served: static files, sign-in and sign-out (so admins can come in, and anyone can
leave), ``/healthz`` (monitors) and the tracking endpoint (events keep being collected).
"""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_login import current_user

from dra.admin.platform import Maintenance, maintenance
from webapp.database import db_session
from webapp.errors import problem, wants_json

OPEN_ENDPOINTS = frozenset(
    {
        "static",
        "core.healthz",
        "auth.login",
        "auth.logout",
        "auth.google_login",
        "auth.google_callback",
    }
)
OPEN_BLUEPRINTS = frozenset({"tracking"})


def _is_open() -> bool:
    return request.endpoint in OPEN_ENDPOINTS or request.blueprint in OPEN_BLUEPRINTS


def unavailable(state: Maintenance):
    """The 503 answer of maintenance mode."""
    headers = {"Retry-After": str(state.retry_after_seconds), "Cache-Control": "no-store"}
    if request.path.startswith("/api/") or wants_json():
        body, status = problem(503, state.message)
        return body, status, headers
    minutes = state.retry_after_seconds // 60
    page = render_template("maintenance.html", message=state.message, minutes=minutes)
    return page, 503, headers


def init_app(app: Flask) -> None:
    @app.before_request
    def _maintenance_mode():
        if _is_open() or getattr(current_user, "is_platform_admin", False):
            return None
        state = maintenance(db_session())
        return None if state is None else unavailable(state)
