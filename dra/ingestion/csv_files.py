"""CSV files: sniffing, type inference, and a streaming COPY into PostgreSQL."""

from __future__ import annotations

import bisect
import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dra.errors import DraError
from dra.ingestion.naming import unique_names

SAMPLE_BYTES = 256 * 1024
SAMPLE_ROWS = 2000
CHUNK = 1024 * 1024

csv.field_size_limit(64 * 1024 * 1024)  # long text fields are fine; COPY has no limit

_INT = re.compile(r"^[+-]?\d{1,18}$")
_NUM = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_BOOL = {"true", "false", "t", "f", "yes", "no"}
_TS = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")


class FileFormatError(DraError, ValueError):
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


def _c1_as_latin1(exc: UnicodeDecodeError) -> tuple[str, int]:
    """The five bytes Windows-1252 leaves undefined read as Latin-1 does (WHATWG)."""
    return exc.object[exc.start : exc.end].decode("latin-1"), exc.end


codecs.register_error("dra-latin1-fallback", _c1_as_latin1)

WESTERN = ("cp1252", "latin-1")
"""Read alike: Windows-1252, where bytes 0x80-0x9F are letters and signs (€ “ ” – …), and
Latin-1 as browsers read it (the same, see the WHATWG Encoding Standard)."""


def _decoder_args(encoding: str) -> tuple[str, str]:
    """(codec, error handler) that read a file of this detected encoding."""
    return ("cp1252", "dra-latin1-fallback") if encoding in WESTERN else (encoding, "strict")


def codec_label(encoding: str) -> str:
    """How a person calls the encoding: windows-1252, windows-1251, UTF-8..."""
    name = codecs.lookup(encoding).name
    if name.startswith("cp125"):
        return "windows-" + name[2:]
    return {
        "utf-8": "UTF-8",
        "utf-8-sig": "UTF-8 with BOM",
        "iso8859-1": "Latin-1",
        "cp932": "Shift_JIS (cp932)",
    }.get(name, name)


def _mostly_foreign_words(text: str) -> bool:
    """Whether words with non-ASCII letters hold no ASCII letter, as another script's
    bytes read as Windows-1252 do ("Ìîñêâà"); Western words mix them ("Montréal")."""
    words = [w for w in re.findall(r"[^\W\d_]+", text) if not w.isascii()]
    if not words:
        return False
    foreign = sum(1 for w in words if not any(ch.isascii() for ch in w))
    return foreign > len(words) / 2


def detect_encoding(sample: bytes) -> str:
    """The file's encoding, from its start.

    A UTF-8 BOM, then strictly valid UTF-8; otherwise Windows-1252 ("cp1252", or
    "latin-1" when the sample holds no byte in 0x80-0x9F: both are read alike) unless
    charset-normalizer finds another script that Windows-1252 would turn into accented
    gibberish (Cyrillic, Greek, Japanese...).
    """
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
    western = "cp1252" if re.search(rb"[\x80-\x9f]", sample) else "latin-1"
    try:
        as_western = sample.decode("cp1252")
    except UnicodeDecodeError:
        as_western = None  # a byte Windows-1252 lacks: likely another code page
    if as_western is not None and not _mostly_foreign_words(as_western):
        return western
    import charset_normalizer

    found = list(charset_normalizer.from_bytes(sample))
    if not found:
        return western
    # Among the least chaotic readings, a Windows code page (what Excel saves) first.
    least = min(m.chaos for m in found)
    close = [codecs.lookup(m.encoding).name for m in found if m.chaos <= least + 0.01]
    name = next((n for n in close if n.startswith("cp")), close[0])
    return western if name in ("cp1252", "iso8859-1") else name


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
    codec, errors = _decoder_args(encoding)
    text = raw.decode(codec, errors="replace" if errors == "strict" else errors)
    if _looks_binary(text):
        raise FileFormatError("The file looks binary, not like CSV text.")
    complete = len(raw) < SAMPLE_BYTES
    body = text.lstrip("\r\n")  # blank lines before the header are not rows either
    skipped_lines = text[: len(text) - len(body)].count("\n")
    text = body
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
    rows, lines = _sample_rows(reader, complete, skipped_lines)
    _check_widths(rows, lines, len(header))
    if complete and not rows:
        raise FileFormatError("The file has a header row but no data rows.")
    names = unique_names([h.strip() for h in header])
    columns = []
    for index, (name, source) in enumerate(zip(names, header, strict=True)):
        values = [r[index] for r in rows if index < len(r)]
        columns.append(Column(name=name, source_name=source, pg_type=_infer_type(values)))
    return CsvLayout(encoding=encoding, delimiter=delimiter, quotechar='"', columns=columns)


