"""Data-model pages (UC-DM-01..09). Authorization through webapp.authz; logic in dra.modeling."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from dra.modeling import service
from dra.modeling.dbt_export import dbt_file_name, to_dbt
from dra.modeling.errors import ModelingError
from dra.modeling.materialize import drop_model_table
from dra.permissions import Permission
from webapp.authz import ProjectAccess, project_scoped, requires
from webapp.database import commit, db_session, get_database, statement_timeout_ms
from webapp.errors import json_errors

bp = project_scoped(Blueprint("models", __name__, url_prefix="/projects/<int:project_id>/models"))


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ModelingError("Send the data model as a JSON object.", status=422, field="body")
    return data


def _model(project_id: int, model_id: int):
    return service.get_model(db_session(), project_id, model_id)


@bp.get("")
@requires(Permission.DATA_MODEL_VIEW)
def index(project_id: int, access: ProjectAccess):
    session = db_session()
    models = service.list_models(session, project_id)
    refreshes = {m.id: service.latest_refresh(session, m.id) for m in models}
    if request.accept_mimetypes.best == "application/json" or request.args.get("format") == "json":
        return jsonify(models=[_model_dict(m) for m in models])
    return render_template("models/index.html", models=models, refreshes=refreshes)


def _model_dict(m) -> dict:
    return {
        "id": m.id,
        "name": m.name,
        "status": m.status,
        "version": m.version,
        "row_count": m.row_count,
        "table": m.materialized_table,
        "last_materialized_at": m.last_materialized_at.isoformat()
        if m.last_materialized_at
        else None,
        "last_error": m.last_error,
    }


@bp.get("/tables")
@requires(Permission.DATA_MODEL_VIEW)
def tables(project_id: int, access: ProjectAccess):
    """UC-DM-07: the tables and columns of every model of the project."""
    return jsonify(tables=service.project_model_tables(db_session(), get_database(), project_id))


@bp.get("/catalog")
@requires(Permission.DATA_MODEL_VIEW)
def catalog(project_id: int, access: ProjectAccess):
    """Tables the builder offers: every ingested source table, then the models' tables."""
    cat = service.catalog_for(get_database(), project_id)
    return jsonify(
        tables=[
            {
                "name": t.name,
                "kind": t.kind,
                "label": t.label or t.name,
                "columns": [{"name": c, "type": ty} for c, ty in t.columns.items()],
            }
            for t in cat.tables.values()
        ]
    )


@bp.get("/new")
@requires(Permission.DATA_MODEL_CREATE)
def new(project_id: int, access: ProjectAccess):
    return render_template(
        "models/builder.html", model=None, mode=request.args.get("mode", "builder")
    )


@bp.post("/preview")
@requires(Permission.DATA_MODEL_EXECUTE)
@json_errors
def preview(project_id: int, access: ProjectAccess):
    """UC-DM-09 for the definition being edited (nothing is saved)."""
    data = _body()
    result = service.preview_definition(
        get_database(),
        project_id,
        query_json=data.get("query_json"),
        sql=data.get("sql"),
        timeout_ms=statement_timeout_ms(),
    )
    return jsonify(result.as_dict())


def _save(project_id: int, model_id: int | None):
    data = _body()
    saved = service.save_model(
        db_session(),
        get_database(),
        project_id,
        current_user.id,
        name=data.get("name"),
        query_json=data.get("query_json"),
        sql=data.get("sql"),
        description=data.get("description"),
        model_id=model_id,
        timeout_ms=statement_timeout_ms(),
    )
    model_id = saved.model.id
    message = (
        "The data model has been rebuilt."
        if request.view_args.get("model_id")
        else "The data model has been saved."
    ) + " Its table is being built."
    flash(message, "success")
    return jsonify(
        id=model_id,
        message=message,
        url=url_for("models.detail", project_id=project_id, model_id=model_id),
    ), 200 if request.view_args.get("model_id") else 201


@bp.post("")
@requires(Permission.DATA_MODEL_CREATE)
@json_errors
def create(project_id: int, access: ProjectAccess):
    return _save(project_id, None)


