"""Atomic table loads: COPY into a fresh table, then swap it in one transaction.

Readers never see a partial table, and a failed load leaves the last good data.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from dra.ingestion.csv_files import (
    Column,
    CsvLayout,
    CsvStream,
    FileFormatError,
    codec_label,
    sniff,
)
from dra.ingestion.naming import MAX_IDENT
from dra.project_roles import grant_schema, grant_table


@dataclass(frozen=True)
class LoadResult:
    schema: str
    table: str
    rows: int
    """Rows processed by this load (for an incremental load: the rows appended)."""
    columns: list[Column]
    previous_rows: int = 0
    """Rows kept from the previous table by an incremental load."""
    cursor_column: str | None = None
    cursor_value: str | None = None
    """Incremental cursor after this load (encoded, see dra.ingestion.connectors)."""

    @property
    def total_rows(self) -> int:
        return self.rows + self.previous_rows


def _create_table(cur: psycopg.Cursor, schema: str, table: str, columns: Sequence[Column]) -> None:
    cols = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(c.pg_type)) for c in columns
    )
    cur.execute(
        sql.SQL("create table {}.{} ({})").format(
            sql.Identifier(schema), sql.Identifier(table), cols
        )
    )


def ensure_schema(cur: psycopg.Cursor, schema: str) -> None:
    """The schema, readable by its project's database role (dra.project_roles)."""
    cur.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
    grant_schema(cur, schema)


