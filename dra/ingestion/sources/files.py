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
    """A readable raw table name: the source's name (an uploaded file's own name, without
    the time prefix it is stored under, unless the user named the source), and the part
    (a sheet, a PDF table, a database table)."""
    return slugify(source.name if part is None else f"{source.name}_{part}", fallback="t")


def target_table(
    source: SourceSnapshot, part: str | None, used: set[str]
) -> tuple[str, frozenset[str] | None]:
    """(raw table, names it must not take) for one part of a source: the table loaded
    last time, replaced in place (None); else a new table named from the source, whose
    name the load makes unique in the project (``ad_spend``, then ``ad_spend_2``)."""
    state = source.tables_state.get(part) if part is not None else None
    if state is not None:
        return state.raw_table, None
    return table_name_for(source, part), source.taken_names | used


def _require_file(source: SourceSnapshot):
    if source.file_path is None or not source.file_path.exists():
        raise FileFormatError("The uploaded file is missing; upload it again.")
    return source.file_path


@register("csv")
def load_csv_source(
    conn: psycopg.Connection, source: SourceSnapshot, schema: str, log: Callable[[str], None]
) -> list[tuple[str, LoadResult]]:
    path = _require_file(source)
    # One table, named as people see it and write it in SQL. A source loaded before
    # keeps its table (models read it), whatever name its entry had (once the stored
    # file's name, with its time prefix): the new entry takes that row's place.
    previous = next(iter(source.tables_state.values()), None)
    table, reserved = (
        (previous.raw_table, None) if previous else (table_name_for(source), source.taken_names)
    )
    result = load_csv(conn, schema, table, path, reserved=reserved)
    log(f"{source.name}: loaded {result.rows} rows into {schema}.{result.table}")
    return [(result.table, result)]


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
        table, reserved = target_table(source, sheet_name, used)
        result = None
        for as_text in (False, True):
            with spreadsheets.open_sheets(path) as (sheets, _notes):
                sheet = next(s for s in sheets if s.name == sheet_name)
                columns, rows = spreadsheets.typed_rows(sheet, as_text=as_text)
                try:
                    result = load_rows(conn, schema, table, columns, rows, reserved=reserved)
                    break
                except psycopg.errors.DataError:
                    if as_text:
                        raise
        used.add(result.table)
        log(
            f"{source.name}: sheet {sheet_name!r}: "
            f"loaded {result.rows} rows into {schema}.{result.table}"
        )
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
        name, reserved = target_table(source, part, used)
        result = load_rows(conn, schema, name, table.columns, table.rows, reserved=reserved)
        used.add(result.table)
        log(
            f"{source.name}: table {number} (pages {table.pages[0]}-{table.pages[-1]}): "
            f"loaded {result.rows} rows into {schema}.{result.table}"
        )
        loaded.append((part, result))
    name, reserved = target_table(source, "text", used)
    result = load_rows(
        conn, schema, name, pdfs.TEXT_COLUMNS, pdfs.text_lines(path), reserved=reserved
    )
    log(f"{source.name}: text: loaded {result.rows} lines into {schema}.{result.table}")
    loaded.append(("text", result))
    return loaded
