"""The attribution JSON APIs.

The public tracking API (UC-ATT-01): ``POST /api/track`` and ``/api/track/batch``.
Authenticated by a project's write key (``Authorization: Bearer <key>`` or
``X-Write-Key``), not by a session, so CSRF does not apply. Browsers may call it from
the origins the key allows (an empty list allows any origin).

The REST API of attribution (UC-ATT-02..06) under ``/api/v1/projects/<id>/attribution``
(webapp/api conventions: declared bodies, problem details, paged lists), with an API token
or the session cookie and the page's CSRF token; 404 for every route while the project's
attribution tab is hidden. A refused body or query answers **400** naming the field, as
this area did before the REST API (and as the pages do); nothing is recorded.

- ``GET /reports``: the reports, newest first, paged (``items``; ``reports``: the same
  items) (any member);
- ``POST /reports`` with the report form's fields: ``model``, ``start_date``,
  ``end_date``, optional ``name``, ``lookback_days`` (1 to 365, default 30) and
  ``conversion_types`` (event types, default ``["conversion", "purchase"]``): 201
  ``{report}`` queued; owners, admins and editors, 30 per 15 minutes;
- ``GET /reports/<report_id>``: 200 ``{report}`` with its status, options and result;
- ``POST /funnel`` (``steps``, ``window_days``, dates; owners, admins, editors) and
  ``GET /journeys`` (``?start_date&end_date&depth&top&by``; any member);
- ``/keys`` (owners and admins): list, create (the secret in that answer only),
  ``POST /keys/<id>/revoke``, ``PUT /keys/<id>/origins``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from flask import Blueprint, Response, jsonify, request, url_for
from flask_login import current_user
from pydantic import ConfigDict, Field

from dra.attribution import analysis, keys, reports
from dra.attribution.options import EVENT_TYPES, MAX_LOOKBACK_DAYS, ReportOptions
from dra.attribution.reference import DEFAULT_CONVERSION_TYPES, DEFAULT_LOOKBACK_DAYS, MODELS
from dra.attribution.tracking import TrackingError, track
from dra.models import AttributionReport
from dra.permissions import Permission as P
from webapp.api import Model, Page, PageQuery, Strict, api_blueprint, operation, out, paged
from webapp.attribution.views import REPORT_RATE, visible_only
from webapp.attribution.views import _range_from as range_from
from webapp.attribution.views import _timeout as statement_timeout
from webapp.authz import ProjectAccess
from webapp.database import db_session, get_database
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


# ------------------------------------------------------------------ reports, funnel, keys
DATE = {"format": "date"}


class AttributionReportIn(Strict):
    """A report to generate (the report form's fields); the core checks them (400)."""

    model: str = Field(
        description="the model shown first (every report has them all)",
        json_schema_extra={"enum": list(MODELS)},
    )
    start_date: str = Field(json_schema_extra=DATE)
    end_date: str = Field(json_schema_extra=DATE, description="at most three years after start")
    name: str | None = Field(None, description="default: the model and the range")
    lookback_days: int | None = Field(
        None, ge=1, le=MAX_LOOKBACK_DAYS, description=f"default {DEFAULT_LOOKBACK_DAYS}"
    )
    conversion_types: list[str] | str | None = Field(
        None,
        description="event types that count as conversions (a list, or one text separated "
        f"by commas), among {', '.join(EVENT_TYPES)}; default "
        f"{', '.join(DEFAULT_CONVERSION_TYPES)}",
    )


class AttributionReportOut(Model):
    id: int
    name: str
    model: str
    start_date: str = Field(json_schema_extra=DATE)
    end_date: str = Field(json_schema_extra=DATE)
    lookback_days: int
    conversion_types: list[str]
    status: str = Field(description="queued, running, succeeded or failed")
    error: str | None
    created_at: str = Field(json_schema_extra={"format": "date-time"})
    completed_at: str | None = Field(json_schema_extra={"format": "date-time"})
    url: str


class Ga4RevenueOut(Model):
    currency: str | None = Field(description="the GA4 property's ISO 4217 currency")
    amount: float


class Ga4FiguresOut(Model):
    sessions: int
    users: int = Field(description="GA4 users per day and channel group, added up over the days")
    key_events: float
    revenue: list[Ga4RevenueOut] = Field(description="per currency")


class Ga4ChannelOut(Ga4FiguresOut):
    channel: str = Field(description="attribution channel")
    tracked_events: int = Field(description="the project's tracked touches (not conversions)")
    visitors: int = Field(description="distinct visitors of those touches")


class Ga4ChannelGroupOut(Ga4FiguresOut):
    channel_group: str = Field(description="GA4 default channel group")
    channel: str = Field(description="the attribution channel it maps onto")


class Ga4SessionsOut(Model):
    channels: list[Ga4ChannelOut] = Field(description="GA4 beside the tracked events")
    channel_groups: list[Ga4ChannelGroupOut] = Field(description="most sessions first")


class AdRevenueFiguresOut(Model):
    currency: str | None = Field(description="the Ad Manager network's ISO 4217 currency")
    impressions: int
    clicks: int
    revenue: float = Field(description="billed to advertisers, in the currency")


class AdRevenueOrderOut(AdRevenueFiguresOut):
    order_id: str = Field(description="Ad Manager order")
    order_name: str


class AdRevenueOut(Model):
    orders: list[AdRevenueOrderOut] = Field(description="most revenue first")
    totals: list[AdRevenueFiguresOut] = Field(description="the orders added up, per currency")


class AttributionReportResult(Model):
    """A succeeded report's result: channels, models, journeys, spend... (kept as stored)."""

    model_config = ConfigDict(extra="allow")

    ga4: Ga4SessionsOut | None = Field(
        None,
        description="the project's GA4 sessions by channel for the report's dates, beside "
        "the tracked events (none without GA4 rows)",
    )
    ad_revenue: AdRevenueOut | None = Field(
        None,
        description="the project's Google Ad Manager revenue per order for the report's "
        "dates (none without Ad Manager rows)",
    )


class AttributionReportDetail(AttributionReportOut):
    result: AttributionReportResult | None = Field(
        description="channels, models, journeys... once the report succeeded"
    )


class AttributionReportPage(Page[AttributionReportOut]):
    reports: list[AttributionReportOut] = Field(
        description="the same items (this route's first answer)"
    )


class AttributionReportAnswer(Model):
    report: AttributionReportDetail


class FunnelIn(Strict):
    steps: list[str] = Field(
        min_length=2,
        max_length=analysis.MAX_STEPS,
        description="event types or names, in order",
    )
    window_days: int | None = Field(None, ge=1, le=365, description="default 30")
    start_date: str | None = Field(None, json_schema_extra=DATE, description="default 89 days ago")
    end_date: str | None = Field(None, json_schema_extra=DATE, description="default today")


class FunnelStepOut(Model):
    label: str
    users: int
    conversion_pct: float = Field(description="of the first step")
    step_pct: float = Field(description="of the previous step")
    drop_off_pct: float = Field(description="lost since the previous step")


class FunnelOut(Model):
    start_date: str = Field(json_schema_extra=DATE)
    end_date: str = Field(json_schema_extra=DATE)
    window_days: int
    steps: list[FunnelStepOut]


class JourneysQuery(Strict):
    start_date: str | None = Field(None, json_schema_extra=DATE, description="default 89 days ago")
    end_date: str | None = Field(None, json_schema_extra=DATE, description="default today")
    depth: int = Field(4, ge=1, le=analysis.MAX_DEPTH, description="steps of each path")
    top: int = Field(10, ge=1, le=analysis.MAX_TOP, description="the most common paths")
    by: Literal["channel", "event"] = "channel"


class JourneyOut(Model):
    steps: list[str]
    users: int
    conversions: int
    conversion_rate: float = Field(description="percent of the path's users who converted")


class JourneysOut(Model):
    start_date: str = Field(json_schema_extra=DATE)
    end_date: str = Field(json_schema_extra=DATE)
    paths: list[JourneyOut] = Field(description="most common first")


class KeyIn(Strict):
    name: str = Field(description="e.g. Website (100 characters at most)")
    allowed_origins: list[str] | None = Field(
        None, description="origins that may send events (none: any origin)"
    )


class OriginsIn(Strict):
    allowed_origins: list[str] = Field(description="none: any origin")


class KeyOut(Model):
    id: int
    name: str
    prefix: str = Field(description="the secret's first characters, to recognise it")
    allowed_origins: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewKeyOut(Model):
    key: KeyOut
    secret: str = Field(description="the write key, shown this once (never stored)")


ATTRIBUTION = {"tags": ["attribution"], "invalid_status": 400, "guard": visible_only}
reports_bp = api_blueprint(
    "attribution", "/projects/<int:project_id>/attribution", endpoint="attribution_api"
)


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
@operation(P.ATTRIBUTION_VIEW, query=PageQuery, resp={200: AttributionReportPage}, **ATTRIBUTION)
def report_list(project_id: int, access: ProjectAccess):
    """The project's reports, newest first."""
    rows = reports.list_reports(db_session(), project_id)
    query: PageQuery = request.context.query
    start = (query.page - 1) * query.limit
    items = [_report(r, with_result=False) for r in rows[start : start + query.limit]]
    body = {"items": items, "reports": items, "total": len(rows), **query.model_dump()}
    return out(AttributionReportPage, body)


@reports_bp.post("/reports")
@operation(
    P.ATTRIBUTION_ANALYZE,
    json=AttributionReportIn,
    resp={201: AttributionReportAnswer},
    rate=REPORT_RATE,
    **ATTRIBUTION,
)
def report_create(project_id: int, access: ProjectAccess):
    """Generate a report (all models side by side): queued, poll its ``url``."""
    req = reports.parse_request(request.context.json.model_dump(exclude_none=True))
    row = reports.request_report(db_session(), project_id, current_user.id, req)
    location = url_for("attribution_api.report", project_id=project_id, report_id=row.id)
    return out(
        AttributionReportAnswer,
        {"report": _report(row, with_result=True)},
        201,
        {"Location": location},
    )


@reports_bp.get("/reports/<int:report_id>")
@operation(P.ATTRIBUTION_VIEW, resp={200: AttributionReportAnswer}, **ATTRIBUTION)
def report(project_id: int, report_id: int, access: ProjectAccess):
    """One report with its status, options and result."""
    row = reports.get_report(db_session(), project_id, report_id)
    return out(AttributionReportAnswer, {"report": _report(row, with_result=True)})


@reports_bp.post("/funnel")
@operation(P.ATTRIBUTION_ANALYZE, json=FunnelIn, resp={200: FunnelOut}, **ATTRIBUTION)
def funnel(project_id: int, access: ProjectAccess):
    """Users reaching each step in order, within the window of their first step."""
    body: FunnelIn = request.context.json
    steps = analysis.parse_steps(body.steps)
    window = analysis.parse_int(
        body.window_days, "window_days", "The conversion window", 1, 365, 30
    )
    lo, hi = range_from(body.model_dump())
    statement_timeout()
    found = analysis.funnel(db_session(), project_id, steps, lo, hi, window)
    answer = {
        "start_date": lo.isoformat(),
        "end_date": hi.isoformat(),
        "window_days": window,
        "steps": [vars(step) for step in found],
    }
    return out(FunnelOut, answer)


@reports_bp.get("/journeys")
@operation(P.ATTRIBUTION_VIEW, query=JourneysQuery, resp={200: JourneysOut}, **ATTRIBUTION)
def journeys(project_id: int, access: ProjectAccess):
    """The most common paths of visitors (channels or events) and how many converted."""
    query: JourneysQuery = request.context.query
    lo, hi = range_from(query.model_dump())
    statement_timeout()
    paths = analysis.journeys(
        db_session(), project_id, lo, hi, depth=query.depth, top=query.top, dimension=query.by
    )
    answer = {
        "start_date": lo.isoformat(),
        "end_date": hi.isoformat(),
        "paths": [{**vars(p), "conversion_rate": round(p.conversion_rate, 2)} for p in paths],
    }
    return out(JourneysOut, answer)


@reports_bp.get("/keys")
@operation(P.ATTRIBUTION_MANAGE, query=PageQuery, resp={200: Page[KeyOut]}, **ATTRIBUTION)
def key_list(project_id: int, access: ProjectAccess):
    """The project's write keys (active first, newest first); secrets are never shown."""
    return paged(KeyOut, keys.list_keys(db_session(), project_id), request.context.query)


@reports_bp.post("/keys")
@operation(P.ATTRIBUTION_MANAGE, json=KeyIn, resp={201: NewKeyOut}, **ATTRIBUTION)
def key_create(project_id: int, access: ProjectAccess):
    """A new write key for the tracking API; its secret is in this answer only."""
    body: KeyIn = request.context.json
    new = keys.create_key(
        db_session(),
        project_id,
        body.name,
        created_by=current_user.id,
        allowed_origins=body.allowed_origins,
    )
    return out(NewKeyOut, {"key": new.key, "secret": new.secret}, 201)


@reports_bp.post("/keys/<int:key_id>/revoke")
@operation(P.ATTRIBUTION_MANAGE, resp={200: KeyOut}, **ATTRIBUTION)
def key_revoke(project_id: int, key_id: int, access: ProjectAccess):
    """Revoke a write key: events sent with it are refused from now on."""
    return out(KeyOut, keys.revoke_key(db_session(), project_id, key_id))


@reports_bp.put("/keys/<int:key_id>/origins")
@operation(P.ATTRIBUTION_MANAGE, json=OriginsIn, resp={200: KeyOut}, **ATTRIBUTION)
def key_origins(project_id: int, key_id: int, access: ProjectAccess):
    """Replace the origins allowed to send events with this key (409 once revoked)."""
    body: OriginsIn = request.context.json
    return out(KeyOut, keys.set_origins(db_session(), project_id, key_id, body.allowed_origins))
