"""The REST API under ``/api/v1``: its conventions in one place.

Library: spectree (``SpecTree("flask")``) declares each operation's query, JSON body,
form and responses as pydantic models on plain Flask views; the same models validate the
request, check the answer and make the OpenAPI 3.1 document (``/api/v1/openapi.json``,
``dra api docs``). The docs page (``/api/docs``) is Swagger UI from the
``flask-swagger-ui`` package's files, served by this app (no CDN), started by
``static/js/api_docs.js`` (the CSP runs no inline script).

Conventions (every area follows them; ``operation`` applies most of them):

- **Who**: an API token (``Authorization: Bearer dra_...``, no CSRF token), or the
  session cookie with ``X-CSRFToken`` for the app's own scripts (webapp/auth). Every
  operation names what it requires: a project ``Permission`` (checked by
  ``webapp.authz.requires``, the pages' check: 404 for a project the user is not a
  member of, 403 for a role that may not) or ``USER`` (any signed-in user). Each route
  has its line in tests/integration/test_authorization_matrix.py.
- **JSON only**: bodies are ``application/json`` (415 otherwise), except file uploads
  (``multipart/form-data``). Answers are JSON, except the CSV and dbt exports.
- **Errors**: RFC 9457 problem details (webapp/errors.py ``problem``), from a core
  ``DraError`` or from validation: 422 lists every invalid field (``errors[]`` with
  ``field``, ``detail`` and a JSON ``pointer``). Another project's object is a 404.
- **Lists**: ``?limit=`` (1-200, default 50) and ``?page=`` (from 1), in a stated order,
  answered as ``{items, total, page, limit}`` (``paged``).
- **Long work** (ingestion, builds, quality runs): 202 with the pipeline request and
  ``Location: /api/v1/projects/<id>/requests/<request id>`` to poll (``accepted``).
- **Rate limits**: those of the matching pages (``rate=`` on ``operation``), per user.

Adding an endpoint (every /api/v1 area follows these steps: projects, sources, models,
dashboards, quality here; attribution, AI, insights and admin in their own packages):

1. Declare its bodies in the area's module as pydantic models (``class XIn(BaseModel)``,
   ``class XOut(BaseModel)``); reuse ``Page``/``PageQuery``/``RequestOut`` from here.
2. Make a blueprint with ``api_blueprint("area", "/projects/<int:project_id>/area")``
   (project routes get ``project_scoped``), add it to ``AREAS`` below.
3. Write the view as ``@bp.get(...)`` + ``@operation(Permission.X, resp={200: XOut},
   json=XIn, query=...)``; read the body from ``request.context.json``; call the same
   core function as the page; return ``out(XOut, obj)`` (or ``paged``/``accepted``). A
   list is ``@listing(Permission.X, XOut)``, its view returning the items in order.
   A refusal is a core ``DraError``: it becomes problem details by itself.
4. Add the route's line to the authorization matrix; the schemathesis test
   (tests/integration/test_api_schema.py) then fuzzes it with no more work.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import wraps
from typing import Annotated, Any, Generic, TypeVar, get_args

from flask import Blueprint, Flask, Response, current_app, jsonify, request, url_for
from flask_login import login_required
from pydantic import BaseModel, ConfigDict, Field
from spectree import Response as Responses
from spectree import SecurityScheme, SecuritySchemeData, SpecTree

from dra.errors import DraError, Invalid
from dra.models import PipelineRequest
from dra.permissions import Permission
from webapp.authz import platform_admin_required, project_scoped, requires
from webapp.errors import PROBLEM_JSON
from webapp.extensions import limiter

PREFIX = "/api/v1"
USER = "user"
PLATFORM_ADMIN = "platform:admin"
DB_ADMIN = "platform:db_admin"
"""Platform admins and users granted database-admin access (the database pages' rule)."""
T = TypeVar("T")


# ----------------------------------------------------------------------- shared models
class Model(BaseModel):
    """Base of the API's bodies: read from objects' attributes, unknown input refused."""

    model_config = ConfigDict(from_attributes=True)


class Strict(Model):
    """A request body: an unknown key is an error (422 naming it), not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class ProblemError(Model):
    field: str
    detail: str
    pointer: str


class Problem(Model):
    """RFC 9457 problem details: every 4xx answer."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    field: str | None = None
    errors: list[ProblemError] | None = None


MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID, description="an id")]
"""An object's id in a body: a whole number PostgreSQL's ``bigint`` can hold."""


