"""Dashboard pages (UC-DASH-01..07) and the public read-only page (/public/d/<token>).

Authorization through webapp.authz; logic in dra.dashboards. Widget data is served as
JSON (a plotly figure built on the server); the browser never sends SQL.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from dra.billing.limits import LimitExceeded
from dra.dashboards import service
from dra.dashboards.charts import AGGREGATES, CHART_TYPES
from dra.db import act_as
from dra.modeling import service as models
from dra.modeling.errors import ModelingError
from dra.models import DataModel
from dra.permissions import Permission
from dra.projects.projects import get_project
from dra.security.csv_export import write_csv
from dra.security.json_input import JSONInputError, loads_bounded
from webapp.authz import ProjectAccess, requires
from webapp.database import commit, db_session, get_database, rollback
from webapp.extensions import limiter

bp = Blueprint("dashboards", __name__, url_prefix="/projects/<int:project_id>/dashboards")
public_bp = Blueprint("public_dashboards", __name__, url_prefix="/public/d")
all_bp = Blueprint("all_dashboards", __name__, url_prefix="/dashboards")

PUBLIC_RATE = "120 per minute"


def _timeout() -> int:
    return current_app.config["DRA_SETTINGS"].statement_timeout_ms


def _json_error(exc: ModelingError | LimitExceeded):
    rollback()
    if isinstance(exc, LimitExceeded):
        return jsonify(error=exc.message, field=None, status=403), 403
    return jsonify(exc.as_dict()), exc.status


def _board(project_id: int, dashboard_id: int):
    try:
        return service.get_dashboard(db_session(), project_id, dashboard_id)
    except ModelingError as exc:
        abort(exc.status, description=exc.message)


def _filters_arg() -> dict | None:
    """The ``filters`` query parameter: JSON bounded in size and nesting before parsing."""
    raw = request.args.get("filters")
    if not raw:
        return None
    try:
        value = loads_bounded(raw, field="filters")
    except JSONInputError as exc:
        raise ModelingError(exc.message, status=exc.status, field="filters") from None
    return service.clean_filters(value)


@bp.get("")
@requires(Permission.DASHBOARD_VIEW)
def index(project_id: int, access: ProjectAccess):
    session = db_session()
    boards = service.list_dashboards(session, project_id)
    if request.args.get("format") == "json":
        return jsonify(
            dashboards=[
                {"id": b.id, "name": b.name, "version": b.version, "widgets": len(b.widgets)}
                for b in boards
            ]
        )
    return render_template(
        "dashboards/index.html",
        project=get_project(session, project_id),
        boards=boards,
        access=access,
        P=Permission,
    )


@bp.post("")
@requires(Permission.DASHBOARD_CREATE)
def create(project_id: int, access: ProjectAccess):
    data = request.get_json(silent=True) if request.is_json else request.form
    try:
        board = service.create_dashboard(
            db_session(),
            get_database(),
            project_id,
            current_user.id,
            data.get("name"),
            data.get("description"),
        )
        board_id = board.id
        commit()
    except (ModelingError, LimitExceeded) as exc:
        if request.is_json:
            return _json_error(exc)
        rollback()
        status = 403 if isinstance(exc, LimitExceeded) else exc.status
        flash(exc.message, "error")
        return render_template(
            "dashboards/index.html",
            project=get_project(db_session(), project_id),
            boards=service.list_dashboards(db_session(), project_id),
            access=access,
            P=Permission,
            form_error=exc.message,
        ), status
    if request.is_json:
        return jsonify(id=board_id, message="The dashboard has been added."), 201
    flash("The dashboard has been added.", "success")
    return redirect(url_for("dashboards.view", project_id=project_id, dashboard_id=board_id))


def _widget_payload(board, models_by_id: dict, data_url) -> list[dict]:
    return [
        {
            "id": w.id,
            "title": w.title,
            "chart_type": w.chart_type,
            "x": w.x,
            "y": w.y,
            "w": w.w,
            "h": w.h,
            "data_url": data_url(w.id),
            "csv_url": data_url(w.id) + ".csv",
            "model": models_by_id[w.data_model_id].name
            if w.data_model_id in models_by_id
            else None,
        }
        for w in board.widgets
    ]


@bp.get("/<int:dashboard_id>")
@requires(Permission.DASHBOARD_VIEW)
def view(project_id: int, dashboard_id: int, access: ProjectAccess):
    session = db_session()
    board = _board(project_id, dashboard_id)
    by_id = {m.id: m for m in models.list_models(session, project_id)}
    widgets = _widget_payload(
        board,
        by_id,
        lambda wid: url_for(
            "dashboards.widget_data",
            project_id=project_id,
            dashboard_id=dashboard_id,
            widget_id=wid,
        ),
    )
    link = service.active_link(session, board) if access.can(Permission.DASHBOARD_SHARE) else None
    return render_template(
        "dashboards/view.html",
        project=get_project(session, project_id),
        board=board,
        widgets=widgets,
        access=access,
        P=Permission,
        link=link,
        public=False,
        can_edit=access.can(Permission.DASHBOARD_EDIT),
        layout_url=url_for("dashboards.layout", project_id=project_id, dashboard_id=dashboard_id),
    )


@bp.get("/<int:dashboard_id>/widgets/<int:widget_id>/data")
@requires(Permission.DASHBOARD_VIEW)
def widget_data(project_id: int, dashboard_id: int, widget_id: int, access: ProjectAccess):
    """UC-DASH-07 for members."""
    try:
        _widget, data = _member_widget_data(project_id, dashboard_id, widget_id)
    except ModelingError as exc:
        return _json_error(exc)
    return _widget_response(data)


def _member_widget_data(project_id: int, dashboard_id: int, widget_id: int):
    """(widget, its data) for a member's request; ModelingError for a bad widget or filter."""
    board = _board(project_id, dashboard_id)
    widget = service.get_widget(db_session(), board, widget_id)
    filters = _filters_arg()
    model = db_session().get(DataModel, widget.data_model_id) if widget.data_model_id else None
    return widget, service.widget_data(
        get_database(), widget, model, filters, timeout_ms=_timeout()
    )


