"""Dashboard pages of a project (UC-DASH-01..05, 07) and the list of all of a user's
dashboards; the public read-only page is in ``webapp.dashboards.public``.

Authorization through webapp.authz; logic in dra.dashboards. Widget data is served as
JSON (a plotly figure built on the server); the browser never sends SQL.
"""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from dra.dashboards import service
from dra.dashboards.charts import AGGREGATES, CHART_TYPES
from dra.modeling import service as models
from dra.models import DataModel
from dra.permissions import Permission
from webapp.authz import ProjectAccess, project_scoped, requires
from webapp.dashboards.forms import DashboardForm, SettingsForm, ShareForm, WidgetForm
from webapp.dashboards.widgets import (
    csv_response,
    filters_arg,
    json_response,
    widget_payload,
    with_data,
)
from webapp.database import db_session, get_database
from webapp.errors import json_errors, on_error

bp = project_scoped(
    Blueprint("dashboards", __name__, url_prefix="/projects/<int:project_id>/dashboards")
)
all_bp = Blueprint("all_dashboards", __name__, url_prefix="/dashboards")


def _board(project_id: int, dashboard_id: int):
    return service.get_dashboard(db_session(), project_id, dashboard_id)


def _back_to(dashboard_id: int):
    return redirect(url_for("dashboards.view", dashboard_id=dashboard_id))


@bp.get("")
@requires(Permission.DASHBOARD_VIEW)
def index(project_id: int, access: ProjectAccess):
    boards = service.list_dashboards(db_session(), project_id)
    if request.args.get("format") == "json":
        return jsonify(
            dashboards=[
                {"id": b.id, "name": b.name, "version": b.version, "widgets": len(b.widgets)}
                for b in boards
            ]
        )
    return render_template("dashboards/index.html", boards=boards)


@bp.post("")
@requires(Permission.DASHBOARD_CREATE)
def create(project_id: int, access: ProjectAccess):
    data = request.get_json(silent=True) if request.is_json else DashboardForm().data

    def refused(exc):
        flash(exc.message, "error")
        boards = service.list_dashboards(db_session(), project_id)
        return render_template("dashboards/index.html", boards=boards, form_error=exc.message)

    on_error(refused)
    board = service.create_dashboard(
        db_session(),
        get_database(),
        project_id,
        current_user.id,
        data.get("name"),
        data.get("description"),
    )
    if request.is_json:
        return jsonify(id=board.id, message="The dashboard has been added."), 201
    flash("The dashboard has been added.", "success")
    return _back_to(board.id)


@bp.get("/<int:dashboard_id>")
@requires(Permission.DASHBOARD_VIEW)
def view(project_id: int, dashboard_id: int, access: ProjectAccess):
    session = db_session()
    board = _board(project_id, dashboard_id)
    by_id = {m.id: m for m in models.list_models(session, project_id)}
    widgets = widget_payload(
        board,
        by_id,
        lambda wid: url_for("dashboards.widget_data", dashboard_id=dashboard_id, widget_id=wid),
    )
    link = service.active_link(session, board) if access.can(Permission.DASHBOARD_SHARE) else None
    return render_template(
        "dashboards/view.html",
        board=board,
        widgets=widgets,
        link=link,
        public=False,
        can_edit=access.can(Permission.DASHBOARD_EDIT),
        layout_url=url_for("dashboards.layout", dashboard_id=dashboard_id),
    )


def _member_widget_data(project_id: int, dashboard_id: int, widget_id: int):
    """(widget, its data) for a member's request; ModelingError for a bad widget or filter."""
    board = _board(project_id, dashboard_id)
    widget = service.get_widget(db_session(), board, widget_id)
    filters = filters_arg()
    model = db_session().get(DataModel, widget.data_model_id) if widget.data_model_id else None
    return with_data(widget, model, filters)


@bp.get("/<int:dashboard_id>/widgets/<int:widget_id>/data")
@requires(Permission.DASHBOARD_VIEW)
@json_errors
def widget_data(project_id: int, dashboard_id: int, widget_id: int, access: ProjectAccess):
    """UC-DASH-07 for members."""
    _widget, data = _member_widget_data(project_id, dashboard_id, widget_id)
    return json_response(data)


@bp.get("/<int:dashboard_id>/widgets/<int:widget_id>/data.csv")
@requires(Permission.DASHBOARD_VIEW)
def widget_csv(project_id: int, dashboard_id: int, widget_id: int, access: ProjectAccess):
    return csv_response(*_member_widget_data(project_id, dashboard_id, widget_id))


@bp.post("/<int:dashboard_id>/layout")
@requires(Permission.DASHBOARD_EDIT)
@json_errors
def layout(project_id: int, dashboard_id: int, access: ProjectAccess):
    """Move/resize: {version, widgets: [{id, x, y, w, h}]} -> {version} or 409 when stale."""
    board = _board(project_id, dashboard_id)
    data = request.get_json(silent=True) or {}
    version = service.save_layout(db_session(), board, data.get("version"), data.get("widgets"))
    return jsonify(version=version, message="The dashboard has been updated.")


def _widget_form(project_id: int, board, widget=None, form=None, error=None):
    tables = models.project_model_tables(db_session(), get_database(), project_id)
    return render_template(
        "dashboards/widget_form.html",
        board=board,
        widget=widget,
        tables=tables,
        chart_types=CHART_TYPES,
        aggregates=AGGREGATES,
        form=form or _form_from_widget(widget),
        error=error,
    )


