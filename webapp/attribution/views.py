"""Attribution pages of a project: reports, funnel, journeys, write keys (UC-ATT-02..06).

Views stay thin: parse, authorize (webapp.authz), call dra.attribution, render.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import wraps

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import text

from dra.attribution import analysis, charts, keys, reports
from dra.attribution.options import EVENT_TYPES, ReportOptions
from dra.attribution.reference import MODEL_ASSUMPTIONS, MODEL_LABELS, MODELS, shown_models
from dra.attribution.visibility import attribution_visible
from dra.permissions import Permission
from dra.pipeline_requests import current_step, latest_request
from webapp.attribution.forms import FunnelForm, KeyForm, ReportForm
from webapp.authz import ProjectAccess, project_scoped, requires
from webapp.database import db_session, get_database
from webapp.errors import error_page, on_error
from webapp.extensions import limiter

bp = project_scoped(
    Blueprint("attribution", __name__, url_prefix="/projects/<int:project_id>/attribution")
)

REPORT_RATE = "30 per 15 minutes"
P = Permission


def per_user() -> str:
    """Rate limits count per signed-in user (per address otherwise)."""
    return (
        f"user:{current_user.id}" if current_user.is_authenticated else f"ip:{request.remote_addr}"
    )


def tab_visible(project_id: int) -> bool:
    """Whether the project's attribution tab shows (project flag and owner's tier)."""
    with get_database().system_session() as s:
        return attribution_visible(s, project_id)


def visible_only(view):
    """After authorization: a hidden attribution tab answers 404 for every page."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not tab_visible(kwargs["project_id"]):
            abort(404, description="Attribution is turned off for this project.")
        return view(*args, **kwargs)

    return wrapped


def _timeout() -> None:
    ms = int(current_app.config["DRA_SETTINGS"].statement_timeout_ms)
    db_session().execute(text(f"SET LOCAL statement_timeout = {ms}"))


def _default_range() -> tuple[date, date]:
    today = datetime.now(UTC).date()
    return today - timedelta(days=89), today


def _range_from(args) -> tuple[date, date]:
    start, end = _default_range()
    form = {
        "model": "linear",
        "start_date": args.get("start_date") or start.isoformat(),
        "end_date": args.get("end_date") or end.isoformat(),
    }
    parsed = reports.parse_request(form)
    return parsed.start, parsed.end


def _index(project_id: int, *, error=None, form=None):
    start, end = _default_range()
    defaults = ReportOptions()
    return render_template(
        "attribution/index.html",
        reports=reports.list_reports(db_session(), project_id),
        models=MODELS,
        labels=MODEL_LABELS,
        event_types=EVENT_TYPES,
        error=error,
        form=form
        or {
            "model": "linear",
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "name": "",
            "lookback_days": str(defaults.lookback_days),
            "conversion_types": list(defaults.conversion_types),
        },
    )


@bp.get("")
@requires(P.ATTRIBUTION_VIEW)
@visible_only
def index(project_id: int, access: ProjectAccess):
    return _index(project_id)


@bp.post("/reports")
@limiter.limit(REPORT_RATE, key_func=per_user)
@requires(P.ATTRIBUTION_ANALYZE)
@visible_only
def generate(project_id: int, access: ProjectAccess):
    form = ReportForm().data
    on_error(lambda exc: _index(project_id, error=exc, form=form))
    req = reports.parse_request(form)
    report = reports.request_report(db_session(), project_id, current_user.id, req)
    flash("The report is being generated; this page updates when it is ready.", "success")
    return redirect(url_for("attribution.report", project_id=project_id, report_id=report.id))


@bp.get("/reports/<int:report_id>")
@requires(P.ATTRIBUTION_VIEW)
@visible_only
def report(project_id: int, report_id: int, access: ProjectAccess):
    session = db_session()
    row = reports.get_report(session, project_id, report_id)
    result = row.result or {}
    status, error = reports.effective_status(session, row)
    figures = []
    if row.status == "succeeded" and result.get("channels"):
        figures = [
            charts.channel_chart(result, "credits", row.model),
            charts.channel_chart(result, "value", row.model),
        ]
    return render_template(
        "attribution/report.html",
        report=row,
        status=status,
        error_text=error,
        result=result,
        models=shown_models(result.get("models", {})),
        labels=MODEL_LABELS,
        assumptions={**MODEL_ASSUMPTIONS, **result.get("assumptions", {})},
        figures=figures,
        step=current_step(latest_request(session, reports.REPORT_KIND, row.id)),
    )