def _widget_response(data) -> Response:
    return Response(data.as_json(), mimetype="application/json")


def _csv(widget, data) -> Response:
    if data.error:
        abort(409, description=data.error)
    name = "".join(ch if ch.isalnum() else "_" for ch in (widget.title or "widget"))[:60]
    return Response(
        write_csv(data.columns, data.rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name or "widget"}.csv"'},
    )


@bp.get("/<int:dashboard_id>/widgets/<int:widget_id>/data.csv")
@requires(Permission.DASHBOARD_VIEW)
def widget_csv(project_id: int, dashboard_id: int, widget_id: int, access: ProjectAccess):
    try:
        widget, data = _member_widget_data(project_id, dashboard_id, widget_id)
    except ModelingError as exc:
        abort(exc.status, description=exc.message)
    return _csv(widget, data)


@bp.post("/<int:dashboard_id>/layout")
@requires(Permission.DASHBOARD_EDIT)
def layout(project_id: int, dashboard_id: int, access: ProjectAccess):
    """Move/resize: {version, widgets: [{id, x, y, w, h}]} -> {version} or 409 when stale."""
    board = _board(project_id, dashboard_id)
    data = request.get_json(silent=True) or {}
    try:
        version = service.save_layout(db_session(), board, data.get("version"), data.get("widgets"))
        commit()
    except ModelingError as exc:
        return _json_error(exc)
    return jsonify(version=version, message="The dashboard has been updated.")


def _widget_form(project_id: int, board, access, widget=None, form=None, error=None, status=200):
    session = db_session()
    tables = models.project_model_tables(session, get_database(), project_id)
    return render_template(
        "dashboards/widget_form.html",
        project=get_project(session, project_id),
        board=board,
        widget=widget,
        tables=tables,
        chart_types=CHART_TYPES,
        aggregates=AGGREGATES,
        form=form or _form_from_widget(widget),
        error=error,
    ), status


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


def _binding_from_form(form) -> dict:
    binding = {
        k: form.get(k) or None
        for k in ("x", "y", "series", "aggregate", "sort", "limit", "period", "compare")
    }
    columns = [c.strip() for c in (form.get("columns") or "").split(",") if c.strip()]
    if columns:
        binding["columns"] = columns
    if form.get("filter_column"):
        op = form.get("filter_operator") or "="
        value = form.get("filter_value", "")
        if op in ("in", "not_in", "between"):
            value = [v.strip() for v in value.split(",") if v.strip()]
        binding["filters"] = [{"column": form["filter_column"], "operator": op, "value": value}]
    return binding