@bp.get("/<int:model_id>")
@requires(Permission.DATA_MODEL_VIEW)
def detail(project_id: int, model_id: int, access: ProjectAccess):
    session = db_session()
    model = _model(project_id, model_id)
    preview_result, preview_error = None, None
    if access.can(Permission.DATA_MODEL_EXECUTE):
        try:
            preview_result = service.preview_model(
                get_database(), model, timeout_ms=statement_timeout_ms()
            )
        except ModelingError as exc:
            preview_error = exc.message
    return render_template(
        "models/detail.html",
        model=model,
        refresh=service.latest_refresh(session, model.id),
        result=preview_result,
        preview_error=preview_error,
        dashboards=service.dashboards_using(session, model.id),
    )


@bp.get("/<int:model_id>/edit")
@requires(Permission.DATA_MODEL_EDIT)
def edit(project_id: int, model_id: int, access: ProjectAccess):
    model = _model(project_id, model_id)
    mode = "sql" if (model.query_json or {}).get("mode") == "sql" else "builder"
    return render_template("models/builder.html", model=model, mode=mode)


@bp.post("/<int:model_id>")
@requires(Permission.DATA_MODEL_EDIT)
@json_errors
def update(project_id: int, model_id: int, access: ProjectAccess):
    _model(project_id, model_id)
    return _save(project_id, model_id)


@bp.post("/<int:model_id>/execute")
@requires(Permission.DATA_MODEL_EXECUTE)
@json_errors
def execute(project_id: int, model_id: int, access: ProjectAccess):
    """UC-DM-03: the stored query, up to the tier's row limit."""
    model = _model(project_id, model_id)
    result = service.preview_model(
        get_database(), model, limit=None, timeout_ms=statement_timeout_ms()
    )
    return jsonify(result.as_dict())


@bp.post("/<int:model_id>/preview")
@requires(Permission.DATA_MODEL_EXECUTE)
@json_errors
def preview_saved(project_id: int, model_id: int, access: ProjectAccess):
    model = _model(project_id, model_id)
    result = service.preview_model(get_database(), model, timeout_ms=statement_timeout_ms())
    return jsonify(result.as_dict())


@bp.post("/<int:model_id>/refresh")
@requires(Permission.DATA_MODEL_EDIT)
def refresh(project_id: int, model_id: int, access: ProjectAccess):
    """UC-DM-04: queue a rebuild; the page shows its progress and outcome."""
    model = _model(project_id, model_id)
    service.request_refresh(db_session(), model, current_user.id)
    flash("The data model refresh has been queued.", "success")
    return redirect(url_for("models.detail", project_id=project_id, model_id=model_id))


@bp.post("/<int:model_id>/copy")
@requires(Permission.DATA_MODEL_CREATE)
def copy(project_id: int, model_id: int, access: ProjectAccess):
    """UC-DM-05."""
    new_model = service.copy_model(
        db_session(), get_database(), project_id, model_id, current_user.id
    )
    flash(f"“{new_model.name}” has been created.", "success")
    return redirect(url_for("models.detail", project_id=project_id, model_id=new_model.id))


@bp.route("/<int:model_id>/delete", methods=["GET", "POST"])
@requires(Permission.DATA_MODEL_DELETE)
def delete(project_id: int, model_id: int, access: ProjectAccess):
    """UC-DM-06: the dashboards that use the model are named before confirming."""
    session = db_session()
    model = _model(project_id, model_id)
    if request.method == "POST":
        name, table = service.delete_model(session, get_database(), project_id, model_id)
        commit()
        drop_model_table(get_database(), project_id, table)
        flash(f"The data model “{name}” has been deleted.", "success")
        return redirect(url_for("models.index", project_id=project_id))
    return render_template(
        "models/delete.html",
        model=model,
        dashboards=service.dashboards_using(session, model_id),
        readers=service.models_reading(session, model_id),
    )


@bp.get("/<int:model_id>/dbt")
@requires(Permission.DATA_MODEL_VIEW)
@json_errors
def dbt(project_id: int, model_id: int, access: ProjectAccess):
    """The model as a dbt model file (source()/ref() instead of schema names)."""
    model = _model(project_id, model_id)
    body = to_dbt(
        service.catalog_for(get_database(), project_id),
        model.name,
        model.query,
        model.query_json,
    )
    return Response(
        body,
        mimetype="text/plain",
        headers={"Content-Disposition": f'attachment; filename="{dbt_file_name(model.name)}"'},
    )
