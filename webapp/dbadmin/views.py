"""/admin/database: thin views over dra.operations.

The backups, alerts and schedules tables are visible under row-level security to platform
admins only; database admins who are not platform admins are authorized here by
``db_admin_required``, so these views read and write through the system session.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select

from dra import migrate
from dra.models import Alert, Backup, BackupSchedule, PipelineRequest, User
from dra.operations import faults
from dra.operations.archive import InvalidBackup
from dra.operations.backups import backup_path, list_backups, operation_in_progress, request_backup
from dra.operations.db_access import AccessError, grant_db_admin, revoke_db_admin, role_state
from dra.operations.locking import OperationBusy
from dra.operations.migrations import apply_migrations
from dra.operations.restore import request_restore, store_upload
from dra.operations.schedules import save_schedule
from dra.pipeline_requests import current_step, latest_request
from webapp.authz import platform_admin_required
from webapp.database import app_settings, get_database
from webapp.dbadmin.access import db_admin_required
from webapp.errors import on_error, wants_json

bp = Blueprint("dbadmin", __name__, url_prefix="/admin/database")


def _page(status: int = 200, **extra):
    """The database page, with ``extra`` (errors, a one-time password) on top."""
    database = get_database()
    with database.system_session() as s:
        context = {
            "migration": migrate.status(database.url),
            "backups": list_backups(s, app_settings()),
            "operation": operation_in_progress(s),
            "schedules": s.scalars(select(BackupSchedule).order_by(BackupSchedule.id)).all(),
            "alerts": s.scalars(
                select(Alert)
                .where(Alert.acknowledged_at.is_(None))
                .order_by(Alert.created_at.desc())
                .limit(20)
            ).all(),
            "db_admins": [
                (u, role_state(database, u.id))
                for u in s.scalars(
                    select(User).where(User.is_db_admin.is_(True)).order_by(User.email)
                )
            ],
        }
    context["operation_url"] = _operation_page(context["operation"])
    context["faults"] = sorted(faults.active_faults())
    context.update(extra)
    return render_template("dbadmin/index.html", **context), status


def _operation_page(operation: PipelineRequest | None) -> str | None:
    """The progress page of a backup or restore request."""
    if operation is None:
        return None
    if operation.kind == "backup":
        return url_for("dbadmin.backup_page", backup_id=operation.target_id)
    return url_for("dbadmin.restore_page", request_id=operation.id)


def _started(message: str, page: str, **ids):
    """Post/redirect/get: a browser goes to the operation's own page (refreshing it
    repeats a GET, never the POST); API clients get 202 and the page as Location."""
    if wants_json():
        return jsonify(message=message, **ids), 202, {"Location": page}
    flash(message, "success")
    return redirect(page, code=303)


def _busy(exc: OperationBusy):
    """A backup or restore is already open: nothing new starts. API clients get 409; a
    browser (a double click, a re-sent form) is taken to the open operation's page."""
    if wants_json():
        return jsonify(message=str(exc)), 409
    with get_database().system_session() as s:
        page = _operation_page(operation_in_progress(s))
    flash(f"{exc} Nothing new was started.", "warning")
    return redirect(page or url_for("dbadmin.index"), code=303)


def _refused(exc):
    """The ``on_error`` answer of this page: an open operation is shown (``_busy``),
    anything else is said on the page with its status."""
    if isinstance(exc, OperationBusy):
        return _busy(exc)
    return _answer(exc.status, exc.message, "error")


def _answer(status: int, message: str, category: str = "success", **data):
    """JSON for API clients, otherwise the page with the message (same status)."""
    if wants_json():
        return jsonify(message=message, **data), status
    flash(message, category)
    if status in (200, 303):
        return redirect(url_for("dbadmin.index"), code=303)
    return _page(status)


@bp.get("/")
@db_admin_required
def index():
    return _page()


@bp.post("/migrations/apply")
@db_admin_required
def apply():
    result = apply_migrations(get_database().url)
    if not result.ok:
        return _answer(
            500, result.message + " An alert was recorded for review.", "error", ok=False
        )
    return _answer(303, result.message, ok=True, revision=result.after)


