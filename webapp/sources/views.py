"""Data source pages (UC-DS-01..06, 12..15). Thin: authorize, call dra.sources, render."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from dra.billing.limits import Limit, check_project_limit
from dra.ingestion.connectors import database_types
from dra.permissions import Permission
from dra.security.crypto import Vault
from dra.sources import inspect, service
from dra.sources.service import SourceError
from dra.sources.uploads import UploadRejected, store_upload
from webapp.authz import ProjectAccess, project_scoped, requires
from webapp.database import app_settings, commit, db_session, get_database, rollback
from webapp.errors import error_page, on_error
from webapp.sources.forms import FileSourceForm

bp = project_scoped(Blueprint("sources", __name__, url_prefix="/projects/<int:project_id>/sources"))

DRAFT_KEY = "source_draft"
FILE_KINDS = {"csv": "CSV", "excel": "Excel (.xlsx, .xls)", "pdf": "PDF"}


def _source(project_id: int, source_id: int):
    try:
        return service.get_source(db_session(), project_id, source_id)
    except LookupError:
        abort(404, description="No such data source in this project.")


@bp.get("/")
@requires(Permission.DATA_SOURCE_VIEW)
def index(project_id: int, access: ProjectAccess):
    rows = service.list_sources(db_session(), project_id)
    return render_template("sources/index.html", rows=rows)


@bp.get("/status.json")
@requires(Permission.DATA_SOURCE_VIEW)
def status(project_id: int, access: ProjectAccess):
    """The list's live part, polled by the page while an ingestion runs."""
    return jsonify(sources=[r.as_json() for r in service.list_sources(db_session(), project_id)])


def check_source_limit(project_id: int) -> None:
    """LimitExceeded (403, with the upgrade message) when the project owner's tier allows
    no more sources: checked before a form is shown, a file stored or a provider asked."""
    check_project_limit(db_session(), get_database(), project_id, Limit.SOURCES_PER_PROJECT)


def _draft_details(project_id: int, source_type: str) -> dict | None:
    draft = session.get(DRAFT_KEY)
    if not draft or draft.get("project_id") != project_id or draft.get("type") != source_type:
        return None
    return Vault(app_settings().encryption_keys).decrypt_json(draft["token"].encode())


def _database_form(*, form: dict, error: SourceError | None = None, tables=None):
    return render_template(
        "sources/new_database.html",
        form=form,
        error=error,
        tables=tables,
        types=database_types(),
        has_draft=session.get(DRAFT_KEY) is not None,
    )


@bp.route("/new/database", methods=["GET", "POST"])
@requires(Permission.DATA_SOURCE_CREATE)
def new_database(project_id: int, access: ProjectAccess):
    """Step 1 tests the connection and lists tables; step 2 saves (tested live again)."""
    check_source_limit(project_id)
    if request.method == "GET":
        session.pop(DRAFT_KEY, None)
        return _database_form(form={"type": "postgresql", "port": "5432"})
    form = {k: v for k, v in request.form.items() if k not in ("password", "csrf_token")}
    source_type = request.form.get("type", "")
    if request.form.get("action") == "save":
        return _save_database(project_id, source_type, form)
    details = service.connection_details(request.form)

    def refused(exc):
        session.pop(DRAFT_KEY, None)
        return _database_form(form=form, error=exc), 400

    on_error(refused)
    tables = service.check_connection(source_type, details, app_settings())
    session[DRAFT_KEY] = {
        "project_id": project_id,
        "type": source_type,
        "token": Vault(app_settings().encryption_keys).encrypt_json(details).decode(),
    }
    flash("The data source has been connected. Choose the tables to ingest.", "success")
    return _database_form(form=form, tables=tables)


def _save_database(project_id: int, source_type: str, form: dict):
    details = _draft_details(project_id, source_type)
    if details is None:
        error = SourceError("Test the connection first.", field="type")
        return _database_form(form=form, error=error), 400
    chosen = request.form.getlist("tables")
    incremental = {t: request.form.get(f"cursor__{t}", "") for t in chosen}

    def refused(exc):
        if not isinstance(exc, SourceError):
            return error_page(exc)
        tables = None
        if exc.field in ("tables", "incremental", "name"):  # let the user choose again
            try:
                tables = service.check_connection(source_type, details, app_settings())
            except SourceError:
                tables = None
        return _database_form(form=form, error=exc, tables=tables), 400

    on_error(refused)
    source = service.create_database_source(
        db_session(),
        get_database(),
        project_id=project_id,
        user_id=current_user.id,
        name=form.get("name", ""),
        source_type=source_type,
        details=details,
        settings=app_settings(),
        selected_tables=chosen,
        incremental=incremental,
    )
    session.pop(DRAFT_KEY, None)
    flash(f"“{source.name}” has been added; its tables are being ingested.", "success")
    return redirect(url_for("sources.detail", project_id=project_id, source_id=source.id))


