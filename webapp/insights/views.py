"""Insights pages (UC-INS-01/02): the project's Insights tab (every model's latest set), a
model's Insights tab, a dashboard's insights, and the "Generate insights" forms (owners,
admins and editors; CSRF-protected POSTs that redirect back). A refused generation
re-renders the page with the message and the refusal's status (400 no data, 403 tier
cap, 502 provider error; 429 past the hourly AI limit).

The model page and the dashboard page show the tab and the insights through the template
globals ``model_insights_count`` and ``dashboard_insights``.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for

from dra.ai.provider import configuration_problem
from dra.errors import DraError
from dra.insights import service
from dra.permissions import Permission, role_allows
from webapp.ai import ai_rate_limit
from webapp.authz import ProjectAccess, project_role, project_scoped, requires
from webapp.database import app_settings, db_session
from webapp.errors import on_error
from webapp.insights import generate

bp = project_scoped(Blueprint("insights", __name__, url_prefix="/projects/<int:project_id>"))


def _offline_note() -> str | None:
    problem = configuration_problem(app_settings())
    if problem is None:
        return None
    return (
        "No AI provider is configured, so the insights are the facts the platform computed, "
        "in plain sentences. " + problem.removeprefix("The AI assistant is not configured: ")
    )


@bp.get("/insights")
@requires(Permission.DATA_MODEL_VIEW)
def index(project_id: int, access: ProjectAccess):
    """The project's Insights tab: each data model with its latest insight set."""
    return render_template(
        "insights/index.html",
        models=service.project_overview(db_session(), project_id),
        offline_note=_offline_note(),
    )


def _page(template: str, found, error: DraError | None, **context):
    """A model's or a dashboard's insights (with a refused generation's message)."""
    return render_template(
        template,
        found=found,
        offline_note=_offline_note(),
        error=error.message if error else None,
        **context,
    )


def _model_page(project_id: int, model_id: int, error: DraError | None = None):
    found = service.list_for_model(db_session(), project_id, model_id)
    return _page("insights/model.html", found, error, model=found.model)


@bp.get("/models/<int:model_id>/insights")
@requires(Permission.DATA_MODEL_VIEW)
def model(project_id: int, model_id: int, access: ProjectAccess):
    """UC-INS-02: the model's Insights tab (latest set, out-of-date mark, facts, history)."""
    return _model_page(project_id, model_id)


@bp.post("/models/<int:model_id>/insights")
@ai_rate_limit()
@requires(Permission.DATA_MODEL_EDIT)
def generate_model(project_id: int, model_id: int, access: ProjectAccess):
    """UC-INS-01 from the model's Insights tab."""
    on_error(lambda exc: _model_page(project_id, model_id, exc))
    result = generate(service.generate_for_model, project_id=project_id, model_id=model_id)
    flash(f"{len(result.insights)} insight(s) generated.", "success")
    return redirect(url_for("insights.model", project_id=project_id, model_id=model_id), 303)


def _dashboard_page(project_id: int, dashboard_id: int, error: DraError | None = None):
    found = service.list_for_dashboard(db_session(), project_id, dashboard_id)
    return _page("insights/dashboard.html", found, error, board=found.dashboard)


@bp.get("/dashboards/<int:dashboard_id>/insights")
@requires(Permission.DASHBOARD_VIEW)
def dashboard(project_id: int, dashboard_id: int, access: ProjectAccess):
    """UC-INS-02 on a dashboard: the latest set of each model its widgets read."""
    return _dashboard_page(project_id, dashboard_id)


@bp.post("/dashboards/<int:dashboard_id>/insights")
@ai_rate_limit()
@requires(Permission.DASHBOARD_EDIT)
def generate_dashboard(project_id: int, dashboard_id: int, access: ProjectAccess):
    """UC-INS-01 on a dashboard: one insight set per model its widgets read."""
    on_error(lambda exc: _dashboard_page(project_id, dashboard_id, exc))
    sets = generate(
        service.generate_for_dashboard, project_id=project_id, dashboard_id=dashboard_id
    )
    flash(f"Insights generated for {len(sets)} data model(s).", "success")
    return redirect(
        url_for("insights.dashboard", project_id=project_id, dashboard_id=dashboard_id), 303
    )


@bp.app_template_global()
def model_insights_count(project_id: int, model_id: int) -> int:
    """Insight sets of a model (the model page's Insights tab)."""
    return service.insight_counts(db_session(), [model_id]).get(model_id, 0)


@bp.app_template_global()
def dashboard_insights(project_id: int, dashboard_id: int):
    """The dashboard's latest insights (its page lists them); None for non-members."""
    if project_role(project_id) is None:
        return None
    return service.list_for_dashboard(db_session(), project_id, dashboard_id)


@bp.app_template_global()
def may_generate_insights(project_id: int, dashboard: bool = False) -> bool:
    permission = Permission.DASHBOARD_EDIT if dashboard else Permission.DATA_MODEL_EDIT
    return role_allows(project_role(project_id), permission)
