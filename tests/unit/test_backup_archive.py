"""The backup archive's size checks: a ZIP bomb is refused from its declared sizes before
anything is inflated, and a member whose header lies is cut off at the cap."""

from __future__ import annotations

import hashlib
import json
import struct
import zipfile
from pathlib import Path

import pytest

from dra.operations.archive import (
    ArchiveLimits,
    InvalidBackup,
    extract_dump,
    inspect_archive,
)
from dra.settings import load_settings

MB = 1024 * 1024


def _archive(path: Path, dump_chunks, *, compression=zipfile.ZIP_DEFLATED) -> Path:
    digest = hashlib.sha256()
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        with zf.open("database.dump", "w", force_zip64=True) as member:
            for chunk in dump_chunks:
                digest.update(chunk)
                member.write(chunk)
        metadata = {"application": "dra", "dump": {"sha256": digest.hexdigest()}, "tables": {}}
        zf.writestr("metadata.json", json.dumps(metadata))
    return path


def test_a_zip_bomb_is_refused_from_its_declared_sizes(tmp_path, monkeypatch):
    bomb = _archive(tmp_path / "bomb.zip", (bytes(MB) for _ in range(64)))
    assert bomb.stat().st_size < MB
    opened = []
    real_open = zipfile.ZipFile.open

    def spy(self, name, *args, **kwargs):
        opened.append(name if isinstance(name, str) else name.filename)
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    with pytest.raises(InvalidBackup, match=r"compressed \d+:1.*ZIP bomb"):
        inspect_archive(bomb, ArchiveLimits(max_dump_bytes=10 * 1024 * MB, max_ratio=100))
    assert "database.dump" not in opened  # refused before inflating a byte of it


def test_a_dump_over_the_size_cap_is_refused_before_inflating(tmp_path):
    archive = _archive(
        tmp_path / "big.zip", [bytes(range(256)) * 8 * 1024], compression=zipfile.ZIP_STORED
    )
    with pytest.raises(InvalidBackup, match="DRA_RESTORE_MAX_BYTES"):
        inspect_archive(archive, ArchiveLimits(max_dump_bytes=MB, max_ratio=100))
    assert inspect_archive(archive, ArchiveLimits(max_dump_bytes=4 * MB, max_ratio=100))


def _lie_about_size(path: Path, name: str, declared: int) -> None:
    """Rewrite the central directory so ``name`` declares ``declared`` bytes (zip64 extra)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(name)
    pos = data.find(b"PK\x01\x02")
    while pos != -1:
        name_len, extra_len = struct.unpack("<HH", data[pos + 28 : pos + 32])
        if data[pos + 46 : pos + 46 + name_len].decode() == name:
            extra = pos + 46 + name_len
            end = extra + extra_len
            while extra < end:
                tag, size = struct.unpack("<HH", data[extra : extra + 4])
                if tag == 1:  # zip64: uncompressed size first
                    struct.pack_into("<Q", data, extra + 4, declared)
                    path.write_bytes(bytes(data))
                    assert zipfile.ZipFile(path).getinfo(name).file_size == declared
                    return
                extra += 4 + size
            struct.pack_into("<I", data, pos + 24, declared)
            path.write_bytes(bytes(data))
            return
        pos = data.find(b"PK\x01\x02", pos + 4)
    raise AssertionError(f"{name} not found ({info})")


def test_a_member_that_lies_about_its_size_is_cut_off_at_the_cap(tmp_path):
    archive = _archive(tmp_path / "liar.zip", (bytes(MB) for _ in range(8)))
    _lie_about_size(archive, "database.dump", 1000)
    with pytest.raises(InvalidBackup, match="corrupted|larger than it declares"):
        inspect_archive(archive, ArchiveLimits(max_dump_bytes=MB, max_ratio=100))


def test_extraction_stops_at_the_declared_size_and_leaves_no_file(tmp_path):
    archive = _archive(
        tmp_path / "ok.zip", [b"PGDMP" + bytes(1000)], compression=zipfile.ZIP_STORED
    )
    info = inspect_archive(archive, ArchiveLimits(max_dump_bytes=MB, max_ratio=100))
    folder = tmp_path / "out"
    folder.mkdir()
    assert extract_dump(info, folder).stat().st_size == 1005
    # the same archive, with its dump grown after it was checked: the copy stops at the cap
    _archive(archive, [b"PGDMP" + bytes(3 * MB)], compression=zipfile.ZIP_STORED)
    (folder / "database.dump").unlink()
    with pytest.raises(InvalidBackup, match="larger than|changed"):
        extract_dump(info, folder)
    assert list(folder.iterdir()) == []


def test_limits_come_from_the_settings(tmp_path):
    settings = load_settings(
        {
            "DRA_DATA_DIR": str(tmp_path),
            "DRA_RESTORE_MAX_BYTES": "1048576",
            "DRA_RESTORE_MAX_RATIO": "20",
        }
    )
    assert ArchiveLimits.from_settings(settings) == ArchiveLimits(MB, 20)
    with pytest.raises(Exception, match="DRA_RESTORE_MAX_RATIO"):
        load_settings({"DRA_DATA_DIR": str(tmp_path), "DRA_RESTORE_MAX_RATIO": "many"})


def test_a_member_that_lies_about_its_compressed_size_is_refused(tmp_path):
    bomb = _archive(tmp_path / "bomb.zip", (bytes(MB) for _ in range(64)))
    data = bytearray(bomb.read_bytes())
    pos = data.find(b"PK\x01\x02")  # the dump's central directory entry comes first
    struct.pack_into("<I", data, pos + 20, 2**31)  # "2 GB compressed": a harmless ratio
    bomb.write_bytes(bytes(data))
    with pytest.raises(InvalidBackup, match="declares more compressed bytes"):
        inspect_archive(bomb, ArchiveLimits(max_dump_bytes=10 * 1024 * MB, max_ratio=100))
