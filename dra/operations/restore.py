"""Restore (UC-ADM-06): validate the archive, restore into a new database, check it,
migrate it if it is older than the code, then switch databases.

The switch (``switch_databases``) runs on the server's maintenance database:
1. ``ALTER DATABASE <current> ALLOW_CONNECTIONS false`` and terminate its sessions
   (the web app, Dagster runs and sensors reconnect on their next query:
   engines use ``pool_pre_ping``);
2. rename ``<current>`` to ``<current>_pre_restore_<stamp>``, rename the restored
   database to ``<current>``, allow connections again;
3. drop the old database.
Any failure before step 2 completes puts everything back, so users only ever see the old
database or the restored one. The restored database's open requests and running backups
are closed (they describe work of the past), backup files on disk are listed again, and an
alert records the restore.
"""

from __future__ import annotations

import logging
import os
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from dra import migrate
from dra.db import Database, connect_once, with_database
from dra.errors import DraError
from dra.models import Backup, PipelineRequest
from dra.operations.archive import (
    ArchiveInfo,
    ArchiveLimits,
    InvalidBackup,
    extract_dump,
    inspect_archive,
)
from dra.operations.backups import (
    compare_counts,
    create_database,
    drop_database,
    pg_restore_into,
    temp_folder,
)
from dra.operations.locking import maintenance_url, operation_lock
from dra.operations.pgtools import Runner, ToolError, libpq_connection, matching_tool, run_tool
from dra.settings import Settings

log = logging.getLogger(__name__)


class RestoreError(DraError, RuntimeError):
    """The restore stopped; the current database is unchanged."""


@dataclass(frozen=True)
class RestoreResult:
    file_name: str
    revision_before: str | None
    revision_after: str | None
    migrated: bool
    seconds: float


def check_revision(info: ArchiveInfo) -> bool:
    """Refuse a backup newer than the code; True when it must be migrated after restoring."""
    script = ScriptDirectory.from_config(migrate.alembic_config("postgresql://"))
    revision = info.revision
    head = script.get_current_head()
    if not revision:
        raise InvalidBackup("The backup records no schema revision; it cannot be checked.")
    try:
        known = script.get_revision(revision)
    except CommandError:
        known = None
    if known is None:
        raise InvalidBackup(
            f"The backup is at schema revision {revision!r}, which this platform does not know "
            f"(its latest is {head!r}): it was made by a newer version. Upgrade the platform "
            "first, then restore."
        )
    return revision != head


def check_dump(dump: Path, url: str, *, runner: Runner = subprocess.Popen) -> None:
    """The dump must be a readable PostgreSQL archive holding this platform's ``app`` schema."""
    tool = matching_tool("pg_restore", url)
    conn = libpq_connection(url)
    try:
        listing = run_tool(
            [str(tool), "--list", str(dump)], conn, what="pg_restore --list", runner=runner
        )
    except ToolError as exc:
        raise InvalidBackup(f"database.dump is not a readable PostgreSQL dump ({exc}).") from None
    entries = [
        line.split(";", 1)[-1].split()
        for line in listing.splitlines()
        if line and not line.startswith(";")
    ]
    has_schema = any(e[2:5] == ["SCHEMA", "-", "app"] for e in entries if len(e) >= 5)
    has_version = any(e[2:5] == ["TABLE", "app", "alembic_version"] for e in entries if len(e) >= 5)
    if not (has_schema and has_version):
        raise InvalidBackup(
            "database.dump is a dump from another application: it holds no "
            "'app' schema with an alembic_version table."
        )