class PageQuery(Strict):
    limit: int = Field(50, ge=1, le=200, description="items per page")
    page: int = Field(1, ge=1, description="page number, from 1")


class Page(Model, Generic[T]):
    items: list[T]
    total: int = Field(description="items in every page")
    page: int
    limit: int


class RequestOut(Model):
    """A pipeline request (ingestion, build, quality run...): poll its ``url``."""

    id: int
    kind: str
    status: str = Field(description="queued, running, succeeded or failed")
    progress: int
    step: str | None = Field(None, description="what its run is doing, while it runs")
    error: str | None
    result: dict[str, Any] | None
    target_id: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    url: str


class Accepted(Model):
    """202: the work is queued; ``Location`` is its request."""

    request: RequestOut


class Deleted(Model):
    deleted: bool = True
    id: int


# ------------------------------------------------------------------------------ spectree
def _component_name(model: type) -> str:
    """Component names as OpenAPI allows them: ``Page[SourceOut]`` -> ``Page_SourceOut_``."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", model.__name__)


def _refusal(status: int) -> Callable:
    """spectree's hook before the view: a validation error becomes one DraError (422, or
    ``status``) naming every invalid field, each message starting with the field's name."""

    def hook(_req, _resp, error, _instance, _adapter) -> None:
        if error is None:
            return
        errors: dict[str, str] = {}
        for item in error.errors():
            loc = [str(p) for p in item.get("loc", ()) if p != "__root__"]
            name = ".".join(loc) or "body"
            errors.setdefault(name, f"{name}: {item.get('msg', 'Invalid value.')}")
        message = (
            next(iter(errors.values()))
            if len(errors) == 1
            else "Some fields are invalid: " + ", ".join(errors) + "."
        )
        raise Invalid(message, errors=errors, status=status)

    return hook


spec = SpecTree(
    "flask",
    mode="strict",
    title="DRA platform API",
    version="1",
    description=(
        "Everything a project member does in the web app. Sign in with an API token "
        "(`Authorization: Bearer dra_...`, made at /account/tokens). Errors are RFC 9457 "
        "problem details."
    ),
    path="api/docs",
    naming_strategy=_component_name,
    nested_naming_strategy=lambda _parent, child: child,
    validation_error_status=422,
    before=_refusal(422),
    security_schemes=[
        SecurityScheme(
            name="token",
            data=SecuritySchemeData(type="http", scheme="bearer", description="an API token"),
        ),
        SecurityScheme(
            name="session",
            data=SecuritySchemeData(
                type="apiKey",
                field_in="cookie",
                name="session",
                description="the app's session cookie, with the X-CSRFToken header",
            ),
        ),
    ],
    security=[{"token": []}, {"session": []}],
)

ERRORS = (400, 401, 403, 404, 409, 413, 415, 422, 429)
_COMPONENTS: dict[str, type] = {}


def _register(model: Any) -> None:
    """One component name per model: a second model of the same name would silently take
    the first one's place in the document (the answer then checked against the wrong
    schema), so it stops the app at import instead."""
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        for arg in get_args(model):
            _register(arg)
        return
    name = _component_name(model)
    known = _COMPONENTS.setdefault(name, model)
    if known is model:
        for field in model.model_fields.values():
            _register(field.annotation)
        return
    if f"{known.__module__}.{known.__qualname__}" != f"{model.__module__}.{model.__qualname__}":
        raise TypeError(f"two API models are named {name}: {known} and {model}")


def _text_fault(value: Any, path: str) -> str | None:
    """The first field (``a.0.b``) of a JSON value whose text PostgreSQL cannot store (a NUL
    character, an unpaired surrogate), else None."""
    if isinstance(value, str):
        bad = "\x00" in value or not value.isascii() and _unencodable(value)
        return path or "body" if bad else None
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        found = _text_fault(key, path) if isinstance(key, str) else None
        found = found or _text_fault(item, f"{path}.{key}" if path else str(key))
        if found:
            return found
    return None


def _bad_text(with_form: bool, with_json: bool) -> str | None:
    """The first query parameter, form field or JSON field (``a.0.b``) of the request whose
    text PostgreSQL cannot store, else None."""
    fields = list(request.args.lists()) + (list(request.form.lists()) if with_form else [])
    found = next((name for name, values in fields if _text_fault([name, *values], "")), None)
    return found or (_text_fault(request.get_json(silent=True), "") if with_json else None)


