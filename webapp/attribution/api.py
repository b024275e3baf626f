"""The attribution JSON APIs.

The public tracking API (UC-ATT-01): ``POST /api/track`` and ``/api/track/batch``.
Authenticated by a project's write key (``Authorization: Bearer <key>`` or
``X-Write-Key``), not by a session, so CSRF does not apply. Browsers may call it from
the origins the key allows (an empty list allows any origin).

The reports API (UC-ATT-02/03) under ``/api/v1/projects/<id>/attribution``, with an API
token (``Authorization: Bearer <token>``) or the session cookie and the page's CSRF
token; refusals are problem details (RFC 9457, webapp/errors.py):

- ``GET /reports``: 200 ``{reports}``, newest first (any member);
- ``POST /reports`` with the report form's fields as a JSON object: ``model``,
  ``start_date``, ``end_date``, optional ``name``, ``lookback_days`` (1 to 365, default
  30) and ``conversion_types`` (event types, default ``["conversion", "purchase"]``):
  201 ``{report}`` queued; 400 naming the field (nothing is recorded); owners, admins
  and editors, 30 per 15 minutes;
- ``GET /reports/<report_id>``: 200 ``{report}`` with its status, options and result.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for
from flask_login import current_user

from dra.attribution import reports
from dra.attribution.options import ReportOptions
from dra.attribution.tracking import TrackingError, track
from dra.models import AttributionReport
from dra.permissions import Permission
from webapp.attribution.views import REPORT_RATE, per_user, visible_only
from webapp.authz import ProjectAccess, project_scoped, requires
from webapp.database import db_session, get_database
from webapp.extensions import csrf, limiter

bp = Blueprint("tracking", __name__, url_prefix="/api/track")
reports_bp = project_scoped(
    Blueprint(
        "attribution_api", __name__, url_prefix="/api/v1/projects/<int:project_id>/attribution"
    )
)

TRACKING_RATE = "6000 per minute"
CORS_HEADERS = "Authorization, X-Write-Key, Content-Type"


def _secret() -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None
    return request.headers.get("X-Write-Key", "").strip() or None


def _rate_key() -> str:
    """Rate limits count per write key (per address when none is sent)."""
    secret = _secret()
    return f"wk:{secret[:24]}" if secret else f"ip:{request.remote_addr}"


def _cors(response: Response, origin: str | None) -> Response:
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    return response


def _handle(batch: bool):
    origin = request.headers.get("Origin")
    payload = request.get_json(silent=True)
    if payload is None:
        payload = "invalid"
    session = get_database().AppSession()
    try:
        key, result = track(session, _secret(), payload, origin=origin, batch=batch)
        session.commit()
    except TrackingError as exc:
        session.rollback()
        if payload == "invalid" and exc.status == 400:
            exc = TrackingError("Send the event as a JSON object (Content-Type: application/json).")
        body = exc.as_dict() | {"fields": list(exc.fields)}
        # The allow-list refused the origin: no CORS header, the browser blocks the answer.
        return _cors(jsonify(body), None if exc.status == 403 else origin), exc.status
    finally:
        session.close()
    if batch:
        body = {
            "status": "ok",
            "received": result.received,
            "stored": result.stored,
            "duplicates": result.duplicates,
        }
        return _cors(jsonify(body), origin), 201
    duplicate = result.stored == 0
    body = {"status": "duplicate" if duplicate else "created", "projectId": key.project_id}
    return _cors(jsonify(body), origin), 200 if duplicate else 201


def _preflight():
    """CORS preflight carries no key: allow the request; the key's list decides on POST."""
    response = Response(status=204)
    origin = request.headers.get("Origin")
    if origin:
        response.headers.update(
            {
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": "POST, OPTIONS",
                "Access-Control-Allow-Headers": CORS_HEADERS,
                "Access-Control-Max-Age": "600",
                "Vary": "Origin",
            }
        )
    return response


def _tracking_route(rule: str, name: str, *, batch: bool):
    """POST (one event, or a batch) and its CORS preflight, limited per write key."""

    def view():
        if request.method == "OPTIONS":
            return _preflight()
        return _handle(batch=batch)

    view.__name__ = view.__qualname__ = name  # the endpoint, and CSRF's exemption key
    limited = limiter.limit(
        TRACKING_RATE,
        key_func=_rate_key,
        override_defaults=True,
        exempt_when=lambda: request.method == "OPTIONS",
    )(csrf.exempt(view))
    return bp.route(rule, methods=["POST", "OPTIONS"])(limited)


track_one = _tracking_route("", "track_one", batch=False)
track_batch = _tracking_route("/batch", "track_batch", batch=True)


# ------------------------------------------------------------------------ reports API
def _report(row: AttributionReport, *, with_result: bool) -> dict[str, Any]:
    status, error = reports.effective_status(db_session(), row)
    body: dict[str, Any] = {
        "id": row.id,
        "name": row.name,
        "model": row.model,
        "start_date": row.start_date.isoformat(),
        "end_date": row.end_date.isoformat(),
        **ReportOptions.of(row).as_dict(),
        "status": status,
        "error": error,
        "created_at": row.created_at.isoformat(),
        "completed_at": row.completed_at.isoformat() if row.completed_at else None,
        "url": url_for("attribution_api.report", project_id=row.project_id, report_id=row.id),
    }
    if with_result:
        body["result"] = row.result if status == "succeeded" else None
    return body


@reports_bp.get("/reports")
@requires(Permission.ATTRIBUTION_VIEW)
@visible_only
def report_list(project_id: int, access: ProjectAccess):
    rows = reports.list_reports(db_session(), project_id)
    return jsonify(reports=[_report(r, with_result=False) for r in rows])


@reports_bp.post("/reports")
@limiter.limit(REPORT_RATE, key_func=per_user)
@requires(Permission.ATTRIBUTION_ANALYZE)
@visible_only
def report_create(project_id: int, access: ProjectAccess):
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise reports.ReportError(
            'Send the report as a JSON object, e.g. {"model": "linear", "start_date":'
            ' "2026-10-01", "end_date": "2026-10-31", "lookback_days": 30}.',
            field="body",
        )
    for name in ("name", "model", "start_date", "end_date"):
        if body.get(name) is not None and not isinstance(body[name], str):
            raise reports.ReportError(f"Send {name} as text.", field=name)
    req = reports.parse_request(body)
    row = reports.request_report(db_session(), project_id, current_user.id, req)
    location = url_for("attribution_api.report", project_id=project_id, report_id=row.id)
    return jsonify(report=_report(row, with_result=True)), 201, {"Location": location}


@reports_bp.get("/reports/<int:report_id>")
@requires(Permission.ATTRIBUTION_VIEW)
@visible_only
def report(project_id: int, report_id: int, access: ProjectAccess):
    row = reports.get_report(db_session(), project_id, report_id)
    return jsonify(report=_report(row, with_result=True))