def swap_in(cur: psycopg.Cursor, schema: str, staging: str, table: str) -> None:
    """Replace ``table`` by ``staging`` (same transaction) and let the project's role read it."""
    cur.execute(
        sql.SQL("drop table if exists {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
    )
    cur.execute(
        sql.SQL("alter table {}.{} rename to {}").format(
            sql.Identifier(schema), sql.Identifier(staging), sql.Identifier(table)
        )
    )
    grant_table(cur, schema, table)


def claim_table_name(cur: psycopg.Cursor, schema: str, base: str, reserved: Iterable[str]) -> str:
    """A name for a new table: ``base``, else ``base_2``, ``base_3``..., free in ``schema``
    and not ``reserved``. Holds the schema's naming lock until the transaction ends, so two
    loads swapping in new tables at once cannot take (and replace) the same name."""
    cur.execute("select pg_advisory_xact_lock(hashtext(%s))", (f"dra-table-names:{schema}",))
    taken = set(reserved)
    name, n = base, 1
    while True:
        cur.execute("select to_regclass(%s)", (sql.Identifier(schema, name).as_string(cur),))
        if name not in taken and cur.fetchone()[0] is None:
            return name
        n += 1
        suffix = f"_{n}"
        name = base[: MAX_IDENT - len(suffix)] + suffix


def analyze_table(cur: psycopg.Cursor, schema: str, table: str) -> None:
    """Gather the planner statistics of a table just built (dashboards' query plans, and
    the distinct counts of a sampled quality profile, read them)."""
    cur.execute(sql.SQL("analyze {}.{}").format(sql.Identifier(schema), sql.Identifier(table)))


def _copy_file(
    cur: psycopg.Cursor, schema: str, table: str, layout: CsvLayout, stream: CsvStream
) -> int:
    statement = sql.SQL(
        "copy {}.{} ({}) from stdin with (format csv, header true, delimiter {}, quote {})"
    ).format(
        sql.Identifier(schema),
        sql.Identifier(table),
        sql.SQL(", ").join(sql.Identifier(c.name) for c in layout.columns),
        sql.Literal(layout.delimiter),
        sql.Literal(layout.quotechar),
    )
    with cur.copy(statement) as copy:
        for chunk in stream:
            copy.write(chunk)
    return cur.rowcount


def load_csv(
    conn: psycopg.Connection,
    schema: str,
    table: str,
    path: Path,
    layout: CsvLayout | None = None,
    *,
    reserved: Iterable[str] | None = None,
) -> LoadResult:
    """Load a CSV file into ``schema.table`` atomically; types inferred, text as fallback.

    With ``reserved`` the table is new: it gets ``table`` or the next free name (see
    :func:`claim_table_name`) instead of replacing a table of that name.
    """
    layout = layout or sniff(path)
    staging = f"_load_{secrets.token_hex(6)}"
    for attempt in ("typed", "text"):
        columns = (
            layout.columns
            if attempt == "typed"
            else [Column(c.name, c.source_name, "text") for c in layout.columns]
        )
        stream = CsvStream(path, layout.encoding, layout.quotechar)
        try:
            with conn.transaction(), conn.cursor() as cur:
                ensure_schema(cur, schema)
                _create_table(cur, schema, staging, columns)
                rows = _copy_file(
                    cur,
                    schema,
                    staging,
                    CsvLayout(layout.encoding, layout.delimiter, layout.quotechar, columns),
                    stream,
                )
                name = table if reserved is None else claim_table_name(cur, schema, table, reserved)
                swap_in(cur, schema, staging, name)
            return LoadResult(schema=schema, table=name, rows=rows, columns=columns)
        except psycopg.errors.CharacterNotInRepertoire as exc:
            # valid UTF-8 in the first 256 KB, not further on: text columns would not help
            raise FileFormatError(_copy_message(exc, stream, layout.encoding)) from None
        except psycopg.errors.DataError as exc:
            if attempt == "text":
                raise FileFormatError(_copy_message(exc, stream)) from None
            # a value later in the file does not fit the inferred type: load all as text
        except psycopg.errors.BadCopyFileFormat as exc:
            raise FileFormatError(_copy_message(exc, stream)) from None
    raise AssertionError("unreachable")


def _copy_message(exc: psycopg.Error, stream: CsvStream, encoding: str | None = None) -> str:
    diag = exc.diag
    where = ""
    if diag and diag.context:
        line = re.search(r"line (\d+)", diag.context.splitlines()[0])
        where = f" (line {stream.file_line(int(line.group(1)))} of the file)" if line else ""
    primary = (diag.message_primary if diag else None) or str(exc)
    if encoding is not None:
        return (
            f"The file cannot be loaded: it is not {codec_label(encoding)} text throughout, "
            f"the encoding detected from its start ({primary[:200]}){where}. "
            "Save the file as UTF-8 and upload it again."
        )
    return f"The file cannot be loaded: {primary[:300]}{where}."


def existing_columns(cur: psycopg.Cursor, schema: str, table: str) -> list[str] | None:
    """Column names of ``schema.table`` in order, or None when it does not exist."""
    cur.execute(
        "select a.attname from pg_attribute a where a.attrelid = to_regclass(%s) "
        "and a.attnum > 0 and not a.attisdropped order by a.attnum",
        (sql.Identifier(schema, table).as_string(cur),),
    )
    names = [r[0] for r in cur.fetchall()]
    return names or None


def load_rows(
    conn: psycopg.Connection,
    schema: str,
    table: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[object]],
    *,
    keep_existing: bool = False,
    reserved: Iterable[str] | None = None,
) -> LoadResult:
    """Load rows from any iterator (databases, sheets, PDFs) atomically with COPY.

    With ``keep_existing`` the new table starts as a copy of the current one (same
    columns required), so an incremental load appends and still swaps in atomically.
    With ``reserved`` the table is new and named as :func:`load_csv` says.
    """
    staging = f"_load_{secrets.token_hex(6)}"
    count = previous = 0
    names = sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)
    with conn.transaction(), conn.cursor() as cur:
        ensure_schema(cur, schema)
        _create_table(cur, schema, staging, columns)
        if keep_existing:
            if existing_columns(cur, schema, table) != [c.name for c in columns]:
                raise ValueError(
                    f"{schema}.{table} does not have the same columns; "
                    "load it in full instead of appending."
                )
            cur.execute(
                sql.SQL("insert into {}.{} ({}) select {} from {}.{}").format(
                    sql.Identifier(schema),
                    sql.Identifier(staging),
                    names,
                    names,
                    sql.Identifier(schema),
                    sql.Identifier(table),
                )
            )
            previous = cur.rowcount
        statement = sql.SQL("copy {}.{} ({}) from stdin").format(
            sql.Identifier(schema), sql.Identifier(staging), names
        )
        with cur.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        if reserved is not None:
            table = claim_table_name(cur, schema, table, reserved)
        swap_in(cur, schema, staging, table)
    return LoadResult(
        schema=schema, table=table, rows=count, columns=list(columns), previous_rows=previous
    )