@bp.post("/backups")
@db_admin_required
def backup_now():
    on_error(_refused)
    with get_database().system_session() as s:
        backup, req = request_backup(s, requested_by=current_user.id)
        ids = {"backup_id": backup.id, "request_id": req.id}
    page = url_for("dbadmin.backup_page", backup_id=ids["backup_id"])
    return _started("Backup job queued.", page, **ids)


def _backup_state(b: Backup) -> dict:
    return {
        "id": b.id,
        "file_name": b.file_name,
        "status": b.status,
        "phase": b.phase,
        "progress": b.progress,
        "drill_status": b.drill_status,
        "drill_seconds": b.drill_seconds,
        "error": b.error,
        "attempt": b.attempt,
        "next_retry_at": b.next_retry_at.isoformat() if b.next_retry_at else None,
        # keep watching: queued, running, drilling, or failed with a retry scheduled
        "open": b.status in ("queued", "running")
        or b.drill_status == "pending"
        or b.next_retry_at is not None,
    }


def _row_or_404(session, model, row_id: int):
    row = session.get(model, row_id)
    if row is None:
        abort(404)
    return row


def _backup_state_or_404(backup_id: int) -> dict:
    with get_database().system_session() as s:
        b = _row_or_404(s, Backup, backup_id)
        # what the backup's run is doing, in words, while it runs
        return {**_backup_state(b), "step": current_step(latest_request(s, "backup", b.id))}


def _progress_page(kind: str, state: dict, progress_url: str):
    """The page that follows one backup or restore (its script polls ``progress_url``)."""
    return render_template(
        "dbadmin/operation.html", kind=kind, state=state, progress_url=progress_url
    )


@bp.get("/backups/<int:backup_id>")
@db_admin_required
def backup_page(backup_id: int):
    state = _backup_state_or_404(backup_id)
    return _progress_page("backup", state, url_for("dbadmin.progress", backup_id=backup_id))


@bp.get("/backups/<int:backup_id>/progress")
@db_admin_required
def progress(backup_id: int):
    return jsonify(_backup_state_or_404(backup_id))


def _restore_state(request_id: int) -> dict | None:
    with get_database().system_session() as s:
        req = s.get(PipelineRequest, request_id)
        if req is None or req.kind != "restore":
            return None
        backup = s.get(Backup, req.target_id) if req.target_id else None
        return {
            "id": req.id,
            "status": req.status,
            "progress": req.progress,
            "message": req.message,
            "step": req.step,
            "error": req.error,
            "backup_id": req.target_id,
            "file_name": backup.file_name if backup else None,
            "open": req.status in ("queued", "running"),
        }


@bp.get("/restores/<int:request_id>")
@db_admin_required
def restore_page(request_id: int):
    state = _restore_state(request_id)
    if state is None:
        abort(404)
    return _progress_page(
        "restore", state, url_for("dbadmin.restore_progress", request_id=request_id)
    )


@bp.get("/restores/<int:request_id>/progress")
@db_admin_required
def restore_progress(request_id: int):
    state = _restore_state(request_id)
    if state is None:
        # after the switch the restored database holds no record of this request
        return jsonify(message="This restore request is not in the database."), 404
    return jsonify(state)


@bp.get("/backups/<int:backup_id>/download")
@db_admin_required
def download(backup_id: int):
    with get_database().system_session() as s:
        b = s.get(Backup, backup_id)
        if b is None or b.status != "succeeded":
            abort(404)
        path = backup_path(app_settings(), b.file_name)
    if not path.is_file():
        abort(404, description="The file is no longer in the backup folder.")
    return send_file(path, as_attachment=True, download_name=path.name)


def _confirmed() -> bool:
    return request.form.get("confirm", "").strip().lower() == "restore"


def _unconfirmed():
    """The refusal of a restore whose form does not say RESTORE (nothing starts)."""
    return _answer(
        400,
        "Type RESTORE in the confirmation field: restoring replaces the whole database.",
        "error",
    )


