"""Excel workbooks: every non-empty sheet is a table (.xlsx streamed read-only, .xls with xlrd)."""

from __future__ import annotations

import itertools
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from dra.ingestion.csv_files import Column, FileFormatError
from dra.ingestion.naming import unique_names

SAMPLE_ROWS = 1000


@dataclass
class Sheet:
    name: str
    header: list[str]
    rows: Iterator[list[Any]]
    """Data rows, padded or cut to the header's width (streamed)."""


def _is_empty(row: tuple | list) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def _sheet_rows(raw_rows: Iterator[tuple]) -> tuple[list[str], Iterator[list[Any]]] | None:
    """Header (first non-empty row) and the data rows; None for an empty sheet."""
    for first in raw_rows:
        if not _is_empty(first):
            break
    else:
        return None
    header = list(first)
    while header and (header[-1] is None or str(header[-1]).strip() == ""):
        header.pop()
    width = len(header)
    names = ["" if h is None else str(h).strip() for h in header]

    def data() -> Iterator[list[Any]]:
        for row in raw_rows:
            if _is_empty(row):
                continue
            values = list(row[:width])
            values.extend([None] * (width - len(values)))
            yield values

    return names, data()


def _open_xlsx(path: Path):
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileFormatError(
            f"The file is not a readable Excel workbook (.xlsx): {exc.__class__.__name__}."
        ) from None


def _xls_rows(book, sheet) -> Iterator[tuple]:
    import xlrd

    for index in range(sheet.nrows):
        out = []
        for cell in sheet.row(index):
            if cell.ctype == xlrd.XL_CELL_DATE:
                out.append(xlrd.xldate_as_datetime(cell.value, book.datemode))
            elif cell.ctype == xlrd.XL_CELL_NUMBER and float(cell.value).is_integer():
                out.append(int(cell.value))
            elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                out.append(bool(cell.value))
            elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
                out.append(None)
            else:
                out.append(cell.value)
        yield tuple(out)


@contextmanager
def open_sheets(path: Path) -> Iterator[tuple[list[Sheet], list[str]]]:
    """(non-empty sheets, notes about skipped sheets), rows streamed while open."""
    notes: list[str] = []
    sheets: list[Sheet] = []
    if path.suffix.lower() == ".xls":
        import xlrd

        try:
            book = xlrd.open_workbook(str(path), on_demand=True)
        except Exception as exc:  # noqa: BLE001 - xlrd raises many types for corrupt files
            raise FileFormatError(
                f"The file is not a readable Excel 97-2003 workbook (.xls): {exc}."
            ) from None
        try:
            for name in book.sheet_names():
                found = _sheet_rows(_xls_rows(book, book.sheet_by_name(name)))
                if found is None:
                    notes.append(f"Sheet {name!r} is empty and was skipped.")
                else:
                    sheets.append(Sheet(name, *found))
            yield sheets, notes
        finally:
            book.release_resources()
        return
    book = _open_xlsx(path)
    try:
        for ws in book.worksheets:
            found = _sheet_rows(ws.iter_rows(values_only=True))
            if found is None:
                notes.append(f"Sheet {ws.title!r} is empty and was skipped.")
            else:
                sheets.append(Sheet(ws.title, *found))
        yield sheets, notes
    finally:
        book.close()


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "bigint"
    if isinstance(value, float):
        return "double precision"
    if isinstance(value, datetime):
        return "timestamp"
    if isinstance(value, date):
        return "date"
    return "text"


def infer_columns(header: list[str], sample: list[list[Any]]) -> list[Column]:
    names = unique_names(header)
    columns = []
    for index, (name, source) in enumerate(zip(names, header, strict=True)):
        kinds = {_kind(r[index]) for r in sample if r[index] is not None}
        if kinds == {"bigint", "double precision"}:
            kinds = {"double precision"}
        pg_type = kinds.pop() if len(kinds) == 1 else "text"
        columns.append(Column(name, source, pg_type))
    return columns


def _cell_text(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def typed_rows(sheet: Sheet, *, as_text: bool = False) -> tuple[list[Column], Iterator[list[Any]]]:
    """Columns inferred from the first rows, and every row (the sample put back in front)."""
    sample = list(itertools.islice(sheet.rows, SAMPLE_ROWS))
    columns = infer_columns(sheet.header, sample)
    if as_text:
        columns = [Column(c.name, c.source_name, "text") for c in columns]
    text_indexes = [i for i, c in enumerate(columns) if c.pg_type == "text"]

    def rows() -> Iterator[list[Any]]:
        for row in itertools.chain(sample, sheet.rows):
            for i in text_indexes:
                row[i] = _cell_text(row[i])
            yield row

    return columns, rows()


def check_workbook(path: Path) -> list[str]:
    """Names of the sheets that hold data; FileFormatError when there is none."""
    with open_sheets(path) as (sheets, notes):
        names = [s.name for s in sheets]
    if not names:
        raise FileFormatError("Every sheet of this workbook is empty. " + " ".join(notes))
    return names
