"""Dashboards, widgets and public links (UC-DASH-01..07) under
``/api/v1/projects/<id>/dashboards``.

Members read and read widget data (JSON, or CSV with spreadsheet formulas neutralised);
owners, admins and editors create and change; owners and admins delete and share. Every
change sends the dashboard's ``version`` (409 when someone changed it meanwhile), as the
pages do. The same service as the pages (dra.dashboards).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import jsonify, request, url_for
from flask_login import current_user
from pydantic import Field

from dra.dashboards import service
from dra.errors import NotFound
from dra.permissions import Permission
from webapp.api import Deleted, Id, Model, Strict, api_blueprint, listing, operation, out
from webapp.dashboards.views import _member_widget_data
from webapp.dashboards.widgets import csv_response
from webapp.database import db_session, get_database

bp = api_blueprint("dashboards", "/projects/<int:project_id>/dashboards")
TAGS = ["dashboards"]


class WidgetOut(Model):
    id: int
    title: str
    data_model_id: int | None
    chart_type: str
    binding: dict[str, Any]
    x: int
    y: int
    w: int
    h: int


class DashboardOut(Model):
    id: int
    name: str
    description: str | None
    version: int = Field(description="send it back with every change")
    filters: dict[str, Any]
    created_at: datetime
    updated_at: datetime | None


class DashboardDetailOut(DashboardOut):
    widgets: list[WidgetOut]


class DashboardIn(Strict):
    name: str
    description: str | None = None


class DashboardUpdate(Strict):
    version: int
    name: str
    description: str | None = None
    filters: dict[str, Any] | None = Field(
        None,
        description='{"date": {"column", "from", "to"}, "values": {"column", "values"}}',
    )


class WidgetIn(Strict):
    version: int = Field(description="the dashboard's version")
    data_model_id: Id
    chart_type: str = Field(description="table, kpi, bar, line, pie... (see the pages)")
    title: str | None = None
    binding: dict[str, Any] = Field(
        default_factory=dict,
        description="x, y, series, aggregate, sort, limit, columns, filters, period, compare",
    )


class VersionQuery(Strict):
    version: int = Field(description="the dashboard's version")


class WidgetSaved(Model):
    widget: WidgetOut
    version: int


class VersionOut(Model):
    version: int


class DataQuery(Strict):
    filters: str | None = Field(None, description="the dashboard filters, as JSON")


class WidgetDataOut(Model):
    columns: list[str]
    rows: list[list[Any]]
    figure: dict[str, Any] | None = Field(description="the plotly figure the page draws")
    error: str | None
    materializedAt: str | None
    model: str | None
    cached: bool
    rowCount: int


class LinkIn(Strict):
    expires_at: date | None = Field(None, description="in the future")
    regenerate: bool = Field(False, description="a new token; the old one stops working")


class LinkOut(Model):
    token: str
    url: str
    expires_at: datetime | None
    created_at: datetime


class Revoked(Model):
    revoked: int


def _board(project_id: int, dashboard_id: int):
    return service.get_dashboard(db_session(), project_id, dashboard_id)


def _link(link) -> dict:
    url = url_for("public_dashboards.public_view", token=link.token, _external=True)
    return LinkOut.model_validate(
        {
            "token": link.token,
            "url": url,
            "expires_at": link.expires_at,
            "created_at": link.created_at,
        }
    ).model_dump(mode="json")


@bp.get("")
@listing(Permission.DASHBOARD_VIEW, DashboardOut, tags=TAGS)
def index(project_id: int, access):
    """The project's dashboards by name."""
    return service.list_dashboards(db_session(), project_id)


@bp.post("")
@operation(Permission.DASHBOARD_CREATE, json=DashboardIn, resp={201: DashboardDetailOut}, tags=TAGS)
def create(project_id: int, access):
    """A new, empty dashboard (the tier's dashboard limit applies)."""
    body: DashboardIn = request.context.json
    board = service.create_dashboard(
        db_session(), get_database(), project_id, current_user.id, body.name, body.description
    )
    location = url_for("api_dashboards.get", project_id=project_id, dashboard_id=board.id)
    return out(DashboardDetailOut, board, 201, {"Location": location})


@bp.get("/<int:dashboard_id>")
@operation(Permission.DASHBOARD_VIEW, resp={200: DashboardDetailOut}, tags=TAGS)
def get(project_id: int, dashboard_id: int, access):
    """One dashboard with its widgets."""
    return out(DashboardDetailOut, _board(project_id, dashboard_id))


@bp.put("/<int:dashboard_id>")
@operation(
    Permission.DASHBOARD_EDIT, json=DashboardUpdate, resp={200: DashboardDetailOut}, tags=TAGS
)
def update(project_id: int, dashboard_id: int, access):
    """Name, description and filters (the version must be current: 409 otherwise)."""
    body: DashboardUpdate = request.context.json
    board = _board(project_id, dashboard_id)
    service.update_dashboard(
        db_session(),
        board,
        body.version,
        name=body.name,
        description=body.description,
        filters=body.filters,
    )
    return out(DashboardDetailOut, board)


