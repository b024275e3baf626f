"""Home page, health check and locally served vendor assets."""

from __future__ import annotations

from pathlib import Path

import plotly
from flask import Blueprint, jsonify, redirect, render_template, send_from_directory, url_for
from flask_login import current_user

from dra.health import check_health
from webapp.database import get_database
from webapp.extensions import csrf, limiter

bp = Blueprint("core", __name__)

PLOTLY_DIR = Path(plotly.__file__).parent / "package_data"


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return render_template("core/home.html")


@bp.get("/healthz")
@limiter.exempt
@csrf.exempt
def healthz():
    """Database and pipeline-storage state as JSON (200 when both are fine, else 503)."""
    report = check_health(get_database())
    return jsonify(report), (200 if report["status"] == "ok" else 503)


@bp.get("/vendor/plotly.min.js")
@limiter.exempt
def plotly_js():
    """plotly.js from the plotly package: no CDN."""
    return send_from_directory(PLOTLY_DIR, "plotly.min.js", max_age=86400)
