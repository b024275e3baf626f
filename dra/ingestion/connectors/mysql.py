"""MySQL and MariaDB sources through PyMySQL, streamed with an unbuffered SSCursor."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pymysql
import pymysql.cursors

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

MYSQL_TYPES = {
    "tinyint": "bigint",
    "smallint": "bigint",
    "mediumint": "bigint",
    "int": "bigint",
    "integer": "bigint",
    "year": "bigint",
    "bigint": "numeric",  # unsigned bigint overflows
    "decimal": "numeric",
    "numeric": "numeric",
    "float": "double precision",
    "double": "double precision",
    "real": "double precision",
    "date": "date",
    "datetime": "timestamp",
    "timestamp": "timestamp",
    "time": "interval",
    "json": "jsonb",
    "blob": "bytea",
    "tinyblob": "bytea",
    "mediumblob": "bytea",
    "longblob": "bytea",
    "binary": "bytea",
    "varbinary": "bytea",
}

METADATA_TIMEOUT = 60
"""Seconds a test or introspection query may take once connected (streams: no limit)."""

_INTROSPECT = """
select table_name, column_name, column_type, data_type
from information_schema.columns
where table_schema = %s
order by table_name, ordinal_position
"""

_FOREIGN_KEYS = """
select constraint_name, table_name, column_name, referenced_table_name, referenced_column_name
from information_schema.key_column_usage
where table_schema = %s and referenced_table_schema = %s and referenced_table_name is not null
order by table_name, constraint_name, ordinal_position
"""


def quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def failure_reason(exc: Exception, host: str, port: int, timeout: float) -> str:
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
    message = str(exc.args[1]) if len(exc.args) > 1 else str(exc)
    if code == 1045:
        return CREDENTIALS_REFUSED
    if code == 1049:
        return f"{message}."
    if "timed out" in message.lower():
        return no_answer(host, port, timeout)
    if code == 2003 and "refused" in message.lower():
        return nothing_listening(host, port)
    if "name or service not known" in message.lower() or "getaddrinfo" in message.lower():
        return unknown_host(host)
    return message


@register_connector("mysql")
class MySQLConnector(Connector):
    type = "mysql"
    label = "MySQL"

    @contextmanager
    def connect(self, unbuffered: bool = False) -> Iterator[pymysql.connections.Connection]:
        d = self.details
        try:
            conn = pymysql.connect(
                host=d["host"],
                port=d["port"],
                user=d["username"],
                password=d["password"],
                database=d["database_name"],
                connect_timeout=self.timeout,
                charset="utf8mb4",
                read_timeout=None if unbuffered else METADATA_TIMEOUT,
                cursorclass=pymysql.cursors.SSCursor if unbuffered else pymysql.cursors.Cursor,
            )
        except pymysql.err.MySQLError as exc:
            reason = failure_reason(exc, d["host"], d["port"], self.timeout)
            raise ConnectionFailed(reason) from None
        try:
            yield conn
        finally:
            conn.close()

    def test(self) -> None:
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute("select 1")

    def introspect(self) -> list[SourceTable]:
        tables: dict[str, list[SourceColumn]] = {}
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(_INTROSPECT, (self.details["database_name"],))
            for table, column, column_type, data_type in cur.fetchall():
                pg_type = MYSQL_TYPES.get(str(data_type).lower(), "text")
                if data_type == "bigint" and "unsigned" not in column_type:
                    pg_type = "bigint"
                tables.setdefault(table, []).append(SourceColumn(column, column_type, pg_type))
        return [SourceTable(name, cols) for name, cols in tables.items()]

    def foreign_keys(self) -> list[ForeignKey]:
        """Foreign keys between tables of this database (information_schema.KEY_COLUMN_USAGE)."""
        database = self.details["database_name"]
        keys: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(_FOREIGN_KEYS, (database, database))
            for name, table, column, ref_table, ref_column in cur.fetchall():
                keys.setdefault((table, name), []).append((column, ref_table, ref_column))
        return [
            ForeignKey(
                name,
                table,
                tuple(c for c, _, _ in parts),
                parts[0][1],
                tuple(r for _, _, r in parts),
            )
            for (table, name), parts in keys.items()
        ]

    @contextmanager
    def read(self, request: StreamRequest) -> Iterator[Iterator[tuple]]:
        query, params = request.select(quote, quote(request.table.name))
        with self.connect(unbuffered=True) as conn:
            cur = conn.cursor()
            cur.execute(query, params)
            yield iter(cur.fetchone, None)


@register_connector("mariadb")
class MariaDBConnector(MySQLConnector):
    type = "mariadb"
    label = "MariaDB"
