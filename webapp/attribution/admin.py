"""Admin toggle of the attribution tab per project and per tier (UC-ATT-06)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from dra.attribution import visibility
from webapp.authz import platform_admin_required
from webapp.database import commit, db_session

bp = Blueprint("attribution_admin", __name__, url_prefix="/admin/attribution")


def _flag() -> bool:
    value = request.form.get("visible", "")
    if value not in {"on", "off"}:
        abort(400, description="Send visible=on or visible=off.")
    return value == "on"


@bp.get("")
@platform_admin_required
def index():
    projects, tiers = visibility.overview(db_session())
    return render_template("attribution/admin.html", projects=projects, tiers=tiers)


@bp.post("/projects/<int:project_id>")
@platform_admin_required
def project_toggle(project_id: int):
    visible = _flag()
    try:
        visibility.set_project_visibility(db_session(), project_id, visible)
        commit()
    except LookupError:
        abort(404)
    flash(
        f"Attribution tab {'shown' if visible else 'hidden'} for project #{project_id}.", "success"
    )
    return redirect(url_for("attribution_admin.index"))


@bp.post("/tiers/<int:tier_id>")
@platform_admin_required
def tier_toggle(tier_id: int):
    enabled = _flag()
    try:
        visibility.set_tier_visibility(db_session(), tier_id, enabled)
        commit()
    except LookupError:
        abort(404)
    flash(f"Attribution {'enabled' if enabled else 'disabled'} for tier #{tier_id}.", "success")
    return redirect(url_for("attribution_admin.index"))