def _form_from_widget(widget) -> dict:
    b = dict(widget.binding) if widget else {}
    f = (b.get("filters") or [{}])[0] if b.get("filters") else {}
    return {
        "title": widget.title if widget else "",
        "data_model_id": widget.data_model_id if widget else "",
        "chart_type": widget.chart_type if widget else "bar",
        "x": b.get("x") or "",
        "y": b.get("y") or "",
        "series": b.get("series") or "",
        "aggregate": b.get("aggregate") or "sum",
        "sort": b.get("sort") or "",
        "limit": b.get("limit") or "",
        "columns": ", ".join(b.get("columns") or []),
        "period": b.get("period") or "month",
        "compare": b.get("compare") or "to_date",
        "filter_column": f.get("column", ""),
        "filter_operator": f.get("operator", "="),
        "filter_value": f.get("value", "")
        if not isinstance(f.get("value"), list)
        else ", ".join(map(str, f["value"])),
    }


@bp.route("/<int:dashboard_id>/widgets/new", methods=["GET", "POST"])
@requires(Permission.DASHBOARD_EDIT)
def widget_new(project_id: int, dashboard_id: int, access: ProjectAccess):
    return _widget_edit(project_id, dashboard_id, None)


@bp.route("/<int:dashboard_id>/widgets/<int:widget_id>/edit", methods=["GET", "POST"])
@requires(Permission.DASHBOARD_EDIT)
def widget_edit(project_id: int, dashboard_id: int, widget_id: int, access: ProjectAccess):
    return _widget_edit(project_id, dashboard_id, widget_id)


def _widget_edit(project_id: int, dashboard_id: int, widget_id: int | None):
    board = _board(project_id, dashboard_id)
    widget = service.get_widget(db_session(), board, widget_id) if widget_id else None
    if request.method == "GET":
        return _widget_form(project_id, board, widget)
    form = WidgetForm()

    def refused(exc):
        board = _board(project_id, dashboard_id)
        widget = service.get_widget(db_session(), board, widget_id) if widget_id else None
        message = f"{exc.field}: {exc.message}" if exc.field and exc.status != 409 else exc.message
        return _widget_form(project_id, board, widget, form.data, message)

    on_error(refused)
    service.save_widget(
        db_session(),
        get_database(),
        board,
        form.version.data,
        widget_id=widget_id,
        title=form.title.data,
        data_model_id=form.data_model_id.data,
        chart_type=form.chart_type.data,
        binding=form.binding(),
    )
    flash("The dashboard has been updated.", "success")
    return _back_to(dashboard_id)


@bp.post("/<int:dashboard_id>/widgets/<int:widget_id>/delete")
@requires(Permission.DASHBOARD_EDIT)
def widget_delete(project_id: int, dashboard_id: int, widget_id: int, access: ProjectAccess):
    board = _board(project_id, dashboard_id)
    service.delete_widget(db_session(), board, request.form.get("version"), widget_id)
    flash("The widget has been removed.", "success")
    return _back_to(dashboard_id)


@bp.route("/<int:dashboard_id>/settings", methods=["GET", "POST"])
@requires(Permission.DASHBOARD_EDIT)
def settings(project_id: int, dashboard_id: int, access: ProjectAccess):
    """Name, description and dashboard filters (UC-DASH-03)."""

    def page(error=None):
        board = _board(project_id, dashboard_id)
        return render_template("dashboards/settings.html", board=board, error=error)

    if request.method == "GET":
        return page()
    on_error(lambda exc: page(exc.message))
    form = SettingsForm()
    service.update_dashboard(
        db_session(),
        _board(project_id, dashboard_id),
        form.version.data,
        name=form.name.data,
        description=form.description.data,
        filters=form.filters(),
    )
    flash("The dashboard has been updated.", "success")
    return _back_to(dashboard_id)


@bp.route("/<int:dashboard_id>/delete", methods=["GET", "POST"])
@requires(Permission.DASHBOARD_DELETE)
def delete(project_id: int, dashboard_id: int, access: ProjectAccess):
    """UC-DASH-04 (its public links go with it)."""
    session = db_session()
    board = _board(project_id, dashboard_id)
    if request.method == "POST":
        name = service.delete_dashboard(session, board)
        flash(f"The dashboard “{name}” has been deleted.", "success")
        return redirect(url_for("dashboards.index"))
    return render_template(
        "dashboards/delete.html", board=board, link=service.active_link(session, board)
    )


@bp.route("/<int:dashboard_id>/share", methods=["GET", "POST"])
@requires(Permission.DASHBOARD_SHARE)
def share(project_id: int, dashboard_id: int, access: ProjectAccess):
    """UC-DASH-05: create (idempotent), regenerate or revoke the public link."""

    def page(error=None):
        board = _board(project_id, dashboard_id)
        link = service.active_link(db_session(), board)
        public_url = (
            url_for("public_dashboards.public_view", token=link.token, _external=True)
            if link
            else None
        )
        return render_template(
            "dashboards/share.html", board=board, link=link, public_url=public_url, error=error
        )

    if request.method == "GET":
        return page()
    on_error(lambda exc: page(exc.message))
    form = ShareForm()
    board = _board(project_id, dashboard_id)
    if form.action.data == "revoke":
        service.revoke(db_session(), board)
        flash("The public link has been revoked.", "success")
    else:
        service.share(
            db_session(),
            board,
            current_user.id,
            expires_at=form.expires_at.data or None,
            regenerate=form.action.data == "regenerate",
        )
        flash("The public link is ready.", "success")
    return redirect(url_for("dashboards.share", dashboard_id=dashboard_id))


@all_bp.get("", endpoint="index")
@login_required
def all_index():
    """UC-DASH-01: the dashboards of every project the user is a member of."""
    rows = service.dashboards_of_user(db_session(), current_user.id)
    return render_template("dashboards/all.html", rows=rows)