def drop_raw_tables(database, schema: str, tables: Iterable[str]) -> None:
    """Drop ingested tables (a deleted source's, or a cancelled load's) in one transaction."""
    names = list(tables)
    if not names:
        return
    with database.system_connection() as conn:
        with conn.cursor() as cur:
            for name in names:
                cur.execute(
                    sql.SQL("drop table if exists {}.{}").format(
                        sql.Identifier(schema), sql.Identifier(name)
                    )
                )
        conn.commit()


def upsert_rows(
    conn: psycopg.Connection,
    schema: str,
    table: str,
    columns: Sequence[Column],
    key: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    reserved: Iterable[str] | None = None,
) -> LoadResult:
    """Insert or update ``rows`` in ``schema.table`` on the unique ``key`` (a table that
    accumulates, such as an ad platform's daily figures re-read over a lookback window).

    One transaction: the table is created when missing (with the unique index; a new
    table is named as :func:`load_csv` says when ``reserved`` is given), declared columns
    it lacks are added, the rows are COPYed into a temporary table and merged (the last
    row of a repeated key wins). ``rows`` of the result counts the distinct keys written,
    ``previous_rows`` the other rows the table holds.
    """
    names = [c.name for c in columns]
    cols = sql.SQL(", ").join(sql.Identifier(n) for n in names)
    keys = sql.SQL(", ").join(sql.Identifier(k) for k in key)
    scratch = f"_upsert_{secrets.token_hex(6)}"
    with conn.transaction(), conn.cursor() as cur:
        ensure_schema(cur, schema)
        if reserved is not None:
            table = claim_table_name(cur, schema, table, reserved)
        target = sql.Identifier(schema, table)
        present = existing_columns(cur, schema, table)
        if present is None:
            _create_table(cur, schema, table, columns)
            grant_table(cur, schema, table)
        else:
            for column in columns:
                if column.name not in present:
                    cur.execute(
                        sql.SQL("alter table {} add column {} {}").format(
                            target, sql.Identifier(column.name), sql.SQL(column.pg_type)
                        )
                    )
        cur.execute(
            sql.SQL("create unique index if not exists {} on {} ({})").format(
                sql.Identifier(
                    f"{table[:45]}_{hashlib.sha256(table.encode()).hexdigest()[:8]}_key"
                ),
                target,
                keys,
            )
        )
        cur.execute(
            sql.SQL("create temporary table {} (like {}, _n bigint) on commit drop").format(
                sql.Identifier(scratch), target
            )
        )
        with cur.copy(
            sql.SQL("copy {} ({}, _n) from stdin").format(sql.Identifier(scratch), cols)
        ) as copy:
            for n, row in enumerate(rows):
                copy.write_row((*row, n))
        updates = sql.SQL(", ").join(
            sql.SQL("{} = excluded.{}").format(sql.Identifier(n), sql.Identifier(n))
            for n in names
            if n not in key
        )
        cur.execute(
            sql.SQL(
                "insert into {target} ({cols}) select {cols} from ("
                "select distinct on ({keys}) * from {scratch} order by {keys}, _n desc) latest "
                "on conflict ({keys}) do update set {updates}"
            ).format(
                target=target,
                cols=cols,
                keys=keys,
                scratch=sql.Identifier(scratch),
                updates=updates,
            )
        )
        written = cur.rowcount
        cur.execute(sql.SQL("select count(*) from {}").format(target))
        total = cur.fetchone()[0]
    return LoadResult(
        schema=schema,
        table=table,
        rows=written,
        columns=list(columns),
        previous_rows=total - written,
    )
