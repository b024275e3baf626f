"""Database sources (PostgreSQL, MySQL, MariaDB, MongoDB): one raw table per chosen table.

Rows stream from a server-side cursor straight into COPY (constant memory). A table
with an incremental cursor column appends only the rows past the last value seen; the
new table is a copy of the previous one plus those rows, swapped in atomically.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import psycopg

from dra.ingestion.connectors import (
    Connector,
    SourceTable,
    connector_for,
    decode_cursor,
    encode_cursor,
)
from dra.ingestion.csv_files import Column
from dra.ingestion.loader import LoadResult, existing_columns, load_rows
from dra.ingestion.naming import unique_names
from dra.ingestion.registry import SourceSnapshot, register
from dra.ingestion.sources.files import table_name_for


class _CursorTracker:
    """Passes rows through and remembers the cursor column's last (largest) value."""

    def __init__(self, rows: Iterable[Sequence[Any]], index: int | None) -> None:
        self._rows, self._index, self.last = rows, index, None

    def __iter__(self) -> Iterator[Sequence[Any]]:
        index = self._index
        for row in self._rows:
            if index is not None and row[index] is not None:
                self.last = row[index]
            yield row


def _as_text(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict | list | tuple | bool):
        return json.dumps(value, default=str)
    return str(value)


def _textify(rows: Iterable[Sequence[Any]], indexes: list[int]) -> Iterator[Sequence[Any]]:
    """jsonb and text columns get text (COPY cannot adapt dicts; types may not match)."""
    if not indexes:
        yield from rows
        return
    for row in rows:
        out = list(row)
        for i in indexes:
            out[i] = _as_text(out[i])
        yield out


def target_columns(table: SourceTable, *, as_text: bool = False) -> list[Column]:
    names = unique_names([c.name for c in table.columns])
    return [
        Column(n, c.name, "text" if as_text else c.pg_type)
        for n, c in zip(names, table.columns, strict=True)
    ]


def _attempt(
    conn: psycopg.Connection,
    connector: Connector,
    table: SourceTable,
    schema: str,
    raw_table: str,
    cols: list[Column],
    index: int | None,
    cursor_column: str | None,
    cursor_value: str | None,
    append: bool,
    reserved: frozenset[str] | None = None,
) -> LoadResult:
    text_indexes = [i for i, c in enumerate(cols) if c.pg_type in ("jsonb", "text")]
    after = decode_cursor(cursor_value) if append else None
    with connector.stream(table, cursor_column=cursor_column, after=after) as rows:
        tracker = _CursorTracker(rows, index)
        result = load_rows(
            conn,
            schema,
            raw_table,
            cols,
            _textify(tracker, text_indexes),
            keep_existing=append,
            reserved=reserved,
        )
    new_cursor = (
        encode_cursor(tracker.last)
        if tracker.last is not None
        else (cursor_value if append else None)
    )
    return LoadResult(
        result.schema,
        result.table,
        result.rows,
        result.columns,
        previous_rows=result.previous_rows,
        cursor_column=cursor_column,
        cursor_value=new_cursor,
    )


def load_table(
    conn: psycopg.Connection,
    connector: Connector,
    table: SourceTable,
    schema: str,
    raw_table: str,
    *,
    cursor_column: str | None = None,
    cursor_value: str | None = None,
    reserved: frozenset[str] | None = None,
) -> LoadResult:
    """Load one source table in full, or incrementally when a cursor value is known.

    An append whose kept rows no longer fit (the types changed) becomes a full load; a
    full load whose values do not fit the declared types is retried with text columns.
    With ``reserved`` the table is new (see ``load_rows``): nothing to append to.
    """
    columns = target_columns(table)
    index = None
    if cursor_column:
        names = [c.name for c in table.columns]
        if cursor_column not in names:
            raise LookupError(f"The cursor column {cursor_column!r} is not in {table.name}.")
        index = names.index(cursor_column)
    args = (conn, connector, table, schema, raw_table)
    current = None
    if reserved is None:
        with conn.cursor() as cur:
            current = existing_columns(cur, schema, raw_table)
    if cursor_column and cursor_value and current == [c.name for c in columns]:
        try:
            return _attempt(*args, columns, index, cursor_column, cursor_value, append=True)
        except (psycopg.errors.DatatypeMismatch, psycopg.errors.DataError):
            pass  # the kept rows do not fit the current types: reload in full
    try:
        return _attempt(*args, columns, index, cursor_column, None, False, reserved)
    except psycopg.errors.DataError:  # a value does not fit the declared type: load as text
        as_text = target_columns(table, as_text=True)
        return _attempt(*args, as_text, index, cursor_column, None, False, reserved)


@register("postgresql", "mysql", "mariadb", "mongodb")
def load_database_source(
    conn: psycopg.Connection, source: SourceSnapshot, schema: str, log: Callable[[str], None]
) -> list[tuple[str, LoadResult]]:
    connector = connector_for(source.type, source.connection)
    available = {t.name: t for t in connector.introspect()}
    source.discovered["schema"] = [available[name].as_dict() for name in sorted(available)]
    try:  # join suggestions read them; a source that will not say still loads
        source.discovered["foreign_keys"] = [fk.as_dict() for fk in connector.foreign_keys()]
    except Exception as exc:  # noqa: BLE001 - logged, the load goes on
        log(f"{source.name}: the foreign keys could not be read: {exc}")
    wanted = source.selected_tables or sorted(available)
    missing = [name for name in wanted if name not in available]
    if missing:
        raise LookupError("These tables no longer exist at the source: " + ", ".join(missing))
    cursors: dict[str, str] = dict(source.settings.get("incremental") or {})
    loaded = []
    used = {s.raw_table for s in source.tables_state.values()}
    for name in wanted:
        state = source.tables_state.get(name)
        part = name.removeprefix("public.")
        raw_table, reserved = (
            (state.raw_table, None)
            if state
            else (table_name_for(source, part), source.taken_names | used)
        )
        cursor_column = cursors.get(name) or None
        cursor_value = (
            state.cursor_value if state and state.cursor_column == cursor_column else None
        )
        result = load_table(
            conn,
            connector,
            available[name],
            schema,
            raw_table,
            cursor_column=cursor_column,
            cursor_value=cursor_value,
            reserved=reserved,
        )
        used.add(result.table)
        how = (
            f"appended {result.rows} rows (now {result.total_rows})"
            if result.previous_rows
            else f"loaded {result.rows} rows"
        )
        log(f"{source.name}: {name}: {how} into {schema}.{result.table}")
        loaded.append((name, result))
    return loaded
