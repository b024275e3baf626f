"""Quality pages of a data model. Every view authorizes through webapp.authz; the work is
in dra.quality (reports, requests, rules)."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from dra.permissions import Permission
from dra.quality import checks, service, soda
from dra.quality.reports import latest_report, score_history
from webapp.authz import ProjectAccess, project_scoped, requires
from webapp.database import app_settings, db_session
from webapp.errors import on_error

bp = project_scoped(
    Blueprint(
        "quality", __name__, url_prefix="/projects/<int:project_id>/models/<int:model_id>/quality"
    )
)


def _model(project_id: int, model_id: int):
    return service.get_model(db_session(), project_id, model_id)


def _page_again(project_id: int, model_id: int, access: ProjectAccess, form: dict | None = None):
    """An ``on_error`` answer: the quality page with the message (and the rule form kept)."""
    return lambda exc: _page(
        project_id, model_id, access, error=exc.message, form=form, status=exc.status
    )


def _back(project_id: int, model_id: int, message: str, anchor: str = ""):
    """After an action: the quality page again (at ``anchor``), with the message."""
    flash(message, "success")
    return redirect(url_for("quality.show", project_id=project_id, model_id=model_id) + anchor)


def _data_dir():
    return app_settings().data_dir


def _history_chart(rows) -> dict:
    """Plotly figure (data + layout) of the score over time, per layer."""
    traces = []
    for layer, label in (("model", "Model"), ("clean", "Cleaned layer")):
        points = [r for r in rows if r.report.get("layer", "model") == layer]
        if points:
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": label,
                    "x": [r.created_at.isoformat() for r in points],
                    "y": [float(r.score) for r in points],
                }
            )
    xaxis: dict = {"type": "date"}
    if len(rows) == 1:
        # one report: a day either side, not an axis of milliseconds around one point
        at, day = rows[0].created_at, timedelta(days=1)
        xaxis["range"] = [(at - day).isoformat(), (at + day).isoformat()]
    return {
        "data": traces,
        "layout": {
            "margin": {"l": 40, "r": 10, "t": 10, "b": 40},
            "height": 260,
            "xaxis": xaxis,
            "yaxis": {"range": [0, 100], "title": {"text": "score"}},
            "legend": {"orientation": "h"},
        },
    }


def _page(
    project_id: int,
    model_id: int,
    access: ProjectAccess,
    *,
    error: str | None = None,
    form: dict | None = None,
    status: int = 200,
):
    session = db_session()
    model = _model(project_id, model_id)
    report = latest_report(session, model_id)
    context = {
        "model": model,
        "access": access,
        "P": Permission,
        "error": error,
        "form": form or {},
        "pending": service.latest_request(session, model_id),
        "rules": service.list_rules(session, model_id),
        "describe": service.describe_rule,
        "choices": service.EDITOR_CHOICES,
        "exact_offered": report is not None and report.report.get("mode") == "sampled",
        "model_url": url_for("models.detail", project_id=project_id, model_id=model_id)
        if "models.detail" in current_app.view_functions
        else None,
    }
    if report is None:
        return render_template("quality/none.html", **context), 404 if status == 200 else status
    history = score_history(session, model_id)
    context.update(
        report=report,
        data=report.report,
        history_chart=_history_chart(history),
        soda=checks.last_soda_results(_data_dir(), project_id, model_id),
        contract_exists=soda.contract_path(_data_dir(), project_id, model_id).exists(),
        columns=[c["name"] for c in report.report.get("columns", [])],
    )
    return render_template("quality/report.html", **context), status


@bp.get("")
@requires(Permission.DATA_MODEL_VIEW)
def show(project_id: int, model_id: int, access: ProjectAccess):
    """UC-DQ-03: the latest report (404 with a prompt to run one when there is none)."""
    return _page(project_id, model_id, access)


@bp.get("/latest.json")
@requires(Permission.DATA_MODEL_VIEW)
def latest_json(project_id: int, model_id: int, access: ProjectAccess):
    _model(project_id, model_id)
    report = latest_report(db_session(), model_id)
    if report is None:
        return jsonify(
            error="No quality report found.", message="Run a quality check of this model first."
        ), 404
    return jsonify(
        id=report.id,
        score=float(report.score),
        row_count=report.row_count,
        created_at=report.created_at.isoformat(),
        report=report.report,
    )


@bp.post("/run")
@requires(Permission.DATA_MODEL_EXECUTE)
def run(project_id: int, model_id: int, access: ProjectAccess):
    """UC-DQ-01: record a request; the pipeline profiles the model and runs its checks."""
    model = _model(project_id, model_id)
    on_error(_page_again(project_id, model_id, access))
    req = service.request_report(
        db_session(), model, current_user.id, request.form.get("mode", "auto")
    )
    return _back(
        project_id,
        model_id,
        f"Quality check requested (request #{req.id}); this page shows the report when "
        "the pipeline has run.",
    )


@bp.post("/rules")
@requires(Permission.DATA_MODEL_EDIT)
def add_rule(project_id: int, model_id: int, access: ProjectAccess):
    model = _model(project_id, model_id)
    form = request.form.to_dict()
    on_error(_page_again(project_id, model_id, access, form))
    service.add_rule(db_session(), model, current_user.id, form)
    return _back(project_id, model_id, "Cleaning rule added.", "#rules")


@bp.post("/rules/<int:rule_id>/toggle")
@requires(Permission.DATA_MODEL_EDIT)
def toggle_rule(project_id: int, model_id: int, rule_id: int, access: ProjectAccess):
    model = _model(project_id, model_id)
    row = service.toggle_rule(db_session(), model, rule_id)
    message = "Rule enabled." if row.enabled else "Rule disabled."
    return _back(project_id, model_id, message, "#rules")


@bp.post("/rules/<int:rule_id>/delete")
@requires(Permission.DATA_MODEL_EDIT)
def delete_rule(project_id: int, model_id: int, rule_id: int, access: ProjectAccess):
    model = _model(project_id, model_id)
    service.delete_rule(db_session(), model, rule_id)
    return _back(project_id, model_id, "Rule deleted.", "#rules")


@bp.post("/clean")
@requires(Permission.DATA_MODEL_EDIT)
def clean(project_id: int, model_id: int, access: ProjectAccess):
    """UC-DQ-02: record a cleaning request; the pipeline builds the cleaned layer."""
    model = _model(project_id, model_id)
    on_error(_page_again(project_id, model_id, access))
    req = service.request_cleaning(db_session(), model, current_user.id)
    return _back(
        project_id,
        model_id,
        f"Cleaning requested (request #{req.id}): the cleaned layer is rebuilt and a new "
        "report generated.",
    )


@bp.get("/contract")
@requires(Permission.DATA_MODEL_VIEW)
def contract(project_id: int, model_id: int, access: ProjectAccess):
    """The model's Soda contract file as text (it is edited on the server, in the file)."""
    _model(project_id, model_id)
    path = soda.contract_path(_data_dir(), project_id, model_id)
    if not path.exists():
        abort(404, description="No Soda contract yet: run a quality check first.")
    return current_app.response_class(
        path.read_text(encoding="utf-8"), mimetype="text/plain; charset=utf-8"
    )
