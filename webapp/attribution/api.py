"""The public tracking API (UC-ATT-01): ``POST /api/track`` and ``/api/track/batch``.

Authenticated by a project's write key (``Authorization: Bearer <key>`` or
``X-Write-Key``), not by a session, so CSRF does not apply. Browsers may call it from
the origins the key allows (an empty list allows any origin).
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from dra.attribution.tracking import TrackingError, track
from webapp.database import get_database
from webapp.extensions import csrf, limiter

bp = Blueprint("tracking", __name__, url_prefix="/api/track")

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
