"""JSON API of AI insights (UC-INS-01/02) under ``/api/v1/projects/<id>/``.

With an API token (``Authorization: Bearer <token>``) or the session cookie and the page's
CSRF token. Refusals are problem details (RFC 9457, webapp/errors.py).

- ``GET /models/<model_id>/insights`` (``?facts=1``): 200, the model's insight sets, newest
  first, each with ``stale``; with ``facts=1`` their facts (numbers, sentences, SQL), the
  dropped insights and the facts the pipeline recomputed since (``currentFacts``).
- ``POST /models/<model_id>/insights``: 201 ``{insightSet}``; 400 no data, 403 tier cap,
  429 hourly AI limit, 502 provider error.
- ``GET /dashboards/<dashboard_id>/insights`` (``?facts=1``): 200, the latest set of each
  model the dashboard's widgets read.
- ``POST /dashboards/<dashboard_id>/insights``: 201 ``{insightSets}``, one per model with
  data.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request, url_for
from flask_login import current_user

from dra.insights import service
from dra.permissions import Permission
from webapp.ai import ai_rate_limit
from webapp.authz import ProjectAccess, project_scoped, requires
from webapp.database import db_session, get_database
from webapp.insights import provider_or_none, timeout_ms

bp = project_scoped(
    Blueprint("insights_api", __name__, url_prefix="/api/v1/projects/<int:project_id>")
)


def _with_facts() -> bool:
    return request.args.get("facts", "").lower() in ("1", "true", "yes")


@bp.get("/models/<int:model_id>/insights")
@requires(Permission.DATA_MODEL_VIEW)
def list_model(project_id: int, model_id: int, access: ProjectAccess):
    """UC-INS-02: the model's insight sets, newest first."""
    found = service.list_for_model(db_session(), project_id, model_id)
    return jsonify(found.as_dict(with_facts=_with_facts()))


@bp.post("/models/<int:model_id>/insights")
@ai_rate_limit()
@requires(Permission.DATA_MODEL_EDIT)
def generate_model(project_id: int, model_id: int, access: ProjectAccess):
    """UC-INS-01: facts in SQL, then the checked narrative (or the facts offline)."""
    result = service.generate_for_model(
        db_session(),
        get_database(),
        provider_or_none(),
        user_id=current_user.id,
        project_id=project_id,
        model_id=model_id,
        timeout_ms=timeout_ms(),
    )
    location = url_for("insights_api.list_model", project_id=project_id, model_id=model_id)
    return jsonify(insightSet=result.as_dict(with_facts=True)), 201, {"Location": location}


@bp.get("/dashboards/<int:dashboard_id>/insights")
@requires(Permission.DASHBOARD_VIEW)
def list_dashboard(project_id: int, dashboard_id: int, access: ProjectAccess):
    """UC-INS-02: the latest insight set of each model the dashboard reads."""
    found = service.list_for_dashboard(db_session(), project_id, dashboard_id)
    return jsonify(found.as_dict(with_facts=_with_facts()))


@bp.post("/dashboards/<int:dashboard_id>/insights")
@ai_rate_limit()
@requires(Permission.DASHBOARD_EDIT)
def generate_dashboard(project_id: int, dashboard_id: int, access: ProjectAccess):
    """UC-INS-01 on a dashboard: one insight set per model its widgets read."""
    sets = service.generate_for_dashboard(
        db_session(),
        get_database(),
        provider_or_none(),
        user_id=current_user.id,
        project_id=project_id,
        dashboard_id=dashboard_id,
        timeout_ms=timeout_ms(),
    )
    location = url_for(
        "insights_api.list_dashboard", project_id=project_id, dashboard_id=dashboard_id
    )
    body = {"insightSets": [s.as_dict(with_facts=True) for s in sets]}
    return jsonify(body), 201, {"Location": location}
