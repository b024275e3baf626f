"""Backups (UC-ADM-05): pg_dump with the matching client, one ZIP with metadata, progress
by phase on the ``backups`` row, retention, and a restore drill that proves the file works.

The web app calls :func:`request_backup` (records a ``backups`` row and a pipeline request,
answers at once); the Dagster backup asset calls :func:`run_backup` then
:func:`drill_backup`. Everything here is plain Python: no Flask, no Dagster.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

import dra
from dra.db import Database, connect_once, with_database
from dra.errors import DraError
from dra.models import Backup, PipelineRequest, User
from dra.operations import faults
from dra.operations.archive import (
    APPLICATION,
    CHUNK,
    DUMP_NAME,
    FORMAT,
    METADATA_NAME,
    ArchiveInfo,
    ArchiveLimits,
    extract_dump,
    inspect_archive,
    timestamped_name,
)
from dra.operations.locking import (
    OPERATION_DEDUPE_KEY,
    OperationBusy,
    maintenance_url,
    operation_lock,
)
from dra.operations.pgtools import (
    Runner,
    ToolError,
    first_lines,
    libpq_connection,
    matching_tool,
    run_tool,
    server_version,
)
from dra.project_roles import create_missing_roles, roles_named_in
from dra.settings import Settings

Progress = Callable[[str, int], None]
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")


class BackupError(DraError, RuntimeError):
    """A backup could not be made; the message says why."""

    status = 500


# --------------------------------------------------------------------------- requests
def request_backup(
    session: Session,
    *,
    requested_by: int | None,
    kind: str = "manual",
    schedule_id: int | None = None,
) -> tuple[Backup, PipelineRequest]:
    """Record a queued backup and its pipeline request; OperationBusy if one is open."""
    ensure_idle(session)
    backup = Backup(
        file_name=_free_name(session),
        kind=kind,
        status="queued",
        schedule_id=schedule_id,
        requested_by=requested_by,
        phase="queued",
    )
    session.add(backup)
    session.flush()
    request = enqueue_operation(session, "backup", backup.id, requested_by, "Backup job queued.")
    return backup, request


def ensure_idle(session: Session) -> None:
    """Raise OperationBusy when a backup or restore is queued or running."""
    if operation_in_progress(session) is not None:
        raise OperationBusy("A backup or restore is already in progress.")


def enqueue_operation(
    session: Session, kind: str, backup_id: int, requested_by: int | None, message: str
) -> PipelineRequest:
    """A backup/restore request; the unique dedupe key allows one open at a time."""
    request = PipelineRequest(
        kind=kind,
        target_id=backup_id,
        requested_by=requested_by,
        payload={"backup_id": backup_id},
        status="queued",
        dedupe_key=OPERATION_DEDUPE_KEY,
        message=message,
    )
    try:
        with session.begin_nested():
            session.add(request)
            session.flush()
    except IntegrityError:  # a concurrent request won the unique index
        raise OperationBusy("A backup or restore is already in progress.") from None
    return request


def _free_name(session: Session) -> str:
    base = timestamped_name()
    name, n = base, 1
    while session.scalar(select(Backup.id).where(Backup.file_name == name)) is not None:
        n += 1
        name = base.replace(".zip", f"-{n}.zip")
    return name


def operation_in_progress(session: Session) -> PipelineRequest | None:
    """The open backup or restore request, if any."""
    return session.scalar(
        select(PipelineRequest)
        .where(
            PipelineRequest.dedupe_key == OPERATION_DEDUPE_KEY,
            PipelineRequest.status.in_(("queued", "running")),
        )
        .limit(1)
    )


# ------------------------------------------------------------------------------ runs
@dataclass(frozen=True)
class BackupOutcome:
    backup_id: int
    path: Path
    size_bytes: int
    sha256: str
    tables: dict[str, int]
    seconds: float


def backup_path(settings: Settings, file_name: str) -> Path:
    """The file of a backup; names are ours, but never let one leave the folder."""
    if not file_name or "/" in file_name or "\\" in file_name or file_name.startswith("."):
        raise BackupError(f"Invalid backup file name {file_name!r}.")
    return settings.backup_dir / file_name


def run_backup(
    database: Database,
    settings: Settings,
    backup_id: int,
    *,
    runner: Runner = subprocess.Popen,
    progress: Progress | None = None,
    attempt: int = 1,
) -> BackupOutcome:
    """Dump the database into the backup's ZIP; on any failure no file is left behind."""
    started = time.monotonic()
    report = progress or _row_progress(database, backup_id)
    with database.system_session() as s:
        backup = s.get(Backup, backup_id)
        if backup is None:
            raise BackupError(f"Backup #{backup_id} does not exist.")
        file_name, requested_by = backup.file_name, backup.requested_by
        author = _author(s, requested_by)
    with operation_lock(database.url, "backup"):
        _set_backup(
            database,
            backup_id,
            status="running",
            phase="starting",
            progress=1,
            attempt=attempt,
            error=None,
            next_retry_at=None,
            started_at=datetime.now(UTC),
            finished_at=None,
        )
        settings.backup_dir.mkdir(parents=True, exist_ok=True)
        target = backup_path(settings, file_name)
        partial = target.with_name(target.name + ".partial")
        try:
            metadata = write_archive(
                database.url, partial, author=author, runner=runner, progress=report
            )
            os.replace(partial, target)
        except BaseException:
            with suppress(FileNotFoundError):
                partial.unlink()
            raise
    size = target.stat().st_size
    _set_backup(
        database,
        backup_id,
        status="succeeded",
        phase="stored",
        progress=90,
        size_bytes=size,
        sha256=metadata["dump"]["sha256"],
        metadata_=metadata,
        finished_at=datetime.now(UTC),
    )
    return BackupOutcome(
        backup_id,
        target,
        size,
        metadata["dump"]["sha256"],
        metadata["tables"],
        time.monotonic() - started,
    )


