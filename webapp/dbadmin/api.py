"""Database backups as JSON (UC-ADM-05/06) under ``/api/v1/admin``: list backups, start
one, follow a backup or a restore.

The same people as the database pages: platform admins and users granted database-admin
access (403 for anyone else). Rows are read and written through the system session, as
the pages do (``dra.operations``). Starting a backup answers 202 with the backup, its
pipeline request id and ``Location`` (``GET /api/v1/admin/backups/<id>``) to poll until
``open`` is false; while a backup or a restore is open nothing new starts (409).
Restoring replaces the whole database and stays on the page (it asks the admin to type
RESTORE): the API reads a restore's status only.
"""

from __future__ import annotations

from datetime import datetime

from flask import request, url_for
from flask_login import current_user
from pydantic import Field
from sqlalchemy import func, select

from dra.errors import NotFound
from dra.models import Backup
from dra.operations.backups import list_backups, request_backup
from dra.pipeline_requests import current_step, latest_request
from webapp.api import DB_ADMIN, Model, Page, PageQuery, api_blueprint, operation, out, page_of
from webapp.database import app_settings, get_database
from webapp.dbadmin.views import _backup_state, _restore_state

bp = api_blueprint("backups", "/admin")
TAGS = ["admin"]


class BackupOut(Model):
    id: int
    file_name: str
    kind: str = Field(description="manual or scheduled")
    status: str = Field(description="queued, running, succeeded or failed")
    phase: str | None
    progress: int
    step: str | None = Field(None, description="what its run is doing, while it runs")
    size_bytes: int | None
    drill_status: str | None = Field(description="the restore drill of the file")
    drill_seconds: float | None
    error: str | None
    attempt: int | None
    next_retry_at: str | None
    open: bool = Field(description="still to watch: queued, running, drilling or retrying")
    exists: bool | None = Field(None, description="its file is on disk (in lists)")
    created_at: datetime


class BackupStarted(Model):
    backup: BackupOut
    request_id: int = Field(description="the backup's pipeline request")


class RestoreOut(Model):
    id: int
    status: str = Field(description="queued, running, succeeded or failed")
    progress: int
    message: str | None
    step: str | None
    error: str | None
    backup_id: int | None
    file_name: str | None
    open: bool


def _backup(b: Backup, **extra) -> dict:
    return {
        **_backup_state(b),
        "kind": b.kind,
        "size_bytes": b.size_bytes,
        "created_at": b.created_at,
        **extra,
    }


@bp.get("/backups")
@operation(DB_ADMIN, query=PageQuery, resp={200: Page[BackupOut]}, tags=TAGS)
def backup_list():
    """Backups, newest first, each with whether its file is still on disk."""
    query = request.context.query
    settings = app_settings()
    with get_database().system_session() as s:
        total = s.scalar(select(func.count()).select_from(Backup)) or 0
        rows = list_backups(s, settings, limit=query.page * query.limit)
        items = [_backup(r["backup"], exists=r["exists"]) for r in rows]
    start = (query.page - 1) * query.limit
    return page_of(BackupOut, items[start:], total=total, page=query.page, limit=query.limit)


@bp.post("/backups")
@operation(DB_ADMIN, resp={202: BackupStarted}, tags=TAGS)
def backup_start():
    """Start a backup (409 while a backup or restore is open). Poll ``Location``."""
    with get_database().system_session() as s:
        backup, req = request_backup(s, requested_by=current_user.id)
        body = {"backup": _backup(backup), "request_id": req.id}
        backup_id = backup.id
    location = url_for("api_backups.backup_get", backup_id=backup_id)
    return out(BackupStarted, body, 202, {"Location": location})


@bp.get("/backups/<int:backup_id>")
@operation(DB_ADMIN, resp={200: BackupOut}, tags=TAGS)
def backup_get(backup_id: int):
    """One backup: its status, phase, progress, restore drill and what its run is doing."""
    with get_database().system_session() as s:
        b = s.get(Backup, backup_id)
        if b is None:
            raise NotFound("No such backup.", field="backup_id")
        body = _backup(b, step=current_step(latest_request(s, "backup", b.id)))
    return out(BackupOut, body)


@bp.get("/restores/<int:request_id>")
@operation(DB_ADMIN, resp={200: RestoreOut}, tags=TAGS)
def restore_get(request_id: int):
    """A restore's status (after the switch the restored database may not hold it: 404)."""
    state = _restore_state(request_id)
    if state is None:
        raise NotFound("No such restore request in this database.", field="request_id")
    return out(RestoreOut, state)