def restore_archive(
    url: str, settings: Settings, archive: Path, *, runner: Runner = subprocess.Popen, progress=None
) -> RestoreResult:
    """Validate then restore ``archive`` over the database of ``url``, atomically."""
    report = progress or (lambda _phase, _pct: None)
    started = time.monotonic()
    report("validating", 5)
    info = inspect_archive(archive, ArchiveLimits.from_settings(settings))
    needs_migration = check_revision(info)
    current = make_url(url).database or ""
    if current in ("postgres", "template0", "template1"):
        raise RestoreError(f"Refusing to restore over the server's {current!r} database.")
    before = migrate.status(url).current
    with operation_lock(url, "restore"), temp_folder(settings) as folder:
        dump = extract_dump(info, folder)
        check_dump(dump, url, runner=runner)
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        new_name = f"{current}_restore_{os.urandom(3).hex()}"
        create_database(url, new_name, owner=_database_owner(url, current))
        new_url = with_database(url, new_name)
        try:
            report("restoring", 20)
            try:
                pg_restore_into(new_url, dump, runner=runner)
            except ToolError as exc:
                raise RestoreError(
                    f"The dump could not be restored ({exc}); the current database is unchanged."
                ) from None
            report("checking", 70)
            problems = compare_counts(new_url, info.tables)
            if problems:
                raise RestoreError(
                    "The restored data does not match the backup's metadata ("
                    + "; ".join(problems[:5])
                    + "); the current database is "
                    "unchanged."
                )
            if needs_migration:
                report("migrating", 80)
                migrate.upgrade(new_url)
            reconcile(new_url, settings, archive.name, before)
            report("switching", 90)
            switch_databases(url, current, new_name, f"{current}_pre_restore_{stamp}")
        except BaseException:
            drop_database(url, new_name)
            raise
    after = migrate.status(url).current
    report("done", 100)
    return RestoreResult(
        archive.name, before, after, needs_migration, round(time.monotonic() - started, 3)
    )


def _database_owner(url: str, name: str) -> str | None:
    with connect_once(maintenance_url(url)) as conn:
        return conn.execute(
            text("select pg_get_userbyid(datdba) from pg_database where datname = :n"),
            {"n": name},
        ).scalar()


def reconcile(url: str, settings: Settings, file_name: str, previous_revision: str | None) -> None:
    """Make the restored operational rows true again, and record the restore."""
    from dra.alerts import raise_alert
    from dra.operations.archive import read_metadata

    note = f"Interrupted: the database was restored from {file_name}."
    database = Database(url)
    try:
        with database.system_session() as s:
            for backup in s.scalars(select(Backup).where(Backup.status.in_(("queued", "running")))):
                # a backup that was running when the dump was taken: its file tells the end
                path = settings.backup_dir / backup.file_name
                metadata = read_metadata(path) if path.is_file() else None
                if metadata is None:
                    backup.status, backup.error, backup.phase = "failed", note, "interrupted"
                else:
                    backup.status, backup.phase, backup.progress = "succeeded", "stored", 100
                    backup.size_bytes = path.stat().st_size
                    backup.sha256 = (metadata.get("dump") or {}).get("sha256")
                    backup.metadata_ = metadata
            s.flush()
            for request in s.scalars(
                select(PipelineRequest).where(PipelineRequest.status.in_(("queued", "running")))
            ):
                target = s.get(Backup, request.target_id) if request.kind == "backup" else None
                if target is not None and target.status == "succeeded":
                    request.status, request.progress = "succeeded", 100
                else:
                    request.status, request.error = "cancelled", note
                request.finished_at = datetime.now(UTC)
            known = set(s.scalars(select(Backup.file_name)))
            for path in sorted(settings.backup_dir.glob("*.zip")):
                metadata = read_metadata(path)
                if path.name in known or metadata is None:
                    continue
                kind = "uploaded" if path.name.startswith("uploaded-") else "manual"
                s.add(
                    Backup(
                        file_name=path.name,
                        kind=kind,
                        status="succeeded",
                        phase="stored",
                        progress=100,
                        size_bytes=path.stat().st_size,
                        sha256=(metadata.get("dump") or {}).get("sha256"),
                        metadata_=metadata,
                    )
                )
            raise_alert(
                s,
                source="restore",
                severity="warning",
                title=f"Database restored from {file_name}",
                details={
                    "file": file_name,
                    "previous_revision": previous_revision,
                    "message": f"The database was restored from {file_name}.",
                },
                link="/admin/database/",
            )
    finally:
        database.dispose()