@bp.post("/backups/<int:backup_id>/restore")
@db_admin_required
def restore(backup_id: int):
    if not _confirmed():
        return _unconfirmed()
    on_error(_refused)
    with get_database().system_session() as s:
        req = request_restore(s, backup_id=backup_id, requested_by=current_user.id)
        request_id = req.id
    page = url_for("dbadmin.restore_page", request_id=request_id)
    return _started("Restore job queued.", page, request_id=request_id)


@bp.post("/restore/upload")
@db_admin_required
def upload():
    file = request.files.get("archive")
    if file is None or not file.filename:
        return _answer(400, "Choose a backup ZIP file to upload (field 'archive').", "error")
    if not _confirmed():
        return _unconfirmed()
    on_error(_refused)
    try:
        with get_database().system_session() as s:
            from dra.operations.backups import ensure_idle

            ensure_idle(s)
            backup = store_upload(
                s,
                app_settings(),
                file.stream,
                requested_by=current_user.id,
                url=get_database().url,
            )
            req = request_restore(s, backup_id=backup.id, requested_by=current_user.id)
            ids = {"backup_id": backup.id, "request_id": req.id}
    except InvalidBackup as exc:
        raise InvalidBackup(f"The archive cannot be restored: {exc}") from exc
    page = url_for("dbadmin.restore_page", request_id=ids["request_id"])
    return _started("Upload accepted and validated; restore job queued.", page, **ids)


@bp.post("/schedules")
@bp.post("/schedules/<int:schedule_id>")
@db_admin_required
def schedule(schedule_id: int | None = None):
    form = request.form
    on_error(lambda exc: _page(exc.status, schedule_error=exc, schedule_form=form))
    with get_database().system_session() as s:
        saved = save_schedule(
            s,
            schedule_id=schedule_id,
            name=form.get("name", ""),
            cron=form.get("cron", ""),
            retention_count=form.get("retention_count", ""),
            enabled=form.get("enabled") in ("on", "true", "1"),
            timezone=form.get("timezone", "UTC") or "UTC",
            created_by=current_user.id,
        )
        next_at = saved.next_run_at
    when = f"; next backup {next_at:%Y-%m-%d %H:%M} UTC" if next_at else " (disabled)"
    return _answer(303, f"Backup schedule saved{when}.")


@bp.post("/schedules/<int:schedule_id>/delete")
@db_admin_required
def delete_schedule(schedule_id: int):
    with get_database().system_session() as s:
        s.delete(_row_or_404(s, BackupSchedule, schedule_id))
    return _answer(303, "Backup schedule deleted.")


@bp.post("/alerts/<int:alert_id>/acknowledge")
@db_admin_required
def acknowledge(alert_id: int):
    from datetime import UTC, datetime

    with get_database().system_session() as s:
        alert = _row_or_404(s, Alert, alert_id)
        alert.acknowledged_at, alert.acknowledged_by = datetime.now(UTC), current_user.id
    return _answer(303, "Alert acknowledged.")


@bp.post("/access")
@platform_admin_required
def grant():
    email = request.form.get("email", "").strip().lower()
    with get_database().system_session() as s:
        user_id = (
            s.scalar(select(User.id).where(func.lower(User.email) == email)) if email else None
        )
    if user_id is None:
        if wants_json():
            return jsonify(message="No user has this email.", field="email"), 422
        return _page(422, access_error="No user has this email.")
    on_error(_refused)
    granted = grant_db_admin(
        get_database(),
        user_id,
        login_role=request.form.get("login_role") in ("on", "true", "1"),
    )
    message = f"{granted.email} now has database-admin access."
    if wants_json():
        return jsonify(message=message, role=granted.role, password=granted.password), 200
    # The role's password is shown once, in this response only (never stored, never flashed).
    body, status = _page(200, granted=granted, notice=message)
    return body, status, {"Cache-Control": "no-store"}


@bp.post("/access/<int:user_id>/revoke")
@platform_admin_required
def revoke(user_id: int):
    try:
        dropped = revoke_db_admin(get_database(), user_id)
    except AccessError:
        abort(404)
    return _answer(
        303,
        "Database-admin access revoked"
        + (" and the PostgreSQL login role dropped." if dropped else "."),
    )
