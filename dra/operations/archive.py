"""The backup archive: one ZIP holding ``database.dump`` (pg_dump custom format) and
``metadata.json``; validated before a restore touches anything."""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

DUMP_NAME = "database.dump"
METADATA_NAME = "metadata.json"
ALLOWED_NAMES = frozenset({DUMP_NAME, METADATA_NAME})
FORMAT = "dra-backup/1"
APPLICATION = "dra"
CHUNK = 1024 * 1024


class InvalidBackup(ValueError):
    """The archive cannot be restored; the message says why, in words an admin understands."""


def timestamped_name(now: datetime | None = None, prefix: str = "dra-backup") -> str:
    """``dra-backup-20261125T120102Z.zip``: the UTC time makes names sort and stay unique."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{prefix}-{now:%Y%m%dT%H%M%SZ}.zip"


@dataclass(frozen=True)
class ArchiveInfo:
    path: Path
    metadata: dict[str, Any]

    @property
    def revision(self) -> str | None:
        return self.metadata.get("alembic_revision")

    @property
    def tables(self) -> dict[str, int]:
        return dict(self.metadata.get("tables") or {})

    @property
    def sha256(self) -> str:
        return str(self.metadata["dump"]["sha256"])


def unsafe_name(name: str) -> bool:
    """Whether a member name could escape the folder it is extracted into."""
    if not name or "\\" in name or name.startswith("/") or ":" in name.split("/")[0]:
        return True
    return any(part in {"..", ""} for part in PurePosixPath(name).parts) or ".." in name.split("/")


def inspect_archive(path: Path) -> ArchiveInfo:
    """Check structure, paths, metadata and the dump's checksum; raise InvalidBackup."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidBackup(f"The file is not a readable ZIP archive ({exc}).") from None
    with zf:
        names = [info.filename for info in zf.infolist()]
        for name in names:
            if unsafe_name(name):
                raise InvalidBackup(
                    f"The archive contains an unsafe path {name!r}; backups never do."
                )
        missing = [n for n in (METADATA_NAME, DUMP_NAME) if n not in names]
        if missing:
            raise InvalidBackup(
                "Invalid backup structure: "
                + " and ".join(missing)
                + " missing (a backup holds metadata.json and database.dump)."
            )
        unexpected = sorted(set(names) - ALLOWED_NAMES)
        if unexpected:
            raise InvalidBackup(f"Invalid backup structure: unexpected entries {unexpected}.")
        metadata = _read_metadata(zf)
        actual = _member_sha256(zf, DUMP_NAME)
    if actual != metadata["dump"]["sha256"]:
        raise InvalidBackup(
            "Checksum mismatch: database.dump does not match the sha256 in "
            "metadata.json (the file is damaged or was altered)."
        )
    return ArchiveInfo(path=path, metadata=metadata)


def _read_metadata(zf: zipfile.ZipFile) -> dict[str, Any]:
    try:
        metadata = json.loads(zf.read(METADATA_NAME).decode("utf-8"))
    except (zipfile.BadZipFile, UnicodeDecodeError, json.JSONDecodeError, OSError) as exc:
        raise InvalidBackup(f"metadata.json is unreadable ({exc}).") from None
    if not isinstance(metadata, dict):
        raise InvalidBackup("metadata.json must hold a JSON object.")
    if metadata.get("application") != APPLICATION:
        raise InvalidBackup(
            "This archive was not made by this platform (metadata.json names "
            f"application {metadata.get('application')!r})."
        )
    dump = metadata.get("dump")
    if not isinstance(dump, dict) or not isinstance(dump.get("sha256"), str):
        raise InvalidBackup("metadata.json has no sha256 for database.dump.")
    if not isinstance(metadata.get("tables", {}), dict):
        raise InvalidBackup("metadata.json: 'tables' must map table names to row counts.")
    return metadata


def _member_sha256(zf: zipfile.ZipFile, name: str) -> str:
    digest = hashlib.sha256()
    try:
        with zf.open(name) as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise InvalidBackup(f"The archive is corrupted: {name} cannot be read ({exc}).") from None
    return digest.hexdigest()


def extract_dump(info: ArchiveInfo, folder: Path) -> Path:
    """Copy the dump out of the archive to ``folder`` (under our own name, never the member's)."""
    target = folder / DUMP_NAME
    with zipfile.ZipFile(info.path) as zf, zf.open(DUMP_NAME) as src, target.open("wb") as dst:
        while chunk := src.read(CHUNK):
            dst.write(chunk)
    return target


def read_metadata(path: Path) -> dict[str, Any] | None:
    """metadata.json of an archive, or None when it cannot be read (for listings)."""
    try:
        with zipfile.ZipFile(path) as zf:
            data = json.loads(zf.read(METADATA_NAME))
        return data if isinstance(data, dict) else None
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return None
