"""Restore (UC-ADM-06) against the real embedded PostgreSQL: every bad archive is refused
with a clear error and leaves the database, the server and the disk as they were."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from dra import migrate
from dra.db import Database
from dra.models import User
from dra.operations.archive import InvalidBackup
from dra.operations.backups import write_archive
from dra.operations.locking import OperationBusy, operation_lock
from dra.operations.restore import RestoreError, restore_archive
from dra.settings import load_settings
from tests.support.factories import create_user


@pytest.fixture
def target(empty_database_url, tmp_path):
    """A migrated database of its own (restores switch databases), with one user."""
    migrate.upgrade(empty_database_url)
    database = Database(empty_database_url)
    with database.system_session() as s:
        create_user(s, email="before@example.com")
    settings = load_settings(
        {
            "DRA_ENV": "test",
            "DRA_DATA_DIR": str(tmp_path / "data"),
            "DRA_DATABASE_URL": empty_database_url,
        }
    )
    yield database, settings
    database.dispose()


@pytest.fixture
def good_archive(target, tmp_path) -> Path:
    database, _ = target
    path = tmp_path / "good.zip"
    write_archive(database.url, path)
    return path


def _fingerprint(database: Database, settings) -> tuple:
    """Users, databases on the server, and anything left in the backup folder's temp space."""
    with database.system_session() as s:
        emails = sorted(s.scalars(select(User.email)))
        databases = sorted(s.execute(text("select datname from pg_database")).scalars())
    tmp = settings.backup_dir / ".tmp"
    leftovers = sorted(p.name for p in tmp.iterdir()) if tmp.exists() else []
    return emails, databases, leftovers


def _rewrite(
    src: Path,
    dst: Path,
    *,
    dump: bytes | None = None,
    metadata: dict | None = None,
    extra: dict[str, bytes] | None = None,
    drop: str | None = None,
) -> Path:
    with zipfile.ZipFile(src) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    if dump is not None:
        members["database.dump"] = dump
    if metadata is not None:
        members["metadata.json"] = json.dumps(metadata).encode()
    members.update(extra or {})
    if drop:
        members.pop(drop)
    with zipfile.ZipFile(dst, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return dst


def _metadata(path: Path) -> dict:
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read("metadata.json"))


def _dump(path: Path) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read("database.dump")


def _refused(target, archive: Path, exc_type, match: str) -> None:
    database, settings = target
    before = _fingerprint(database, settings)
    with pytest.raises(exc_type, match=match):
        restore_archive(database.url, settings, archive)
    assert _fingerprint(database, settings) == before


def test_good_archive_restores_and_replaces_later_changes(target, good_archive):
    database, settings = target
    with database.system_session() as s:
        create_user(s, email="after@example.com")
    result = restore_archive(database.url, settings, good_archive)
    assert result.revision_after == migrate.status(database.url).head
    emails, databases, leftovers = _fingerprint(database, settings)
    assert emails == ["before@example.com"]
    assert not [d for d in databases if "_restore_" in d or "_pre_restore_" in d]
    assert leftovers == []


def test_corrupted_zip_is_refused(target, tmp_path):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip archive" * 10)
    _refused(target, bad, InvalidBackup, "not a readable ZIP")


def test_damaged_member_is_refused(target, good_archive, tmp_path):
    data = bytearray(good_archive.read_bytes())
    offset = data.find(b"PGDMP") + 200  # inside the stored dump
    data[offset] ^= 0xFF
    bad = tmp_path / "flipped.zip"
    bad.write_bytes(bytes(data))
    _refused(target, bad, InvalidBackup, "corrupted|Checksum mismatch")


def test_archive_without_metadata_is_refused(target, good_archive, tmp_path):
    bad = _rewrite(good_archive, tmp_path / "nometa.zip", drop="metadata.json")
    _refused(target, bad, InvalidBackup, "metadata.json missing")


