"""Uploaded files: type checks, sanitised names, streamed to disk, content checked.

The web layer hands over the file object; nothing is kept when a check fails.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from dra.errors import DraError
from dra.ingestion import pdfs, spreadsheets
from dra.ingestion.csv_files import FileFormatError, codec_label, sniff

CHUNK = 1024 * 1024
EXTENSIONS = {".csv": "csv", ".xlsx": "excel", ".xls": "excel", ".pdf": "pdf"}
SPREADSHEET_MESSAGE = "Invalid file type. Only Excel (.xlsx, .xls) and CSV files are allowed."
PDF_MESSAGE = "Invalid file type. Only PDF files are allowed."


class UploadRejected(DraError, ValueError):
    """The file is refused (wrong type, unreadable content); the message says why."""


@dataclass(frozen=True)
class StoredUpload:
    path: Path
    """Absolute path of the stored file."""
    relative_path: str
    """Path relative to the data folder (what the data source records)."""
    original_filename: str
    size: int
    type: str
    summary: str


def sanitise_filename(name: str) -> str:
    """The base name with every character but letters, digits, dot, dash and _ replaced."""
    base = re.split(r"[\\/]", name or "")[-1]
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    stem = re.sub(r"[^A-Za-z0-9_-]", "_", stem).strip("._") or "upload"
    ext = re.sub(r"[^A-Za-z0-9]", "", ext).lower()
    return f"{stem[:120]}.{ext}" if ext else stem[:120]


def source_type_for(filename: str, requested: str | None = None) -> str:
    """The data source type for an uploaded name; UploadRejected with the spec's message."""
    ext = Path(sanitise_filename(filename)).suffix.lower()
    kind = EXTENSIONS.get(ext)
    if requested == "pdf":
        if kind != "pdf":
            raise UploadRejected(PDF_MESSAGE)
        return kind
    if kind is None or (requested in ("csv", "excel") and kind == "pdf"):
        raise UploadRejected(SPREADSHEET_MESSAGE)
    if requested in ("csv", "excel") and kind != requested:
        raise UploadRejected(SPREADSHEET_MESSAGE)
    return kind


def check_content(path: Path, kind: str) -> str:
    """Read enough of the file to know it loads; a one-line summary, or FileFormatError."""
    if kind == "csv":
        layout = sniff(path)
        encoding = codec_label(layout.encoding)
        return f"{len(layout.columns)} columns, {encoding}, delimiter {layout.delimiter!r}"
    if kind == "excel":
        sheets = spreadsheets.check_workbook(path)
        return f"{len(sheets)} sheet(s): {', '.join(sheets)}"
    pages = pdfs.check_pdf(path)
    return f"{pages} page(s)"


def store_upload(
    stream: BinaryIO,
    filename: str,
    *,
    data_dir: Path,
    project_id: int,
    requested_type: str | None = None,
    max_bytes: int | None = None,
) -> StoredUpload:
    """Stream the file under uploads/p<project>/ and check it; on any failure remove it."""
    kind = source_type_for(filename, requested_type)
    folder = data_dir / "uploads" / f"p{int(project_id)}"
    folder.mkdir(parents=True, exist_ok=True)
    safe = sanitise_filename(filename)
    final = folder / f"{time.strftime('%Y%m%d%H%M%S')}_{secrets.token_hex(3)}_{safe}"
    temp = folder / f".part_{secrets.token_hex(8)}{Path(safe).suffix}"
    try:
        size = 0
        with temp.open("wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise UploadRejected(f"The file is larger than {max_bytes // 2**20} MB.")
                out.write(chunk)
        try:
            summary = check_content(temp, kind)
        except FileFormatError as exc:
            raise UploadRejected(str(exc)) from None
        temp.rename(final)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return StoredUpload(
        path=final,
        relative_path=str(final.relative_to(data_dir)),
        original_filename=Path(filename.replace("\\", "/")).name[:255] or safe,
        size=size,
        type=kind,
        summary=summary,
    )


def remove_file(data_dir: Path, relative_path: str | None) -> None:
    """Delete an uploaded file, only ever inside the uploads folder."""
    if not relative_path:
        return
    uploads = (data_dir / "uploads").resolve()
    path = (data_dir / relative_path).resolve()
    if path.is_relative_to(uploads) and path.is_file():
        path.unlink()
