"""PostgreSQL sources through psycopg, streamed with a server-side (named) cursor."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

from dra.ingestion.connectors import (
    CREDENTIALS_REFUSED,
    ConnectionFailed,
    Connector,
    ForeignKey,
    SourceColumn,
    SourceTable,
    StreamRequest,
    no_answer,
    nothing_listening,
    register_connector,
    unknown_host,
)

ITERSIZE = 5000

PG_TYPES = {
    "int2": "bigint",
    "int4": "bigint",
    "int8": "bigint",
    "oid": "bigint",
    "numeric": "numeric",
    "float4": "double precision",
    "float8": "double precision",
    "money": "text",
    "bool": "boolean",
    "date": "date",
    "timestamp": "timestamp",
    "timestamptz": "timestamptz",
    "time": "time",
    "interval": "interval",
    "uuid": "uuid",
    "json": "jsonb",
    "jsonb": "jsonb",
    "bytea": "bytea",
}

_INTROSPECT = """
select n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), t.typname
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
join pg_type t on t.oid = a.atttypid
where c.relkind in ('r', 'v', 'm', 'p', 'f')
  and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname not like 'pg\\_toast%%' and n.nspname not like 'pg\\_temp%%'
  and (%(schema)s::text is null or n.nspname = %(schema)s::text)
  and has_table_privilege(c.oid, 'select')
order by n.nspname, c.relname, a.attnum
"""

_FOREIGN_KEYS = """
select con.conname::text, n.nspname::text, c.relname::text, rn.nspname::text, rc.relname::text,
  array(select a.attname::text from unnest(con.conkey) with ordinality k(attnum, i)
        join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum order by k.i),
  array(select a.attname::text from unnest(con.confkey) with ordinality k(attnum, i)
        join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.attnum order by k.i)
from pg_constraint con
join pg_class c on c.oid = con.conrelid
join pg_namespace n on n.oid = c.relnamespace
join pg_class rc on rc.oid = con.confrelid
join pg_namespace rn on rn.oid = rc.relnamespace
where con.contype = 'f'
  and (%(schema)s::text is null or n.nspname = %(schema)s::text)
  and has_table_privilege(c.oid, 'select') and has_table_privilege(rc.oid, 'select')
order by n.nspname, c.relname, con.conname
"""


def failure_reason(exc: Exception, host: str, port: int, timeout: float) -> str:
    """A plain-language reason from a libpq connection error."""
    text = str(exc)
    lower = text.lower()
    if "password authentication failed" in lower or "no password supplied" in lower:
        return CREDENTIALS_REFUSED
    if "timeout expired" in lower:
        return no_answer(host, port, timeout)
    if "connection refused" in lower or "no such file or directory" in lower:
        return nothing_listening(host, port)
    if "could not translate host name" in lower or "name or service not known" in lower:
        return unknown_host(host)
    if "does not exist" in lower:
        return (
            next(
                (
                    line.split("FATAL:")[-1].strip()
                    for line in text.splitlines()
                    if "does not exist" in line
                ),
                text.splitlines()[0],
            )
            + "."
        )
    return text.strip().splitlines()[-1] if text.strip() else exc.__class__.__name__


@register_connector("postgresql")
class PostgresConnector(Connector):
    type = "postgresql"
    label = "PostgreSQL"

    @contextmanager
    def connect(self) -> Iterator[psycopg.Connection]:
        d = self.details
        try:
            conn = psycopg.connect(
                host=d["host"],
                port=d["port"],
                dbname=d["database_name"],
                user=d["username"],
                password=d["password"] or None,
                connect_timeout=max(2, round(self.timeout)),
                application_name="dra-ingestion",
            )
        except psycopg.OperationalError as exc:
            reason = failure_reason(exc, d["host"], d["port"], self.timeout)
            raise ConnectionFailed(reason) from None
        try:
            conn.read_only = True
            yield conn
        finally:
            conn.close()

    def test(self) -> None:
        with self.connect() as conn:
            conn.execute("select 1")

    def introspect(self) -> list[SourceTable]:
        tables: dict[str, list[SourceColumn]] = {}
        with self.connect() as conn:
            conn.execute("set statement_timeout = '60s'")
            rows = conn.execute(_INTROSPECT, {"schema": self.details.get("schema") or None})
            for schema, table, column, formatted, typname in rows:
                tables.setdefault(f"{schema}.{table}", []).append(
                    SourceColumn(column, formatted, PG_TYPES.get(typname, "text"))
                )
        return [SourceTable(name, cols) for name, cols in tables.items()]

    def foreign_keys(self) -> list[ForeignKey]:
        """Every foreign-key constraint between tables this user may read (pg_constraint)."""
        with self.connect() as conn:
            conn.execute("set statement_timeout = '60s'")
            rows = conn.execute(_FOREIGN_KEYS, {"schema": self.details.get("schema") or None})
            return [
                ForeignKey(
                    name, f"{schema}.{table}", tuple(cols), f"{rschema}.{rtable}", tuple(refs)
                )
                for name, schema, table, rschema, rtable, cols, refs in rows
            ]

    @contextmanager
    def read(self, request: StreamRequest) -> Iterator[Iterator[tuple]]:
        schema, _, name = request.table.name.partition(".")
        with self.connect() as conn, conn.cursor(name=f"dra_{secrets.token_hex(4)}") as cur:
            query, params = request.select(
                lambda n: sql.Identifier(n).as_string(conn),
                sql.Identifier(schema, name).as_string(conn),
            )
            cur.itersize = ITERSIZE
            cur.execute(query, params)
            yield iter(cur)