def _unencodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def operation(
    access: Permission | str,
    *,
    resp: dict[int, type | None],
    query: type[BaseModel] | None = None,
    json: type[BaseModel] | None = None,
    form: type[BaseModel] | None = None,
    rate: str | None = None,
    tags: Sequence[str] = (),
    invalid_status: int | None = None,
    guard: Callable[[Callable], Callable] | None = None,
) -> Callable:
    """The decorator of every API view: authorization (the pages' check, then ``guard``
    such as a hidden tab's 404), rate limit, JSON-only body, validation of query and
    body, the declared answers. ``invalid_status``: when given, the status of every refusal
    of the body or query (the areas that answered 400 or 422 before this module keep it);
    otherwise 415 for a body that is not JSON, 400 for one that is not an object, 422 for
    invalid fields."""
    for model in (query, json, form, *resp.values()):
        if model is not None:
            _register(model)
    declared = {f"HTTP_{code}": model for code, model in resp.items()}
    declared.update({f"HTTP_{code}": Problem for code in ERRORS if code not in resp})
    check = spec.validate(
        query=query,
        json=json,
        form=form,
        resp=Responses(**declared),
        tags=list(tags),
        before=_refusal(invalid_status or 422),
    )

    def decorator(view: Callable) -> Callable:
        validated = check(view)

        @wraps(view)
        def json_only(*args, **kwargs):
            if json is not None and not request.is_json:
                raise DraError(
                    "Send a JSON body (Content-Type: application/json).",
                    status=invalid_status or 415,
                    field="body",
                )
            if json is not None and not isinstance(request.get_json(silent=True), dict):
                raise DraError(
                    "Send the body as one JSON object.",
                    status=invalid_status or 400,
                    field="body",
                )
            if form is not None and request.mimetype != "multipart/form-data":
                raise DraError("Send the file as multipart/form-data.", status=415, field="file")
            bad = _bad_text(form is not None, json is not None)
            if bad:
                raise Invalid(
                    f"{bad}: the text has a NUL character or an unpaired surrogate.",
                    field=bad,
                    status=invalid_status or 422,
                )
            return validated(*args, **kwargs)

        json_only.__wrapped__ = validated  # spectree finds its metadata through this
        inner = guard(json_only) if guard else json_only
        if access == PLATFORM_ADMIN:
            guarded = platform_admin_required(inner)
        elif access == DB_ADMIN:
            from webapp.dbadmin.access import db_admin_required

            guarded = db_admin_required(inner)
        elif access == USER:
            guarded = login_required(inner)
            guarded.required_permission = USER
        else:
            guarded = requires(access)(inner)
        if rate:
            from webapp.projects.views import _per_user

            guarded = limiter.limit(rate, key_func=_per_user)(guarded)
        return guarded

    return decorator


def listing(access: Permission | str, item: type[BaseModel], **kwargs: Any) -> Callable:
    """The decorator of a list operation (``operation`` with ``?limit=&page=``): the view
    returns every item in its stated order, answered one page at a time as ``Page[item]``."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def one_page(*args, **kw):
            return paged(item, view(*args, **kw), request.context.query)

        return operation(access, query=PageQuery, resp={200: Page[item]}, **kwargs)(one_page)

    return decorator


def api_blueprint(name: str, url_prefix: str = "", *, endpoint: str | None = None) -> Blueprint:
    """A blueprint of the API (endpoint names ``api_<name>.<view>``, or ``<endpoint>.<view>``
    for the areas named before this module); under ``/projects/<int:project_id>`` it is
    project-scoped as the pages are."""
    bp = Blueprint(endpoint or f"api_{name}", __name__, url_prefix=PREFIX + url_prefix)
    return project_scoped(bp) if "<int:project_id>" in url_prefix else bp


# ---------------------------------------------------------------------------- answers
def out(model: type[BaseModel], obj: Any, status: int = 200, headers: dict | None = None):
    """``obj`` (an object or a dict) as ``model``'s JSON."""
    body = model.model_validate(obj).model_dump(mode="json")
    return jsonify(body), status, headers or {}