@bp.route("/<int:dashboard_id>/widgets/new", methods=["GET", "POST"])
@requires(Permission.DASHBOARD_EDIT)
def widget_new(project_id: int, dashboard_id: int, access: ProjectAccess):
    return _widget_edit(project_id, dashboard_id, None, access)


@bp.route("/<int:dashboard_id>/widgets/<int:widget_id>/edit", methods=["GET", "POST"])
@requires(Permission.DASHBOARD_EDIT)
def widget_edit(project_id: int, dashboard_id: int, widget_id: int, access: ProjectAccess):
    return _widget_edit(project_id, dashboard_id, widget_id, access)


def _widget_edit(project_id: int, dashboard_id: int, widget_id: int | None, access):
    board = _board(project_id, dashboard_id)
    widget = None
    if widget_id is not None:
        try:
            widget = service.get_widget(db_session(), board, widget_id)
        except ModelingError as exc:
            abort(exc.status, description=exc.message)
    if request.method == "GET":
        return _widget_form(project_id, board, access, widget)
    form = request.form.to_dict()
    try:
        service.save_widget(
            db_session(),
            get_database(),
            board,
            form.get("version"),
            widget_id=widget_id,
            title=form.get("title"),
            data_model_id=form.get("data_model_id"),
            chart_type=form.get("chart_type"),
            binding=_binding_from_form(form),
        )
        commit()
    except ModelingError as exc:
        rollback()
        board = _board(project_id, dashboard_id)
        widget = service.get_widget(db_session(), board, widget_id) if widget_id else None
        message = f"{exc.field}: {exc.message}" if exc.field and exc.status != 409 else exc.message
        return _widget_form(project_id, board, access, widget, form, message, exc.status)
    flash("The dashboard has been updated.", "success")
    return redirect(url_for("dashboards.view", project_id=project_id, dashboard_id=dashboard_id))


@bp.post("/<int:dashboard_id>/widgets/<int:widget_id>/delete")
@requires(Permission.DASHBOARD_EDIT)
def widget_delete(project_id: int, dashboard_id: int, widget_id: int, access: ProjectAccess):
    board = _board(project_id, dashboard_id)
    try:
        service.delete_widget(db_session(), board, request.form.get("version"), widget_id)
        commit()
    except ModelingError as exc:
        abort(exc.status, description=exc.message)
    flash("The widget has been removed.", "success")
    return redirect(url_for("dashboards.view", project_id=project_id, dashboard_id=dashboard_id))


@bp.route("/<int:dashboard_id>/settings", methods=["GET", "POST"])
@requires(Permission.DASHBOARD_EDIT)
def settings(project_id: int, dashboard_id: int, access: ProjectAccess):
    """Name, description and dashboard filters (UC-DASH-03)."""
    session = db_session()
    board = _board(project_id, dashboard_id)
    error, status = None, 200
    if request.method == "POST":
        form = request.form
        filters = {
            "date": {
                "column": form.get("date_column"),
                "from": form.get("date_from"),
                "to": form.get("date_to"),
            },
            "values": {"column": form.get("values_column"), "values": form.get("values", "")},
        }
        try:
            service.update_dashboard(
                session,
                board,
                form.get("version"),
                name=form.get("name"),
                description=form.get("description"),
                filters=filters,
            )
            commit()
            flash("The dashboard has been updated.", "success")
            return redirect(
                url_for("dashboards.view", project_id=project_id, dashboard_id=dashboard_id)
            )
        except ModelingError as exc:
            rollback()
            board = _board(project_id, dashboard_id)
            error, status = exc.message, exc.status
    return render_template(
        "dashboards/settings.html",
        project=get_project(session, project_id),
        board=board,
        error=error,
        access=access,
        P=Permission,
    ), status


@bp.route("/<int:dashboard_id>/delete", methods=["GET", "POST"])
@requires(Permission.DASHBOARD_DELETE)
def delete(project_id: int, dashboard_id: int, access: ProjectAccess):
    """UC-DASH-04 (its public links go with it)."""
    session = db_session()
    board = _board(project_id, dashboard_id)
    if request.method == "POST":
        name = service.delete_dashboard(session, board)
        commit()
        flash(f"The dashboard “{name}” has been deleted.", "success")
        return redirect(url_for("dashboards.index", project_id=project_id))
    return render_template(
        "dashboards/delete.html",
        project=get_project(session, project_id),
        board=board,
        link=service.active_link(session, board),
    )


