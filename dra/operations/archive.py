"""The backup archive: one ZIP holding ``database.dump`` (pg_dump custom format) and
``metadata.json``; validated before a restore touches anything.

Nothing is inflated before the declared sizes pass: each member's uncompressed size
against its cap (``DRA_RESTORE_MAX_BYTES`` for the dump, 1 MiB for the metadata) and its
compression ratio against ``DRA_RESTORE_MAX_RATIO`` (a ZIP bomb is refused from its
central directory). Declared sizes can lie, so every read then streams with a byte cap
and stops as soon as a member yields more than it declared.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from dra.errors import DraError

DUMP_NAME = "database.dump"
METADATA_NAME = "metadata.json"
ALLOWED_NAMES = frozenset({DUMP_NAME, METADATA_NAME})
FORMAT = "dra-backup/1"
APPLICATION = "dra"
CHUNK = 1024 * 1024
MAX_METADATA_BYTES = 1024 * 1024
DEFAULT_MAX_DUMP_BYTES = 20 * 1024**3
DEFAULT_MAX_RATIO = 100
RATIO_FLOOR = 1024 * 1024  # smaller members are not held to the ratio (tiny, harmless)


class InvalidBackup(DraError, ValueError):
    """The archive cannot be restored; the message says why, in words an admin understands."""


def timestamped_name(now: datetime | None = None, prefix: str = "dra-backup") -> str:
    """``dra-backup-20261125T120102Z.zip``: the UTC time makes names sort and stay unique."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{prefix}-{now:%Y%m%dT%H%M%SZ}.zip"


@dataclass(frozen=True)
class ArchiveLimits:
    """How large a dump may inflate, and how compressed a member may be."""

    max_dump_bytes: int = DEFAULT_MAX_DUMP_BYTES
    max_ratio: int = DEFAULT_MAX_RATIO

    @classmethod
    def from_settings(cls, settings) -> ArchiveLimits:
        return cls(settings.restore_max_bytes, settings.restore_max_ratio)


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"  # pragma: no cover


@dataclass(frozen=True)
class ArchiveInfo:
    path: Path
    metadata: dict[str, Any]
    dump_size: int = 0  # as declared, and checked against the limits
    limits: ArchiveLimits = field(default_factory=ArchiveLimits)

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


def inspect_archive(path: Path, limits: ArchiveLimits | None = None) -> ArchiveInfo:
    """Check structure, paths, sizes, metadata and the dump's checksum; raise InvalidBackup."""
    limits, path = limits or ArchiveLimits(), Path(path)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidBackup(f"The file is not a readable ZIP archive ({exc}).") from None
    with zf:
        infos = zf.infolist()
        names = [info.filename for info in infos]
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
        if len(names) != len(set(names)):
            raise InvalidBackup("Invalid backup structure: an entry appears twice.")
        archive_size = path.stat().st_size
        for info in infos:
            if info.compress_size > archive_size:  # a lie that would hide the real ratio
                raise InvalidBackup(
                    f"The archive is corrupted: {info.filename} declares more compressed "
                    "bytes than the whole file holds."
                )
            check_declared_size(info, limits)
        metadata = _read_metadata(zf)
        dump = zf.getinfo(DUMP_NAME)
        digest = hashlib.sha256()
        for chunk in _stream(zf, dump, limits):
            digest.update(chunk)
    if digest.hexdigest() != metadata["dump"]["sha256"]:
        raise InvalidBackup(
            "Checksum mismatch: database.dump does not match the sha256 in "
            "metadata.json (the file is damaged or was altered)."
        )
    return ArchiveInfo(path=path, metadata=metadata, dump_size=dump.file_size, limits=limits)


def check_declared_size(info: zipfile.ZipInfo, limits: ArchiveLimits) -> None:
    """Refuse a member from its central-directory entry alone, before inflating it."""
    name, size, packed = info.filename, info.file_size, info.compress_size
    if info.flag_bits & 0x1:
        raise InvalidBackup(f"{name} is encrypted; backups never are.")
    cap = MAX_METADATA_BYTES if name == METADATA_NAME else limits.max_dump_bytes
    if size > cap:
        setting = "" if name == METADATA_NAME else " (DRA_RESTORE_MAX_BYTES)"
        raise InvalidBackup(
            f"{name} would inflate to {_size(size)}, more than the {_size(cap)} allowed"
            f"{setting}; it was not unpacked."
        )
    if size > RATIO_FLOOR and size > limits.max_ratio * max(packed, 1):
        raise InvalidBackup(
            f"{name} is compressed {size // max(packed, 1)}:1 ({_size(packed)} inflating to "
            f"{_size(size)}), more than the {limits.max_ratio}:1 allowed "
            "(DRA_RESTORE_MAX_RATIO): the archive looks like a ZIP bomb and was not unpacked."
        )


def _stream(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ArchiveLimits) -> Iterator[bytes]:
    """The member's bytes, never more than it declared nor than its cap allows."""
    cap = min(
        info.file_size,
        MAX_METADATA_BYTES if info.filename == METADATA_NAME else limits.max_dump_bytes,
    )
    seen = 0
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(min(CHUNK, cap - seen + 1)):
                seen += len(chunk)
                if seen > cap:
                    raise InvalidBackup(
                        f"{info.filename} inflates to more than the {_size(cap)} it declares "
                        "or is allowed; it was not unpacked further."
                    )
                yield chunk
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError) as exc:
        raise InvalidBackup(
            f"The archive is corrupted: {info.filename} cannot be read ({exc})."
        ) from None


def _read_metadata(zf: zipfile.ZipFile) -> dict[str, Any]:
    raw = b"".join(_stream(zf, zf.getinfo(METADATA_NAME), ArchiveLimits()))
    try:
        metadata = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
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


def extract_dump(info: ArchiveInfo, folder: Path) -> Path:
    """Copy the dump out of the archive to ``folder`` (under our own name, never the member's).

    Only as many bytes as were declared (and checked) when the archive was inspected, only
    if the disk has room for them, and only the bytes whose checksum was verified: a file
    changed since then is refused, and nothing is left behind.
    """
    target = folder / DUMP_NAME
    free = shutil.disk_usage(folder).free
    if info.dump_size > free:
        raise InvalidBackup(
            f"database.dump needs {_size(info.dump_size)} but only {_size(free)} is free "
            f"in {folder.parent}; it was not unpacked."
        )
    limits = ArchiveLimits(min(info.dump_size, info.limits.max_dump_bytes), info.limits.max_ratio)
    digest = hashlib.sha256()
    try:
        try:
            zf = zipfile.ZipFile(info.path)
            member = zf.getinfo(DUMP_NAME)
        except (zipfile.BadZipFile, KeyError, OSError) as exc:
            raise InvalidBackup(f"The archive can no longer be read ({exc}).") from None
        with zf, target.open("wb") as dst:
            if member.file_size != info.dump_size:
                raise InvalidBackup(
                    "database.dump changed since the archive was checked; it was not restored."
                )
            for chunk in _stream(zf, member, limits):
                digest.update(chunk)
                dst.write(chunk)
        if digest.hexdigest() != info.sha256:
            raise InvalidBackup(
                "database.dump changed since the archive was checked; it was not restored."
            )
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


def read_metadata(path: Path) -> dict[str, Any] | None:
    """metadata.json of an archive, or None when it cannot be read (for listings)."""
    try:
        with zipfile.ZipFile(path) as zf:
            data = json.loads(zf.read(METADATA_NAME))
        return data if isinstance(data, dict) else None
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return None
