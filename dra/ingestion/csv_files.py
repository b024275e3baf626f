"""CSV files: sniffing, type inference, and a streaming COPY into PostgreSQL."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dra.ingestion.naming import unique_names

SAMPLE_BYTES = 256 * 1024
SAMPLE_ROWS = 2000
CHUNK = 1024 * 1024

_INT = re.compile(r"^[+-]?\d{1,18}$")
_NUM = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_BOOL = {"true", "false", "t", "f", "yes", "no"}
_TS = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")


class FileFormatError(ValueError):
    """The file cannot be read as the format it claims; the message says why."""


@dataclass(frozen=True)
class Column:
    name: str
    source_name: str
    pg_type: str


@dataclass(frozen=True)
class CsvLayout:
    encoding: str
    delimiter: str
    quotechar: str
    columns: list[Column]


def detect_encoding(sample: bytes) -> str:
    """utf-8 (with or without BOM) when the sample decodes as such, else cp1252/latin-1."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start > len(sample) - 4:  # a multi-byte character cut by the sample's end
            return "utf-8"
    if b"\x00" in sample:
        raise FileFormatError("The file looks binary, not like CSV text.")
    return "latin-1"


def _infer_type(values: list[str]) -> str:
    present = [v for v in values if v != ""]
    if not present:
        return "text"
    if all(_INT.match(v) for v in present):
        return "bigint"
    if all(_NUM.match(v) for v in present):
        return "numeric"
    if all(v.lower() in _BOOL for v in present):
        return "boolean"
    if all(_TS.match(v) for v in present):
        return "timestamptz" if any(len(v) > 10 for v in present) else "date"
    return "text"


def sniff(path: Path) -> CsvLayout:
    """Encoding, delimiter, header and column types, from the start of the file."""
    with path.open("rb") as fh:
        raw = fh.read(SAMPLE_BYTES)
    if not raw.strip():
        raise FileFormatError("The file is empty.")
    encoding = detect_encoding(raw)
    text = raw.decode(encoding, errors="replace")
    if "\x00" in text:
        raise FileFormatError("The file looks binary, not like CSV text.")
    first_line = text.splitlines()[0] if text.splitlines() else ""
    try:
        dialect = csv.Sniffer().sniff(first_line or text[:4096], delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar='"')
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise FileFormatError(f"The header row cannot be read ({exc}).") from None
    if not any(h.strip() for h in header):
        raise FileFormatError("The first row must hold the column names; it is empty.")
    rows: list[list[str]] = []
    try:
        for row in reader:
            rows.append(row)
            if len(rows) >= SAMPLE_ROWS:
                break
    except csv.Error as exc:
        raise FileFormatError(f"The file is not valid CSV near row {len(rows) + 2}: {exc}.") from None
    if len(raw) == SAMPLE_BYTES and rows:
        rows.pop()  # the last sampled row may be cut short
    names = unique_names([h.strip() for h in header])
    columns = []
    for index, (name, source) in enumerate(zip(names, header, strict=True)):
        values = [r[index] for r in rows if index < len(r)]
        columns.append(Column(name=name, source_name=source, pg_type=_infer_type(values)))
    return CsvLayout(encoding=encoding, delimiter=delimiter, quotechar='"', columns=columns)


def iter_utf8_chunks(path: Path, encoding: str) -> Iterator[bytes]:
    """The file's bytes as UTF-8, in chunks, in constant memory."""
    with path.open("rb") as fh:
        if encoding in {"utf-8", "utf-8-sig"}:
            if encoding == "utf-8-sig":
                fh.read(3)
            while chunk := fh.read(CHUNK):
                yield chunk
            return
        decoder = codecs.getincrementaldecoder(encoding)()
        while chunk := fh.read(CHUNK):
            yield decoder.decode(chunk).encode("utf-8")
        tail = decoder.decode(b"", final=True)
        if tail:
            yield tail.encode("utf-8")