@bp.route("/funnel", methods=["GET", "POST"])
@requires(P.ATTRIBUTION_VIEW)
@visible_only
def funnel(project_id: int, access: ProjectAccess):
    session = db_session()
    start, end = _default_range()
    form = {
        "steps": "page_view\nsignup\npurchase",
        "window_days": "30",
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
    }
    result, figure, error, status = None, None, None, 200
    if request.method == "POST":
        if not access.can(P.ATTRIBUTION_ANALYZE):
            abort(403, description="Your role in this project does not allow this.")
        form = FunnelForm().data
        try:
            steps = analysis.parse_steps(form["steps"])
            window = analysis.parse_int(
                form["window_days"], "window_days", "The conversion window", 1, 365, 30
            )
            lo, hi = _range_from(form)
            _timeout()
            result = analysis.funnel(session, project_id, steps, lo, hi, window)
            figure = charts.funnel_chart(result)
        except reports.ReportError as exc:
            error, status = exc, exc.status
    return render_template(
        "attribution/funnel.html",
        form=form,
        result=result,
        figure=figure,
        error=error,
    ), status


@bp.get("/journeys")
@requires(P.ATTRIBUTION_VIEW)
@visible_only
def journeys(project_id: int, access: ProjectAccess):
    session = db_session()
    start, end = _default_range()
    form = {
        "start_date": request.args.get("start_date") or start.isoformat(),
        "end_date": request.args.get("end_date") or end.isoformat(),
        "depth": request.args.get("depth", "4"),
        "top": request.args.get("top", "10"),
        "by": request.args.get("by", "channel"),
    }
    paths, figure, error, status = [], None, None, 200
    try:
        lo, hi = _range_from(form)
        depth = analysis.parse_int(form["depth"], "depth", "The depth", 1, analysis.MAX_DEPTH, 4)
        top = analysis.parse_int(form["top"], "top", "The number of paths", 1, analysis.MAX_TOP, 10)
        _timeout()
        paths = analysis.journeys(
            session, project_id, lo, hi, depth=depth, top=top, dimension=form["by"]
        )
        figure = charts.sankey_chart(paths) if paths else None
    except reports.ReportError as exc:
        error, status = exc, exc.status
    return render_template(
        "attribution/journeys.html",
        form=form,
        paths=paths,
        figure=figure,
        error=error,
    ), status


def _keys_page(project_id: int, *, error=None, new_secret=None, form=None):
    return render_template(
        "attribution/keys.html",
        keys=keys.list_keys(db_session(), project_id),
        error=error,
        new_secret=new_secret,
        form=form or {"name": "", "allowed_origins": ""},
        track_url=url_for("tracking.track_one", _external=True),
    )


@bp.get("/keys")
@requires(P.ATTRIBUTION_MANAGE)
@visible_only
def keys_list(project_id: int, access: ProjectAccess):
    return _keys_page(project_id)


@bp.post("/keys")
@requires(P.ATTRIBUTION_MANAGE)
@visible_only
def key_create(project_id: int, access: ProjectAccess):
    form = KeyForm().data
    on_error(lambda exc: _keys_page(project_id, error=exc, form=form))
    new = keys.create_key(
        db_session(),
        project_id,
        form["name"],
        created_by=current_user.id,
        allowed_origins=form["allowed_origins"],
    )
    # Shown once, on this response only: nothing stores the secret.
    return _keys_page(project_id, new_secret=new.secret), 201


@bp.post("/keys/<int:key_id>/revoke")
@requires(P.ATTRIBUTION_MANAGE)
@visible_only
def key_revoke(project_id: int, key_id: int, access: ProjectAccess):
    key = keys.revoke_key(db_session(), project_id, key_id)
    flash(f"The key “{key.name}” was revoked; events sent with it are refused.", "success")
    return redirect(url_for("attribution.keys_list", project_id=project_id))


@bp.post("/keys/<int:key_id>/origins")
@requires(P.ATTRIBUTION_MANAGE)
@visible_only
def key_origins(project_id: int, key_id: int, access: ProjectAccess):
    on_error(
        lambda exc: error_page(exc) if exc.status == 404 else _keys_page(project_id, error=exc)
    )
    key = keys.set_origins(db_session(), project_id, key_id, KeyForm().allowed_origins.data)
    flash(f"Allowed origins of “{key.name}” saved.", "success")
    return redirect(url_for("attribution.keys_list", project_id=project_id))


@bp.record_once
def _register_tab_guard(state) -> None:
    """The project tabs leave attribution out when it is hidden (UC-ATT-06)."""
    state.app.extensions.setdefault("dra_section_visible", {})["attribution"] = tab_visible
