"""Error pages (HTML for browsers, JSON for API clients)."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

TITLES = {
    400: "Bad request",
    401: "Sign-in needed",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    422: "Cannot process",
    429: "Too many requests",
    500: "Something went wrong",
}


def wants_json() -> bool:
    if request.path.startswith("/api/") or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    accepted = request.accept_mimetypes
    return best == "application/json" and accepted[best] > accepted["text/html"]


def _render(code: int, message: str, field: str | None = None):
    if wants_json():
        body = {"error": TITLES.get(code, "Error"), "message": message, "status": code}
        if field:
            body["field"] = field
        return jsonify(body), code
    return render_template(
        "errors/error.html", code=code, title=TITLES.get(code, "Error"), message=message
    ), code


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        response = _render(exc.code or 500, exc.description or "", getattr(exc, "field", None))
        if exc.code == 429 and exc.response is not None:
            body, code = response
            return (
                body,
                code,
                {
                    k: v
                    for k, v in exc.response.headers.items()
                    if k.lower().startswith(("retry-after", "x-ratelimit"))
                },
            )
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("unhandled error", exc_info=exc)
        return _render(500, InternalServerError.description)