def switch_databases(url: str, current: str, new: str, old: str) -> None:
    """Put database ``new`` in the place of ``current``; the old one is dropped at the end."""
    engine = create_engine(maintenance_url(url), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            q = conn.dialect.identifier_preparer.quote
            conn.execute(text(f"alter database {q(current)} allow_connections false"))
            try:
                _terminate(conn, current)
                _terminate(conn, new)
                conn.execute(text(f"alter database {q(current)} rename to {q(old)}"))
            except BaseException:
                conn.execute(text(f"alter database {q(current)} allow_connections true"))
                raise
            try:
                conn.execute(text(f"alter database {q(new)} rename to {q(current)}"))
            except BaseException:
                conn.execute(text(f"alter database {q(old)} rename to {q(current)}"))
                conn.execute(text(f"alter database {q(current)} allow_connections true"))
                raise
            try:
                conn.execute(text(f"drop database {q(old)} with (force)"))
            except Exception:  # noqa: BLE001 - the switch is done; the old copy is only extra
                log.warning(
                    "restore switched, but the old database %s could not be dropped",
                    old,
                    exc_info=True,
                )
    finally:
        engine.dispose()


def _terminate(conn, name: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while True:
        left = conn.execute(
            text(
                "select count(pg_terminate_backend(pid)) from pg_stat_activity "
                "where datname = :n and pid <> pg_backend_pid()"
            ),
            {"n": name},
        ).scalar()
        if not left:
            return
        if time.monotonic() > deadline:
            raise RestoreError(f"Sessions on {name!r} did not end; the restore was not switched.")
        time.sleep(0.1)


def request_restore(session, *, backup_id: int, requested_by: int | None) -> PipelineRequest:
    """Queue the restore of a listed backup; OperationBusy while a backup or restore is open."""
    from dra.operations.backups import enqueue_operation, ensure_idle

    ensure_idle(session)
    backup = session.get(Backup, backup_id)
    if backup is None or backup.status != "succeeded":
        raise RestoreError("Only a finished backup can be restored.")
    return enqueue_operation(session, "restore", backup_id, requested_by, "Restore job queued.")


def check_upload(url: str, settings: Settings, path: Path, *, runner: Runner = subprocess.Popen):
    """Every check a restore makes before touching a database, run on an uploaded file.

    Declared sizes and compression ratio first (nothing inflated before they pass), then
    structure and checksum, the schema revision, and the dump's own table of contents
    (``check_dump``, as the restore job runs it) on a capped copy that is removed at once.
    """
    info = inspect_archive(path, ArchiveLimits.from_settings(settings))
    check_revision(info)
    with temp_folder(settings) as folder:
        check_dump(extract_dump(info, folder), url, runner=runner)
    return info


def store_upload(
    session, settings: Settings, stream, *, requested_by: int | None, url: str
) -> Backup:
    """Save an uploaded archive, validate it before anything else, and list it.

    Raises InvalidBackup (the file is removed) when the archive cannot be restored.
    """
    from dra.operations.archive import timestamped_name

    settings.backup_dir.mkdir(parents=True, exist_ok=True)
    name = timestamped_name(prefix="uploaded").replace(".zip", f"-{os.urandom(3).hex()}.zip")
    path = settings.backup_dir / name
    partial = path.with_name(name + ".partial")
    try:
        with partial.open("wb") as fh:
            while chunk := stream.read(1024 * 1024):
                fh.write(chunk)
        info = check_upload(url, settings, partial)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    backup = Backup(
        file_name=name,
        kind="uploaded",
        status="succeeded",
        phase="uploaded",
        progress=100,
        size_bytes=path.stat().st_size,
        sha256=info.sha256,
        metadata_=info.metadata,
        requested_by=requested_by,
    )
    session.add(backup)
    session.flush()
    return backup


def restore_backup_file(
    database: Database, settings: Settings, backup_id: int, **kwargs
) -> RestoreResult:
    """Restore a listed backup by its row id."""
    with database.system_session() as s:
        backup = s.get(Backup, backup_id)
        if backup is None:
            raise RestoreError(f"Backup #{backup_id} does not exist.")
        path = settings.backup_dir / backup.file_name
    if not path.is_file():
        raise RestoreError(f"The file {path.name} is no longer in the backup folder.")
    database.dispose()  # our own pooled sessions would block the switch
    return restore_archive(database.url, settings, path, **kwargs)