def test_checksum_mismatch_is_refused(target, good_archive, tmp_path):
    meta = _metadata(good_archive)
    meta["dump"]["sha256"] = "0" * 64
    bad = _rewrite(good_archive, tmp_path / "sha.zip", metadata=meta)
    _refused(target, bad, InvalidBackup, "Checksum mismatch")


def test_path_traversal_entry_is_refused(target, good_archive, tmp_path):
    bad = _rewrite(good_archive, tmp_path / "escape.zip", extra={"../../x": b"boom"})
    _refused(target, bad, InvalidBackup, r"unsafe path '\.\./\.\./x'")
    assert not (tmp_path.parent.parent / "x").exists()


def test_truncated_dump_fails_in_the_new_database_only(target, good_archive, tmp_path):
    import hashlib

    dump = _dump(good_archive)
    truncated = dump[: int(len(dump) * 0.6)]
    meta = _metadata(good_archive)
    meta["dump"]["sha256"] = hashlib.sha256(truncated).hexdigest()  # consistent, but cut short
    bad = _rewrite(good_archive, tmp_path / "short.zip", dump=truncated, metadata=meta)
    _refused(target, bad, (RestoreError, InvalidBackup), "could not be restored|not a readable")


def test_dump_from_another_application_is_refused(
    target, good_archive, tmp_path, empty_database_url, pg_cluster
):
    import hashlib
    import subprocess

    from dra.operations.pgtools import libpq_connection, matching_tool

    other = pg_cluster.create_database()
    engine = create_engine(other)
    with engine.begin() as conn:
        conn.execute(text("create table public.orders (id int primary key, total numeric)"))
        conn.execute(text("insert into public.orders values (1, 9.5)"))
    engine.dispose()
    conn = libpq_connection(other)
    dump = subprocess.run(
        [str(matching_tool("pg_dump", other)), "--format=custom", f"--dbname={conn.url}"],
        env=conn.env,
        capture_output=True,
        check=True,
    ).stdout
    pg_cluster.drop_database(other.rsplit("/", 1)[1].split("?")[0])
    meta = _metadata(good_archive)
    meta["dump"]["sha256"] = hashlib.sha256(dump).hexdigest()
    bad = _rewrite(good_archive, tmp_path / "other.zip", dump=dump, metadata=meta)
    _refused(target, bad, InvalidBackup, "dump from another application")


def test_backup_newer_than_the_code_is_refused(target, good_archive, tmp_path):
    meta = _metadata(good_archive)
    meta["alembic_revision"] = "0999_from_the_future"
    bad = _rewrite(good_archive, tmp_path / "future.zip", metadata=meta)
    _refused(target, bad, InvalidBackup, "made by a newer version")


def test_older_backup_is_restored_then_migrated(target, pg_cluster, tmp_path):
    database, settings = target
    old = pg_cluster.create_database()
    try:
        migrate.upgrade(old, "0001_app_schema")
        archive = tmp_path / "old.zip"
        write_archive(old, archive)
    finally:
        pg_cluster.drop_database(old.rsplit("/", 1)[1].split("?")[0])
    result = restore_archive(database.url, settings, archive)
    assert (result.revision_before, result.migrated) == (migrate.head_revision(), True)
    assert migrate.status(database.url).up_to_date
    assert _fingerprint(database, settings)[0] == []  # the old backup had no users


def test_restore_while_a_backup_runs_is_refused(target, good_archive):
    database, settings = target
    with operation_lock(database.url, "backup"):
        _refused(target, good_archive, OperationBusy, "already running")


def test_zip_bomb_is_refused_by_the_restore_job_before_inflating(target, tmp_path):
    import hashlib

    bomb, digest, chunk = tmp_path / "bomb.zip", hashlib.sha256(), bytes(1024 * 1024)
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("database.dump", "w") as member:
            for _ in range(64):
                member.write(chunk)
                digest.update(chunk)
        meta = {
            "application": "dra",
            "alembic_revision": migrate.head_revision(),
            "tables": {},
            "dump": {"sha256": digest.hexdigest()},
        }
        zf.writestr("metadata.json", json.dumps(meta))
    _refused(target, bomb, InvalidBackup, "ZIP bomb")