def _set_backup(database: Database, backup_id: int, **values: Any) -> None:
    """Update the backup's row in its own transaction (seen at once by the status pages)."""
    with database.system_session() as s:
        s.execute(update(Backup).where(Backup.id == backup_id).values(**values))


def _author(session: Session, user_id: int | None) -> dict[str, Any]:
    if user_id is None:
        return {"id": None, "email": None, "label": "scheduler"}
    email = session.scalar(select(User.email).where(User.id == user_id))
    return {"id": user_id, "email": email, "label": email or f"user #{user_id}"}


def write_archive(
    url: str,
    path: Path,
    *,
    author: dict[str, Any] | None = None,
    runner: Runner = subprocess.Popen,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """pg_dump (custom format) streamed into ``path`` (a ZIP) with metadata.json; returns it.

    Row counts and the dump share one exported snapshot, so the metadata describes
    exactly the data in the dump even while the platform keeps writing.
    """
    report = progress or (lambda _phase, _pct: None)
    pg_dump = matching_tool("pg_dump", url)
    major, full_version = server_version(url)
    with connect_once(url, isolation_level="REPEATABLE READ") as conn, conn.begin():
        snapshot = conn.execute(text("select pg_export_snapshot()")).scalar_one()
        report("counting rows", 5)
        tables = count_rows(conn)
        revision = _revision(conn)
        size_estimate = conn.execute(
            text("select pg_database_size(current_database())")
        ).scalar_one()
        report("dumping", 10)
        digest, dump_size = _dump_into_zip(
            pg_dump,
            url,
            snapshot,
            path,
            runner=runner,
            estimate=max(1, int(size_estimate) // 4),
            progress=report,
        )
    report("writing metadata", 85)
    metadata = {
        "format": FORMAT,
        "application": APPLICATION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "created_by": author or {"id": None, "email": None, "label": "command line"},
        "platform_version": dra.__version__,
        "alembic_revision": revision,
        "server_version": full_version,
        "server_major": major,
        "pg_dump": str(pg_dump),
        "tables": tables,
        "dump": {"file": DUMP_NAME, "format": "custom", "sha256": digest, "size_bytes": dump_size},
    }
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr(METADATA_NAME, json.dumps(metadata, indent=2, sort_keys=True))
    return metadata


def _dump_into_zip(
    pg_dump: Path,
    url: str,
    snapshot: str,
    path: Path,
    *,
    runner: Runner,
    estimate: int,
    progress: Progress,
) -> tuple[str, int]:
    conn = libpq_connection(url)
    args = [
        str(pg_dump),
        "--format=custom",
        "--no-password",
        f"--snapshot={snapshot}",
        f"--dbname={conn.url}",
    ]
    if faults.is_active("pg_dump"):
        args += ["--strict-names", "--table=app.__dra_fault_injected__"]
    digest = hashlib.sha256()
    written = 0
    last_report = time.monotonic()
    with tempfile.TemporaryFile() as errors:
        proc = runner(args, env=conn.env, stdout=subprocess.PIPE, stderr=errors)
        try:
            with (
                zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf,
                zf.open(DUMP_NAME, "w", force_zip64=True) as member,
            ):
                while chunk := proc.stdout.read(CHUNK):
                    digest.update(chunk)
                    member.write(chunk)
                    written += len(chunk)
                    faults.raise_if("disk_full")
                    if time.monotonic() - last_report > 1:
                        progress("dumping", 10 + min(70, 70 * written // estimate))
                        last_report = time.monotonic()
                code = proc.wait()
                if code != 0:
                    errors.seek(0)
                    raise ToolError(f"pg_dump failed (exit {code}): {first_lines(errors.read())}")
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            if proc.stdout:
                proc.stdout.close()
    return digest.hexdigest(), written


def count_rows(conn: Connection) -> dict[str, int]:
    """Rows per table (``schema.table``) of every user schema, partitions counted as leaves."""
    quote = conn.dialect.identifier_preparer.quote
    rows = conn.execute(
        text(
            "select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"  # noqa: E501
            " where c.relkind = 'r' and n.nspname <> all(:system) and n.nspname !~ '^pg_'"
            " order by 1, 2"
        ),
        {"system": list(SYSTEM_SCHEMAS)},
    ).all()
    counts: dict[str, int] = {}
    for schema, table in rows:
        counts[f"{schema}.{table}"] = int(
            conn.execute(text(f"select count(*) from {quote(schema)}.{quote(table)}")).scalar_one()
        )
    return counts


def _revision(conn: Connection) -> str | None:
    exists = conn.execute(text("select to_regclass('app.alembic_version')")).scalar()
    if exists is None:
        return None
    return conn.execute(text("select version_num from app.alembic_version")).scalar()


def _row_progress(database: Database, backup_id: int) -> Progress:
    def report(phase: str, pct: int) -> None:
        with database.system_session() as s:
            s.execute(
                update(Backup)
                .where(Backup.id == backup_id)
                .values(phase=phase, progress=max(0, min(100, pct)))
            )
            s.execute(
                update(PipelineRequest)
                .where(
                    PipelineRequest.kind == "backup",
                    PipelineRequest.target_id == backup_id,
                    PipelineRequest.status.in_(("queued", "running")),
                )
                .values(progress=max(0, min(100, pct)), message=f"Backup: {phase}")
            )

    return report


# --------------------------------------------------------------------------- failures
def record_attempt_failure(
    database: Database, backup_id: int, *, attempt: int, error: str, retry_delay: float | None
) -> datetime | None:
    """Record a failed attempt; with ``retry_delay`` schedule the retry, else alert admins."""
    from dra.alerts import raise_alert

    now = datetime.now(UTC)
    retry_at = now + timedelta(seconds=retry_delay) if retry_delay is not None else None
    with database.system_session() as s:
        backup = s.get(Backup, backup_id)
        if backup is None:
            return None
        history = list((backup.metadata_ or {}).get("attempts", []))
        history.append(
            {
                "attempt": attempt,
                "failed_at": now.isoformat(timespec="seconds"),
                "error": error[:2000],
                "retry_at": retry_at.isoformat(timespec="seconds") if retry_at else None,
            }
        )
        backup.status, backup.error, backup.attempt = "failed", error[:4000], attempt
        backup.phase, backup.next_retry_at, backup.finished_at = "failed", retry_at, now
        backup.metadata_ = {**(backup.metadata_ or {}), "attempts": history}
        if retry_at is None:
            raise_alert(
                s,
                source="backup",
                title=f"Backup {backup.file_name} failed",
                details={
                    "backup_id": backup_id,
                    "attempts": attempt,
                    "message": f"Backup failed after {attempt} attempt(s): {error}",
                },
                link="/admin/database/",
            )
    return retry_at


def notify_backup_done(database: Database, backup_id: int) -> None:
    """Tell the admin who asked (and platform admins for scheduled runs) that it worked."""
    from dra.models import Notification

    with database.system_session() as s:
        backup = s.get(Backup, backup_id)
        if backup is None:
            return
        drill = backup.drill_status or "not run"
        recipients = (
            {backup.requested_by}
            if backup.requested_by
            else set(s.scalars(select(User.id).where(User.is_platform_admin.is_(True))))
        )
        for user_id in recipients:
            s.add(
                Notification(
                    user_id=user_id,
                    type="backup.succeeded",
                    title=f"Backup {backup.file_name} is ready",
                    message=f"Size {backup.size_bytes or 0} bytes; restore drill {drill}.",
                    link="/admin/database/",
                )
            )


# ----------------------------------------------------------------------------- drill
@dataclass(frozen=True)
class DrillResult:
    passed: bool
    seconds: float
    mismatches: list[str]


def drill_backup(
    database: Database, settings: Settings, backup_id: int, *, progress: Progress | None = None
) -> DrillResult:
    """Restore the backup into a scratch database, compare row counts and the checksum."""
    report = progress or _row_progress(database, backup_id)
    with database.system_session() as s:
        backup = s.get(Backup, backup_id)
        file_name = backup.file_name
        s.execute(update(Backup).where(Backup.id == backup_id).values(drill_status="pending"))
    report("restore drill", 92)
    started = time.monotonic()
    mismatches: list[str] = []
    try:
        info = inspect_archive(
            backup_path(settings, file_name), ArchiveLimits.from_settings(settings)
        )
        with scratch_restore(database.url, settings, info) as scratch_url:
            mismatches = compare_counts(scratch_url, info.tables)
    except Exception as exc:  # noqa: BLE001 - a failed drill is an outcome, recorded
        mismatches = [str(exc)]
    seconds = round(time.monotonic() - started, 3)
    passed = not mismatches
    with database.system_session() as s:
        backup = s.get(Backup, backup_id)
        backup.drill_status = "passed" if passed else "failed"
        backup.drill_seconds = seconds
        backup.metadata_ = {
            **(backup.metadata_ or {}),
            "drill": {
                "passed": passed,
                "seconds": seconds,
                "mismatches": mismatches[:50],
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
            },
        }
        backup.progress, backup.phase = 100, "done" if passed else "drill failed"
        if not passed:
            from dra.alerts import raise_alert

            raise_alert(
                s,
                source="backup",
                title=f"Restore drill failed for {file_name}",
                details={"backup_id": backup_id, "message": "; ".join(mismatches)[:2000]},
                link="/admin/database/",
            )
    return DrillResult(passed, seconds, mismatches)


@contextmanager
def scratch_restore(url: str, settings: Settings, archive: Path | ArchiveInfo) -> Iterator[str]:
    """Restore an archive's dump into a new scratch database; drop it afterwards."""
    info = (
        archive
        if isinstance(archive, ArchiveInfo)
        else inspect_archive(archive, ArchiveLimits.from_settings(settings))
    )
    name = f"{_db_name(url)}_drill_{os.urandom(4).hex()}"
    with temp_folder(settings) as folder:
        dump = extract_dump(info, folder)
        create_database(url, name)
        try:
            scratch_url = with_database(url, name)
            pg_restore_into(scratch_url, dump)
            yield scratch_url
        finally:
            drop_database(url, name)


def compare_counts(url: str, expected: dict[str, int]) -> list[str]:
    """Differences between the rows in ``url`` and the metadata's per-table counts."""
    with connect_once(url) as conn:
        actual = count_rows(conn)
    problems = [
        f"{t}: expected {n} rows, found {actual.get(t, 'no table')}"
        for t, n in sorted(expected.items())
        if actual.get(t) != n
    ]
    problems += [f"{t}: not in the backup's metadata" for t in sorted(set(actual) - set(expected))]
    return problems


def pg_restore_into(url: str, dump: Path, *, runner: Runner = subprocess.Popen) -> None:
    tool = matching_tool("pg_restore", url)
    conn = libpq_connection(url)
    # the project roles its GRANTs name must exist (a project deleted since drops its own)
    ddl = run_tool(
        [str(tool), "--schema-only", "--file=-", str(dump)],
        conn,
        what="pg_restore --schema-only",
        runner=runner,
    )
    create_roles_named_in(url, ddl)
    run_tool(
        [str(tool), "--exit-on-error", "--no-password", f"--dbname={conn.url}", str(dump)],
        conn,
        what="pg_restore",
        runner=runner,
    )


def _db_name(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).database or ""


def create_database(url: str, name: str, owner: str | None = None) -> None:
    with connect_once(maintenance_url(url), isolation_level="AUTOCOMMIT") as conn:
        quote = conn.dialect.identifier_preparer.quote
        sql = f"create database {quote(name)} template template0"
        if owner:
            sql += f" owner {quote(owner)}"
        conn.execute(text(sql))


def drop_database(url: str, name: str) -> None:
    with connect_once(maintenance_url(url), isolation_level="AUTOCOMMIT") as conn:
        quote = conn.dialect.identifier_preparer.quote
        conn.execute(text(f"drop database if exists {quote(name)} with (force)"))


@contextmanager
def temp_folder(settings: Settings) -> Iterator[Path]:
    """A private folder next to the backups (same disk), always removed."""
    root = settings.backup_dir / ".tmp"
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root) as name:
        yield Path(name)


# -------------------------------------------------------------------------- listing
def list_backups(session: Session, settings: Settings, limit: int = 100) -> list[dict[str, Any]]:
    """Backups newest first, each with whether its file is still on disk."""
    rows = session.scalars(
        select(Backup).order_by(Backup.created_at.desc(), Backup.id.desc()).limit(limit)
    ).all()
    return [{"backup": b, "exists": backup_path(settings, b.file_name).is_file()} for b in rows]


def apply_retention(
    database: Database, settings: Settings, schedule_id: int, keep: int
) -> list[str]:
    """Delete the schedule's succeeded backups beyond the newest ``keep`` (files and rows)."""
    removed: list[str] = []
    with database.system_session() as s:
        old = s.scalars(
            select(Backup)
            .where(Backup.schedule_id == schedule_id, Backup.status == "succeeded")
            .order_by(Backup.created_at.desc(), Backup.id.desc())
            .offset(keep)
        ).all()
        for backup in old:
            with suppress(FileNotFoundError):
                backup_path(settings, backup.file_name).unlink()
            removed.append(backup.file_name)
            s.delete(backup)
    return removed


def create_roles_named_in(url: str, ddl: str) -> list[str]:
    """Create the per-project roles (dra.project_roles) that a dump grants to and this
    server lacks; returns those created."""
    roles = roles_named_in(ddl)
    if not roles:
        return []
    engine = create_engine(url, poolclass=NullPool)
    try:
        raw = engine.raw_connection()
        try:
            with raw.driver_connection.cursor() as cur:
                created = create_missing_roles(cur, roles)
            raw.driver_connection.commit()
        finally:
            raw.close()
    finally:
        engine.dispose()
    return created