def _sample_rows(reader, complete: bool, offset: int) -> tuple[list[list[str]], list[int]]:
    """Sampled data rows and the file line each starts on; blank lines are skipped
    (a blank last line, CRLF or not, is no row), as spreadsheets and pandas do."""
    rows: list[list[str]] = []
    lines: list[int] = []
    while len(rows) < SAMPLE_ROWS:
        line = reader.line_num + 1 + offset
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if complete:
                raise FileFormatError(
                    f"The file is not valid CSV at line {line}: {exc} (an unbalanced quote?)."
                ) from None
            return rows, lines  # the sample's end cut a quoted field: COPY checks the rest
        if row:
            rows.append(row)
            lines.append(line)
    else:
        return rows, lines
    if not complete and rows:
        rows.pop()  # the last sampled row may be cut short
        lines.pop()
    return rows, lines


def _check_widths(rows: list[list[str]], lines: list[int], width: int) -> None:
    for line, row in zip(lines, rows, strict=True):
        if len(row) != width:
            raise FileFormatError(
                f"Row {line} has {len(row)} value(s) but the header has {width} "
                "column(s); every row needs one value per column."
            )


_BLANK_LINE = re.compile(rb"(?m)^\r?\n")
_TWO_NEWLINES = re.compile(rb"\n\r?\n")  # one scan: quicker than two `in` tests


class CsvStream:
    """The file as UTF-8 chunks for COPY, in constant memory.

    Decoded whole with the encoding the sample gave (a byte it cannot decode fails with
    its line number); blank lines outside quoted values are left out, so a blank last
    line (CRLF or not), several, or one in the middle is no row. A line is inside a
    quoted value when an odd number of quote characters precede it, which is how
    PostgreSQL splits CSV lines too. :meth:`file_line` turns the line numbers COPY
    reports back into the file's.
    """

    def __init__(
        self, path: Path, encoding: str, quotechar: str = '"', chunk_size: int = CHUNK
    ) -> None:
        self.path, self.encoding, self.chunk_size = path, encoding, chunk_size
        self._quote = quotechar.encode()
        self._in_quote = False
        self._line_start = True
        self._out_lines = 0
        self._moved_at: list[int] = []
        """Output line numbers before which blank lines were left out (one per line)."""

    def file_line(self, copy_line: int) -> int:
        """The file's line number of COPY's line ``copy_line`` (1 is the header)."""
        return copy_line + bisect.bisect_right(self._moved_at, copy_line)

    def __iter__(self) -> Iterator[bytes]:
        carry = b""
        for chunk in self._utf8_chunks():
            block = carry + chunk if carry else chunk
            carry = b""
            if block.endswith(b"\r"):  # maybe half of a blank CRLF line: wait for the rest
                block, carry = block[:-1], b"\r"
            if block:
                yield from self._without_blank_lines(block)
        if carry and not self._line_start:
            yield carry

    def _without_blank_lines(self, block: bytes) -> Iterator[bytes]:
        at_start = self._line_start
        self._line_start = block.endswith(b"\n")
        blank_first = at_start and block.startswith((b"\n", b"\r\n"))
        if not blank_first and not _TWO_NEWLINES.search(block):  # most blocks: kept whole
            self._in_quote ^= bool(block.count(self._quote) & 1)
            self._out_lines += block.count(b"\n")
            yield block
            return
        kept = counted = 0
        for match in _BLANK_LINE.finditer(block):
            if match.start() == 0 and not at_start:
                continue  # the end of the previous block's last line
            self._in_quote ^= bool(block.count(self._quote, counted, match.start()) & 1)
            counted = match.start()
            if self._in_quote:
                continue  # a blank line inside a quoted value is data
            self._out_lines += block.count(b"\n", kept, match.start())
            self._moved_at.append(self._out_lines + 1)
            if match.start() > kept:
                yield block[kept : match.start()]
            kept = match.end()
        self._in_quote ^= bool(block.count(self._quote, counted) & 1)
        self._out_lines += block.count(b"\n", kept)
        if kept < len(block):
            yield block[kept:]

    def _utf8_chunks(self) -> Iterator[bytes]:
        codec, errors = _decoder_args(self.encoding)
        with self.path.open("rb") as fh:
            if self.encoding in {"utf-8", "utf-8-sig"}:
                if self.encoding == "utf-8-sig":
                    fh.read(3)
                while chunk := fh.read(self.chunk_size):
                    yield chunk  # PostgreSQL checks it is UTF-8 (see loader.load_csv)
                return
            decoder = codecs.getincrementaldecoder(codec)(errors)
            lines = 0
            while True:
                chunk = fh.read(self.chunk_size)
                try:
                    text = decoder.decode(chunk, final=not chunk)
                except UnicodeDecodeError as exc:
                    line = lines + exc.object[: exc.start].count(b"\n") + 1
                    byte = exc.object[exc.start : exc.start + 1].hex()
                    raise FileFormatError(
                        f"The file cannot be loaded: byte 0x{byte} on line {line} is not "
                        f"{codec_label(self.encoding)} text, the encoding detected from the "
                        "start of the file. Save the file as UTF-8 and upload it again."
                    ) from None
                lines += chunk.count(b"\n")
                if text:
                    yield text.encode("utf-8")
                if not chunk:
                    return
