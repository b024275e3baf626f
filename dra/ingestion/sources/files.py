"""Uploaded files: CSV (one table), Excel (one table per sheet), PDF (tables + text)."""

from __future__ import annotations

from collections.abc import Callable

import psycopg

from dra.ingestion import pdfs, spreadsheets
from dra.ingestion.csv_files import FileFormatError
from dra.ingestion.loader import LoadResult, load_csv, load_rows
from dra.ingestion.naming import slugify
from dra.ingestion.registry import SourceSnapshot, register


def table_name_for(source: SourceSnapshot, part: str | None = None) -> str:
    """A readable raw table name, made unique within the project."""
    base = slugify(source.name if part is None else f"{source.name}_{part}", fallback="t")
    if base in source.taken_names:
        base = f"{base[:55]}_s{source.id}"
    return base


def raw_table_name(source: SourceSnapshot, part: str, used: set[str]) -> str:
    """A raw table name unique in the project and among this source's own tables."""
    base = table_name_for(source, part)
    name, n = base, 2
    while name in used:
        name = f"{base[:58]}_{n}"
        n += 1
    used.add(name)
    return name


def _raw_name(source: SourceSnapshot, part: str, used: set[str]) -> str:
    state = source.tables_state.get(part)
    return state.raw_table if state else raw_table_name(source, part, used)


def _require_file(source: SourceSnapshot):
    if source.file_path is None or not source.file_path.exists():
        raise FileFormatError("The uploaded file is missing; upload it again.")
    return source.file_path


@register("csv")
def load_csv_source(
    conn: psycopg.Connection, source: SourceSnapshot, schema: str, log: Callable[[str], None]
) -> list[tuple[str, LoadResult]]:
    path = _require_file(source)
    table = table_name_for(source)
    result = load_csv(conn, schema, table, path)
    log(f"{source.name}: loaded {result.rows} rows into {schema}.{table}")
    return [(path.name, result)]


@register("excel")
def load_excel_source(
    conn: psycopg.Connection, source: SourceSnapshot, schema: str, log: Callable[[str], None]
) -> list[tuple[str, LoadResult]]:
    path = _require_file(source)
    used = {s.raw_table for s in source.tables_state.values()}
    loaded: list[tuple[str, LoadResult]] = []
    with spreadsheets.open_sheets(path) as (sheets, notes):
        names = [s.name for s in sheets]
        for note in notes:
            log(f"{source.name}: {note}")
    if not names:
        raise FileFormatError("Every sheet of this workbook is empty.")
    for sheet_name in names:
        table = _raw_name(source, sheet_name, used)
        result = None
        for as_text in (False, True):
            with spreadsheets.open_sheets(path) as (sheets, _notes):
                sheet = next(s for s in sheets if s.name == sheet_name)
                columns, rows = spreadsheets.typed_rows(sheet, as_text=as_text)
                try:
                    result = load_rows(conn, schema, table, columns, rows)
                    break
                except psycopg.errors.DataError:
                    if as_text:
                        raise
        log(f"{source.name}: sheet {sheet_name!r}: loaded {result.rows} rows into {schema}.{table}")
        loaded.append((sheet_name, result))
    return loaded


@register("pdf")
def load_pdf_source(
    conn: psycopg.Connection, source: SourceSnapshot, schema: str, log: Callable[[str], None]
) -> list[tuple[str, LoadResult]]:
    path = _require_file(source)
    used = {s.raw_table for s in source.tables_state.values()}
    loaded: list[tuple[str, LoadResult]] = []
    tables = pdfs.extract_tables(path)
    if not tables:
        pdfs.check_pdf(path)  # refuses a PDF without text before any table is replaced
    for number, table in enumerate(tables, 1):
        part = f"table_{number}"
        name = _raw_name(source, part, used)
        result = load_rows(conn, schema, name, table.columns, table.rows)
        log(
            f"{source.name}: table {number} (pages {table.pages[0]}-{table.pages[-1]}): "
            f"loaded {result.rows} rows into {schema}.{name}"
        )
        loaded.append((part, result))
    name = _raw_name(source, "text", used)
    result = load_rows(conn, schema, name, pdfs.TEXT_COLUMNS, pdfs.text_lines(path))
    log(f"{source.name}: text: loaded {result.rows} lines into {schema}.{name}")
    loaded.append(("text", result))
    return loaded