@bp.delete("/<int:dashboard_id>")
@operation(Permission.DASHBOARD_DELETE, resp={200: Deleted}, tags=TAGS)
def delete(project_id: int, dashboard_id: int, access):
    """Delete it, with its widgets and public links."""
    service.delete_dashboard(db_session(), _board(project_id, dashboard_id))
    return out(Deleted, {"id": dashboard_id})


@bp.post("/<int:dashboard_id>/widgets")
@operation(Permission.DASHBOARD_EDIT, json=WidgetIn, resp={201: WidgetSaved}, tags=TAGS)
def widget_create(project_id: int, dashboard_id: int, access):
    """A widget binding a built model to a chart (checked against the model's columns)."""
    return _save_widget(project_id, dashboard_id, None)


@bp.put("/<int:dashboard_id>/widgets/<int:widget_id>")
@operation(Permission.DASHBOARD_EDIT, json=WidgetIn, resp={200: WidgetSaved}, tags=TAGS)
def widget_update(project_id: int, dashboard_id: int, widget_id: int, access):
    """Change a widget's model, chart and binding."""
    return _save_widget(project_id, dashboard_id, widget_id)


def _save_widget(project_id: int, dashboard_id: int, widget_id: int | None):
    body: WidgetIn = request.context.json
    board = _board(project_id, dashboard_id)
    widget = service.save_widget(
        db_session(),
        get_database(),
        board,
        body.version,
        widget_id=widget_id,
        title=body.title,
        data_model_id=body.data_model_id,
        chart_type=body.chart_type,
        binding=body.binding,
    )
    db_session().flush()
    status = 201 if widget_id is None else 200
    return out(WidgetSaved, {"widget": widget, "version": board.version}, status)


@bp.delete("/<int:dashboard_id>/widgets/<int:widget_id>")
@operation(Permission.DASHBOARD_EDIT, query=VersionQuery, resp={200: VersionOut}, tags=TAGS)
def widget_delete(project_id: int, dashboard_id: int, widget_id: int, access):
    """Remove a widget (``?version=`` the dashboard's current version)."""
    board = _board(project_id, dashboard_id)
    version = service.delete_widget(db_session(), board, request.context.query.version, widget_id)
    return out(VersionOut, {"version": version})


@bp.get("/<int:dashboard_id>/widgets/<int:widget_id>/data")
@operation(Permission.DASHBOARD_VIEW, query=DataQuery, resp={200: WidgetDataOut}, tags=TAGS)
def widget_data(project_id: int, dashboard_id: int, widget_id: int, access):
    """The widget's data (columns, rows) and its plotly figure, with the filters."""
    _widget, data = _member_widget_data(project_id, dashboard_id, widget_id)
    return out(WidgetDataOut, data.as_dict() | {"columns": data.columns, "rows": data.rows})


@bp.get("/<int:dashboard_id>/widgets/<int:widget_id>/data.csv")
@operation(Permission.DASHBOARD_VIEW, query=DataQuery, resp={200: None}, tags=TAGS)
def widget_csv(project_id: int, dashboard_id: int, widget_id: int, access):
    """The widget's data as CSV (text/csv; formulas neutralised)."""
    return csv_response(*_member_widget_data(project_id, dashboard_id, widget_id))


@bp.get("/<int:dashboard_id>/public-link")
@operation(Permission.DASHBOARD_SHARE, resp={200: LinkOut}, tags=TAGS)
def link_get(project_id: int, dashboard_id: int, access):
    """The active public link (404 when there is none)."""
    link = service.active_link(db_session(), _board(project_id, dashboard_id))
    if link is None:
        raise NotFound("This dashboard has no public link.", field="dashboard_id")
    return jsonify(_link(link))


@bp.post("/<int:dashboard_id>/public-link")
@operation(Permission.DASHBOARD_SHARE, json=LinkIn, resp={201: LinkOut}, tags=TAGS)
def link_create(project_id: int, dashboard_id: int, access):
    """Share read-only: the active link (idempotent), or a new one (``regenerate``)."""
    body: LinkIn = request.context.json
    link = service.share(
        db_session(),
        _board(project_id, dashboard_id),
        current_user.id,
        expires_at=body.expires_at,
        regenerate=body.regenerate,
    )
    return jsonify(_link(link)), 201


@bp.delete("/<int:dashboard_id>/public-link")
@operation(Permission.DASHBOARD_SHARE, resp={200: Revoked}, tags=TAGS)
def link_revoke(project_id: int, dashboard_id: int, access):
    """Revoke every public link of the dashboard."""
    return out(Revoked, {"revoked": service.revoke(db_session(), _board(project_id, dashboard_id))})
