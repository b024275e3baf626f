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

csv.field_size_limit(64 * 1024 * 1024)  # long text fields are fine; COPY has no limit

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


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    controls = sum(1 for ch in text[:65536] if ch < " " and ch not in "\t\r\n\f")
    return controls > max(8, len(text[:65536]) // 100)


def sniff(path: Path) -> CsvLayout:
    """Encoding, delimiter, header and column types, from the start of the file.

    Refuses, with a message a person understands, what COPY would choke on or load
    wrongly: empty, binary or header-only files, a header that is not one line, and
    rows whose number of values differs from the header's in the sampled part.
    """
    with path.open("rb") as fh:
        raw = fh.read(SAMPLE_BYTES)
    if not raw.strip():
        raise FileFormatError("The file is empty.")
    encoding = detect_encoding(raw)
    text = raw.decode(encoding, errors="replace")
    if _looks_binary(text):
        raise FileFormatError("The file looks binary, not like CSV text.")
    complete = len(raw) < SAMPLE_BYTES
    newline = text.find("\n")
    if newline < 0 and not complete:
        raise FileFormatError(
            f"The first line is longer than {SAMPLE_BYTES // 1024} KB: it cannot be a header "
            "row of column names. Is this really a CSV file?"
        )
    first_line = text[:newline] if newline >= 0 else text
    try:
        dialect = csv.Sniffer().sniff(first_line or text[:4096], delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar='"', strict=True)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise FileFormatError(
            f"The header row cannot be read: {exc} (an unbalanced quote?)."
        ) from None
    if not any(h.strip() for h in header):
        raise FileFormatError("The first row must hold the column names; it is empty.")
    if any("\n" in h or "\r" in h for h in header):
        raise FileFormatError(
            'The header row has an unbalanced quote (") and runs over several lines.'
        )
    rows = _sample_rows(reader, complete)
    _check_widths(rows, len(header))
    if complete and not rows:
        raise FileFormatError("The file has a header row but no data rows.")
    names = unique_names([h.strip() for h in header])
    columns = []
    for index, (name, source) in enumerate(zip(names, header, strict=True)):
        values = [r[index] for r in rows if index < len(r)]
        columns.append(Column(name=name, source_name=source, pg_type=_infer_type(values)))
    return CsvLayout(encoding=encoding, delimiter=delimiter, quotechar='"', columns=columns)


def _sample_rows(reader, complete: bool) -> list[list[str]]:
    rows: list[list[str]] = []
    try:
        for row in reader:
            rows.append(row)
            if len(rows) >= SAMPLE_ROWS:
                return rows
    except csv.Error as exc:
        if complete:
            raise FileFormatError(
                f"The file is not valid CSV at row {len(rows) + 2}: {exc} (an unbalanced quote?)."
            ) from None
        return rows  # the sample's end cut a quoted field: COPY checks the rest
    if not complete and rows:
        rows.pop()  # the last sampled row may be cut short
    return rows


def _check_widths(rows: list[list[str]], width: int) -> None:
    for number, row in enumerate(rows, start=2):
        if len(row) != width:
            raise FileFormatError(
                f"Row {number} has {len(row)} value(s) but the header has {width} "
                "column(s); every row needs one value per column."
            )


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
