"""Pipeline requests (a queued ingestion, build, quality run...) under
``/api/v1/projects/<id>/requests``: what a 202 answer's ``Location`` points at.

Any member of the project polls a request of that project until its ``status`` is
``succeeded`` or ``failed``; a request of another project is a 404.
"""

from __future__ import annotations

from flask import jsonify

from dra.errors import NotFound, project_row
from dra.models import PipelineRequest
from dra.permissions import Permission
from webapp.api import RequestOut, api_blueprint, operation, request_body
from webapp.database import db_session

bp = api_blueprint("requests", "/projects/<int:project_id>/requests")


@bp.get("/<int:request_id>")
@operation(Permission.PROJECT_VIEW, resp={200: RequestOut}, tags=["pipeline requests"])
def get(project_id: int, request_id: int, access):
    """One request with its status, progress, step, error and result."""
    missing = NotFound("No such pipeline request in this project.", field="request_id")
    req = project_row(db_session(), PipelineRequest, project_id, request_id, missing)
    return jsonify(request_body(req))