@bp.route("/<int:dashboard_id>/share", methods=["GET", "POST"])
@requires(Permission.DASHBOARD_SHARE)
def share(project_id: int, dashboard_id: int, access: ProjectAccess):
    """UC-DASH-05: create (idempotent), regenerate or revoke the public link."""
    session = db_session()
    board = _board(project_id, dashboard_id)
    error, status = None, 200
    if request.method == "POST":
        action = request.form.get("action", "create")
        try:
            if action == "revoke":
                service.revoke(session, board)
                flash("The public link has been revoked.", "success")
            else:
                service.share(
                    session,
                    board,
                    current_user.id,
                    expires_at=request.form.get("expires_at"),
                    regenerate=action == "regenerate",
                )
                flash("The public link is ready.", "success")
            commit()
            return redirect(
                url_for("dashboards.share", project_id=project_id, dashboard_id=dashboard_id)
            )
        except ModelingError as exc:
            rollback()
            board = _board(project_id, dashboard_id)
            error, status = exc.message, exc.status
    link = service.active_link(session, board)
    public_url = (
        url_for("public_dashboards.public_view", token=link.token, _external=True) if link else None
    )
    return render_template(
        "dashboards/share.html",
        project=get_project(session, project_id),
        board=board,
        link=link,
        public_url=public_url,
        error=error,
    ), status


@all_bp.get("", endpoint="index")
@login_required
def all_index():
    """UC-DASH-01: the dashboards of every project the user is a member of."""
    rows = service.dashboards_of_user(db_session(), current_user.id)
    return render_template("dashboards/all.html", rows=rows)


# --- public (no sign-in) -------------------------------------------------------------------


def _public_session():
    """A request session as nobody; RLS then opens only the linked dashboard."""
    session = g.get("_dra_public_session")
    if session is None:
        session = get_database().AppSession()
        g._dra_public_session = session
    return session


@public_bp.teardown_app_request
def _close_public(_exc=None):
    session = g.pop("_dra_public_session", None)
    if session is not None:
        session.close()


def _public_board(token: str):
    session = _public_session()
    act_as(session, None)
    board = service.open_public(session, token)
    if board is None:
        abort(404, description="This dashboard link does not exist or is no longer shared.")
    return board


@public_bp.get("/<token>")
@limiter.limit(PUBLIC_RATE)
def public_view(token: str):
    """UC-DASH-06: read-only, no sign-in; unknown/revoked/expired tokens get the 404 page."""
    session = _public_session()
    board = _public_board(token)
    by_id = service.public_models(session, board)
    widgets = _widget_payload(
        board,
        by_id,
        lambda wid: url_for("public_dashboards.public_widget_data", token=token, widget_id=wid),
    )
    return render_template(
        "dashboards/view.html",
        project=None,
        board=board,
        widgets=widgets,
        access=None,
        P=Permission,
        link=None,
        public=True,
        can_edit=False,
        layout_url=None,
    )


def _public_widget(token: str, widget_id: int):
    found = service.public_widget(_public_session(), token, widget_id)
    if found is None:
        abort(404, description="This widget is not on a shared dashboard.")
    return found


@public_bp.get("/<token>/widgets/<int:widget_id>/data")
@limiter.limit(PUBLIC_RATE)
def public_widget_data(token: str, widget_id: int):
    widget, model, defined = _public_widget(token, widget_id)
    try:
        filters = service.guest_filters(_filters_arg(), defined)
    except ModelingError as exc:
        return jsonify(exc.as_dict()), exc.status
    return _widget_response(
        service.widget_data(get_database(), widget, model, filters, timeout_ms=_timeout())
    )


@public_bp.get("/<token>/widgets/<int:widget_id>/data.csv")
@limiter.limit(PUBLIC_RATE)
def public_widget_csv(token: str, widget_id: int):
    widget, model, defined = _public_widget(token, widget_id)
    try:
        filters = service.guest_filters(_filters_arg(), defined)
    except ModelingError as exc:
        abort(exc.status, description=exc.message)
    return _csv(
        widget, service.widget_data(get_database(), widget, model, filters, timeout_ms=_timeout())
    )
