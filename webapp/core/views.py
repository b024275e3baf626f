"""Home page, health check and locally served vendor assets."""

from __future__ import annotations

from pathlib import Path

import plotly
from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    send_from_directory,
    url_for,
)
from flask_login import current_user

from dra.health import check_health, public_health
from dra.home import home_page
from webapp.database import db_session, get_database
from webapp.extensions import csrf, limiter

bp = Blueprint("core", __name__)

PLOTLY_DIR = Path(plotly.__file__).parent / "package_data"


@bp.get("/")
def index():
    """The signed-in user's projects, recent dashboards, pipeline work and unread alerts."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    page = home_page(db_session(), current_user.id)
    return render_template("core/home.html", home=page, request_url=_request_url)


def _request_url(item) -> str | None:
    """Where a pipeline request's object is shown (None: nothing to link to)."""
    endpoints = {
        "ingest_source": ("sources.detail", "source_id"),
        "refresh_model": ("models.detail", "model_id"),
        "quality_report": ("quality.show", "model_id"),
        "quality_clean": ("quality.show", "model_id"),
        "attribution_report": ("attribution.report", "report_id"),
    }
    endpoint, arg = endpoints.get(item.kind, (None, None))
    if endpoint is None or item.target_name is None or endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, project_id=item.project_id, **{arg: item.target_id})


HEALTH_RATE = "60 per minute"


def _platform_admin() -> bool:
    return bool(current_user.is_authenticated and current_user.is_platform_admin)


@bp.get("/healthz")
@limiter.limit(HEALTH_RATE, exempt_when=_platform_admin)
@csrf.exempt
def healthz():
    """200 ``{"status": "ok"}`` or 503 ``{"status": "unavailable"}`` for anyone (60 a
    minute per address); platform admins, signed in or by API token, get each part's
    state (versions, revision, errors)."""
    report = check_health(get_database())
    status = 200 if report["status"] == "ok" else 503
    return jsonify(report if _platform_admin() else public_health(report)), status


healthz.talisman_view_options = {"force_https": False}  # monitors may probe over plain HTTP


@bp.get("/vendor/plotly.min.js")
@limiter.exempt
def plotly_js():
    """plotly.js from the plotly package: no CDN."""
    return send_from_directory(PLOTLY_DIR, "plotly.min.js", max_age=86400)
