"""JSON API of AI insights (UC-INS-01/02) under ``/api/v1/projects/<id>/`` (webapp/api
conventions: declared answers, problem details).

With an API token (``Authorization: Bearer <token>``) or the session cookie and the page's
CSRF token.

- ``GET /models/<model_id>/insights`` (``?facts=true``): 200, the model's insight sets,
  newest first, each with ``stale``; with ``facts`` their facts (numbers, sentences, SQL),
  the dropped insights and the facts the pipeline recomputed since (``currentFacts``).
- ``POST /models/<model_id>/insights``: 201 ``{insightSet}``; 400 no data, 403 tier cap,
  429 hourly AI limit, 502 provider error.
- ``GET /dashboards/<dashboard_id>/insights`` (``?facts=true``): 200, the latest set of
  each model the dashboard's widgets read.
- ``POST /dashboards/<dashboard_id>/insights``: 201 ``{insightSets}``, one per model with
  data.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from pydantic import Field

from dra.insights import service
from dra.permissions import Permission
from webapp.ai import ai_rate_limit
from webapp.api import Model, Problem, Strict, api_blueprint, operation
from webapp.authz import ProjectAccess
from webapp.database import db_session
from webapp.insights import generate

bp = api_blueprint("insights", "/projects/<int:project_id>", endpoint="insights_api")
TAGS = ["insights"]
AI_FAILURES = {502: Problem, 503: Problem}  # the provider failed, or none is configured


class FactsQuery(Strict):
    facts: bool = Field(False, description="with each set's facts (numbers, sentences, SQL)")


class InsightSetOut(Model):
    id: int
    modelId: int
    modelName: str
    modelVersion: int = Field(description="the model's version the facts were computed on")
    currentVersion: int
    stale: bool = Field(description="the model changed since")
    createdAt: str = Field(json_schema_extra={"format": "date-time"})
    createdBy: int | None
    dashboardId: int | None
    mode: str = Field(description="ai, or facts (no provider: the facts themselves)")
    aiModel: str | None
    note: str | None
    retried: bool
    insights: list[dict[str, Any]] = Field(description="title, text, factIds...")
    dropped: int = Field(description="insights dropped by the check against the facts")
    facts: dict[str, Any] | None = Field(None, description="with ?facts=true")
    droppedInsights: list[dict[str, Any]] | None = Field(None, description="with ?facts=true")


class InsightModel(Model):
    id: int
    name: str
    version: int
    rows: int | None
    builtAt: str | None = Field(json_schema_extra={"format": "date-time"})
    hasData: bool


class ModelInsightsOut(Model):
    model: InsightModel
    insightSets: list[InsightSetOut] = Field(description="newest first")
    stale: bool | None
    currentFacts: dict[str, Any] | None = Field(None, description="with ?facts=true")


class DashboardRef(Model):
    id: int
    name: str


class DashboardInsightsOut(Model):
    dashboard: DashboardRef
    models: list[ModelInsightsOut]


class CreatedSet(Model):
    insightSet: InsightSetOut


class CreatedSets(Model):
    insightSets: list[InsightSetOut]


def _with_facts() -> bool:
    return request.context.query.facts


@bp.get("/models/<int:model_id>/insights")
@operation(Permission.DATA_MODEL_VIEW, query=FactsQuery, resp={200: ModelInsightsOut}, tags=TAGS)
def list_model(project_id: int, model_id: int, access: ProjectAccess):
    """UC-INS-02: the model's insight sets, newest first."""
    found = service.list_for_model(db_session(), project_id, model_id)
    return jsonify(found.as_dict(with_facts=_with_facts()))


@bp.post("/models/<int:model_id>/insights")
@ai_rate_limit()
@operation(Permission.DATA_MODEL_EDIT, resp={201: CreatedSet, **AI_FAILURES}, tags=TAGS)
def generate_model(project_id: int, model_id: int, access: ProjectAccess):
    """UC-INS-01: facts in SQL, then the checked narrative (or the facts offline)."""
    result = generate(service.generate_for_model, project_id=project_id, model_id=model_id)
    location = url_for("insights_api.list_model", project_id=project_id, model_id=model_id)
    return jsonify(insightSet=result.as_dict(with_facts=True)), 201, {"Location": location}


@bp.get("/dashboards/<int:dashboard_id>/insights")
@operation(Permission.DASHBOARD_VIEW, query=FactsQuery, resp={200: DashboardInsightsOut}, tags=TAGS)
def list_dashboard(project_id: int, dashboard_id: int, access: ProjectAccess):
    """UC-INS-02: the latest insight set of each model the dashboard reads."""
    found = service.list_for_dashboard(db_session(), project_id, dashboard_id)
    return jsonify(found.as_dict(with_facts=_with_facts()))


@bp.post("/dashboards/<int:dashboard_id>/insights")
@ai_rate_limit()
@operation(Permission.DASHBOARD_EDIT, resp={201: CreatedSets, **AI_FAILURES}, tags=TAGS)
def generate_dashboard(project_id: int, dashboard_id: int, access: ProjectAccess):
    """UC-INS-01 on a dashboard: one insight set per model its widgets read."""
    sets = generate(
        service.generate_for_dashboard, project_id=project_id, dashboard_id=dashboard_id
    )
    location = url_for(
        "insights_api.list_dashboard", project_id=project_id, dashboard_id=dashboard_id
    )
    body = {"insightSets": [s.as_dict(with_facts=True) for s in sets]}
    return jsonify(body), 201, {"Location": location}
