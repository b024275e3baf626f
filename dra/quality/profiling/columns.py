"""The profiled table's columns: their SQL types and the kind each is profiled as."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from dra.errors import NotFound
from dra.quality import patterns

NUMERIC_TYPES = frozenset({"int2", "int4", "int8", "numeric", "float4", "float8"})
TEXT_TYPES = frozenset({"text", "varchar", "bpchar", "citext", "name"})
KIND_BY_TYPE = {
    **{t: "numeric" for t in NUMERIC_TYPES},
    **{t: "text" for t in TEXT_TYPES},
    "bool": "boolean",
    "date": "date",
    "timestamp": "timestamp",
    "timestamptz": "timestamp",
    "uuid": "uuid",
}


class TableNotFound(NotFound, LookupError):
    """The table to profile does not exist."""


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    type: str
    """The SQL type as PostgreSQL prints it (``character varying(40)``)."""
    typname: str

    @property
    def kind(self) -> str:
        return KIND_BY_TYPE.get(self.typname, "other")


def table_columns(conn: psycopg.Connection, schema: str, table: str) -> list[ColumnInfo]:
    """Columns of ``schema.table`` in order; raises TableNotFound."""
    qualified = sql.Identifier(schema, table).as_string(conn)
    row = conn.execute("select to_regclass(%s)::oid", (qualified,)).fetchone()
    if row is None or row[0] is None:
        raise TableNotFound(f"Table {schema}.{table} does not exist.")
    rows = conn.execute(
        "select a.attname, format_type(a.atttypid, a.atttypmod), t.typname"
        " from pg_attribute a join pg_type t on t.oid = a.atttypid"
        " where a.attrelid = %s and a.attnum > 0 and not a.attisdropped order by a.attnum",
        (row[0],),
    ).fetchall()
    return [ColumnInfo(name, type_, typname) for name, type_, typname in rows]


def date_pairs(columns: list[ColumnInfo]) -> list[tuple[str, str]]:
    """(earlier, later) date or timestamp columns expected in that order (created, updated)."""
    return patterns.ordered_pairs([c.name for c in columns if c.kind in ("date", "timestamp")])
