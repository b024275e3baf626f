"""Error pages (HTML for browsers, JSON for API clients) and the one DraError handler.

A view raises (or lets through) a ``dra.errors.DraError``; the handler rolls back the
request's transaction and answers as the request asks: JSON for API clients, else what
the view named with ``on_error`` (its form page re-rendered with the message beside the
field and the input kept, or the list again with the message flashed), else the error
page. Views whose scripts always want JSON say so with ``json_errors``.

Under ``/api/v1/`` every error (a DraError, a refused sign-in, a 403/404/429...) is an RFC
9457 problem details answer (``application/problem+json``: ``type``, ``title``,
``status``, ``detail``, and ``field`` / ``errors`` for invalid fields), built by
``problem``; other paths keep their JSON keys (``error``, ``message``...).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Flask, flash, g, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from dra.errors import TITLES, DraError

ErrorAnswer = Callable[[DraError], object]


def on_error(answer: ErrorAnswer) -> None:
    """Name how this request answers a DraError for a browser (the handler calls it with
    the error after rolling back): typically the form page with ``error=exc`` and the
    submitted input. Its status defaults to the error's."""
    g.dra_on_error = answer


def flashed(page: Callable[[], object]) -> ErrorAnswer:
    """An ``on_error`` answer for list pages: the message flashed, then ``page()`` again
    (its status defaults to the error's)."""

    def answer(exc: DraError):
        flash(exc.message, "error")
        return page()

    return answer


API_V1 = "/api/v1/"
PROBLEM_JSON = "application/problem+json"


def problem(status: int, detail: str, *, errors: dict[str, str] | None = None):
    """An RFC 9457 problem details answer: ``field`` is the first invalid field, ``errors``
    one entry per invalid field (its name, message and JSON pointer into the body)."""
    body: dict = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["field"] = next(iter(errors))
        body["errors"] = [
            {"field": name, "detail": message, "pointer": f"#/{name}"}
            for name, message in errors.items()
        ]
    response = jsonify(body)
    response.mimetype = PROBLEM_JSON
    return response, status


def json_answer(exc: DraError):
    """The JSON answer of a DraError (what API clients get): problem details under
    ``/api/v1/``, the historical keys elsewhere."""
    if request.path.startswith(API_V1):
        return problem(exc.status, exc.message, errors=exc.errors if exc.fields else None)
    return jsonify(exc.as_dict()), exc.status


def json_errors(view: Callable) -> Callable:
    """Decorator for views that always answer JSON (fetched by the pages' scripts): their
    DraErrors answer JSON whatever the request's Accept header says."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        on_error(json_answer)
        return view(*args, **kwargs)

    return wrapped


def wants_json() -> bool:
    if request.path.startswith("/api/") or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    accepted = request.accept_mimetypes
    return best == "application/json" and accepted[best] > accepted["text/html"]


def _render(code: int, message: str, field: str | None = None):
    if request.path.startswith(API_V1):
        return problem(code, message, errors={field: message} if field else None)
    if wants_json():
        body = {"error": TITLES.get(code, "Error"), "message": message, "status": code}
        if field:
            body["field"] = field
        return jsonify(body), code
    return render_template(
        "errors/error.html", code=code, title=TITLES.get(code, "Error"), message=message
    ), code


def error_page(exc: DraError):
    """The error page (or JSON) of a DraError, for an ``on_error`` answer that does not
    re-render a form for this kind of error."""
    return _render(exc.status, exc.message, exc.field)


def _domain_error(exc: DraError):
    if g.get("_dra_session") is not None:
        from webapp.database import rollback

        rollback()
    if wants_json():
        return json_answer(exc)
    answer = g.pop("dra_on_error", None)
    if answer is None:
        return error_page(exc)
    response = make_response(answer(exc))
    if response.status_code == 200:
        response.status_code = exc.status
    return response


def register(app: Flask) -> None:
    app.register_error_handler(DraError, _domain_error)

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