@bp.route("/new/file", methods=["GET", "POST"])
@requires(Permission.DATA_SOURCE_CREATE)
def new_file(project_id: int, access: ProjectAccess):
    check_source_limit(project_id)
    if request.method == "GET":
        return _file_form({"kind": "csv"})
    form = FileSourceForm()
    values = {"kind": form.kind.data, "name": form.name.data}

    def refused(exc):
        if isinstance(exc, UploadRejected):  # about the file, said beside it
            exc = SourceError(exc.message, field="file")
        return _file_form(values, exc), 400

    on_error(refused)
    source, stored = save_upload(project_id, form.file.data, values["kind"], values["name"])
    flash(f"“{source.name}” has been uploaded ({stored.summary}); it is being ingested.", "success")
    return redirect(url_for("sources.detail", project_id=project_id, source_id=source.id))


def save_upload(project_id: int, upload, kind: str | None, name: str | None):
    """Store an uploaded file, record its source and queue its ingestion, committed:
    (source, stored file). The page and the API both add files through here."""
    if upload is None or not upload.filename:
        raise SourceError("Choose a file to upload.", field="file")
    settings = app_settings()
    stored = None
    try:
        stored = store_upload(
            upload.stream,
            upload.filename,
            data_dir=settings.data_dir,
            project_id=project_id,
            requested_type=kind,
            max_bytes=settings.upload_max_bytes,
        )
        source = service.create_file_source(
            db_session(),
            get_database(),
            project_id=project_id,
            user_id=current_user.id,
            name=name,
            upload=stored,
        )
        commit()
    except BaseException:  # nothing saved: the stored file goes too
        rollback()
        if stored is not None:
            stored.path.unlink(missing_ok=True)
        raise
    return source, stored


def _file_form(form: dict, error: SourceError | None = None):
    return render_template("sources/new_file.html", kinds=FILE_KINDS, form=form, error=error)


@bp.get("/<int:source_id>")
@requires(Permission.DATA_SOURCE_VIEW)
def detail(project_id: int, source_id: int, access: ProjectAccess):
    source = _source(project_id, source_id)
    schema_error = None
    try:
        schema = inspect.source_schema(source, app_settings())
        commit()  # the refreshed schema cache
    except SourceError as exc:
        rollback()
        schema, schema_error = None, str(exc)
        source = _source(project_id, source_id)
    preview = preview_error = None
    wanted = request.args.get("table") or (source.tables[0].raw_table if source.tables else None)
    if wanted:
        try:
            preview = inspect.preview_table(get_database(), source, wanted)
        except LookupError as exc:
            preview_error = str(exc)
    status = next(
        (r for r in service.list_sources(db_session(), project_id) if r.id == source_id), None
    )
    return render_template(
        "sources/detail.html",
        source=source,
        schema=schema,
        schema_error=schema_error,
        preview=preview,
        preview_error=preview_error,
        status=status,
    ), (400 if schema_error and not source.tables else 200)


@bp.post("/<int:source_id>/refresh")
@requires(Permission.DATA_SOURCE_EDIT)
def refresh(project_id: int, source_id: int, access: ProjectAccess):
    source = _source(project_id, source_id)
    service.check_reachable(source, app_settings())  # ALT-DS14A: nothing queued, last data kept
    request_id, queued = service.request_refresh(db_session(), source, current_user.id)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(request_id=request_id, queued=queued), 202
    flash(
        "A refresh has been requested." if queued else "A refresh is already under way.", "success"
    )
    if request.form.get("back") == "list":
        return redirect(url_for("sources.index", project_id=project_id))
    return redirect(url_for("sources.detail", project_id=project_id, source_id=source_id))


@bp.route("/<int:source_id>/delete", methods=["GET", "POST"])
@requires(Permission.DATA_SOURCE_DELETE)
def delete(project_id: int, source_id: int, access: ProjectAccess):
    source = _source(project_id, source_id)
    if request.method == "GET":
        models = service.dependent_models(db_session(), source_id)
        return render_template("sources/delete.html", source=source, models=models)
    if request.form.get("confirm") != "yes":
        abort(400, description="Confirm the deletion by ticking the box.")
    deleted = service.delete_source(db_session(), source)
    commit()
    service.remove_source_data(get_database(), app_settings(), deleted)
    message = f"“{deleted.name}” has been deleted."
    if deleted.broken_models:
        message += f" Marked broken: {', '.join(deleted.broken_models)}."
    flash(message, "success")
    return redirect(url_for("sources.index", project_id=project_id))