def paged(model: type[BaseModel], items: Iterable[Any], query: PageQuery):
    """One page of ``items`` (already in their stated order) as ``Page[model]``."""
    rows = list(items)
    start = (query.page - 1) * query.limit
    body = {
        "items": [
            model.model_validate(r).model_dump(mode="json")
            for r in rows[start : start + query.limit]
        ],
        "total": len(rows),
        "page": query.page,
        "limit": query.limit,
    }
    return jsonify(body)


def page_of(model: type[BaseModel], items: Iterable[Any], *, total: int, page: int, limit: int):
    """A page the core already cut (in SQL) as ``Page[model]``."""
    body = [model.model_validate(r).model_dump(mode="json") for r in items]
    return jsonify(items=body, total=total, page=page, limit=limit)


def request_url(req: PipelineRequest) -> str:
    return url_for("api_requests.get", project_id=req.project_id, request_id=req.id)


def request_body(req: PipelineRequest) -> dict[str, Any]:
    return RequestOut.model_validate(
        {
            **{k: getattr(req, k) for k in RequestOut.model_fields if k not in ("url", "step")},
            "step": req.step,
            "url": request_url(req),
        }
    ).model_dump(mode="json")


def accepted(req: PipelineRequest, extra: dict[str, Any] | None = None):
    """202: the work is queued; ``Location`` is the request to poll."""
    body = {"request": request_body(req), **(extra or {})}
    return jsonify(body), 202, {"Location": request_url(req)}


# ------------------------------------------------------------------------ the document
def document(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the app's API (made once per app)."""
    cached = app.extensions.get("dra_openapi")
    if cached is not None:
        return cached
    # spectree lifts the nested models' $defs out of its registry while it generates
    # (in place): generate from a copy, or another app's document (a second app in
    # one process) would lack every nested model
    models = spec.models
    spec.models = copy.deepcopy(models)
    try:
        with app.app_context():
            doc = spec._generate_spec()  # spectree caches per instance; we cache per app
    finally:
        spec.models = models
    doc["paths"] = {p: ops for p, ops in doc["paths"].items() if p.startswith(PREFIX + "/")}
    doc["servers"] = [{"url": "/"}]
    for ops in doc["paths"].values():
        for op in ops.values():
            for code, answer in op.get("responses", {}).items():
                content = answer.get("content", {})
                if code.isdigit() and int(code) >= 400 and "application/json" in content:
                    answer["content"] = {PROBLEM_JSON: content["application/json"]}
    app.extensions["dra_openapi"] = doc
    return doc


docs_bp = Blueprint("api_docs", __name__)


@docs_bp.get(PREFIX + "/openapi.json")
def openapi_json():
    """The OpenAPI document (public: it describes the API, not anyone's data)."""
    return current_app.json.response(document(current_app._get_current_object()))


@docs_bp.get("/api/docs")
def docs_page():
    from flask import render_template

    return render_template("api/docs.html", spec_url=url_for("api_docs.openapi_json"))


@docs_bp.get("/api/docs/assets/<path:name>")
def docs_asset(name: str) -> Response:
    """Swagger UI's files, from the flask-swagger-ui package (nothing from outside)."""
    from pathlib import Path

    import flask_swagger_ui
    from flask import send_from_directory

    return send_from_directory(Path(flask_swagger_ui.__file__).parent / "dist", name)


def areas() -> list[Blueprint]:
    from webapp.api import (
        account,
        advertising,
        dashboards,
        models,
        projects,
        quality,
        requests,
        sources,
    )
    from webapp.dbadmin import api as backups

    areas = (projects, requests, sources, advertising, models, dashboards, quality, account)
    return [m.bp for m in (*areas, backups)]


def init_app(app: Flask) -> None:
    """Register the API's areas and its document (after the other blueprints)."""
    for bp in areas():
        app.register_blueprint(bp)
    app.register_blueprint(docs_bp)


def write_document(output: str | None) -> str:
    """The OpenAPI document as JSON text, also written to ``output`` when given (``dra api
    docs``). Builds the app without reaching the database: none is needed to describe it."""
    import json
    import os
    from pathlib import Path

    from dra.settings import load_settings
    from webapp.app import create_app

    env = {"DRA_DATABASE_URL": "postgresql://describe@localhost/unused", **os.environ}
    text = json.dumps(document(create_app(load_settings(env))), indent=2, sort_keys=True)
    if output:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(text + "\n", encoding="utf-8")
    return text
