"""Uploaded files: CSV (one table)."""

from __future__ import annotations

from collections.abc import Callable

import psycopg

from dra.ingestion.csv_files import FileFormatError
from dra.ingestion.loader import LoadResult, load_csv
from dra.ingestion.naming import slugify
from dra.ingestion.registry import SourceSnapshot, register


def table_name_for(source: SourceSnapshot, part: str | None = None) -> str:
    """A readable raw table name, made unique within the project."""
    base = slugify(source.name if part is None else f"{source.name}_{part}", fallback="t")
    if base in source.taken_names:
        base = f"{base[:55]}_s{source.id}"
    return base


@register("csv")
def load_csv_source(conn: psycopg.Connection, source: SourceSnapshot, schema: str,
                    log: Callable[[str], None]) -> list[tuple[str, LoadResult]]:
    if source.file_path is None or not source.file_path.exists():
        raise FileFormatError("The uploaded file is missing; upload it again.")
    table = table_name_for(source)
    result = load_csv(conn, schema, table, source.file_path)
    log(f"{source.name}: loaded {result.rows} rows into {schema}.{table}")
    return [(source.file_path.name, result)]
