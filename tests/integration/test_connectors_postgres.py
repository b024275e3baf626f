"""PostgreSQL sources against a real server: test, introspect, full and incremental loads."""

from __future__ import annotations

import socket
import threading
import time

import psycopg
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from dra.ingestion.connectors import ConnectionFailed, connector_for
from dra.ingestion.service import ingest_source
from dra.models import DataSource
from dra.security.crypto import Vault
from dra.sources.service import SourceError, check_connection, create_database_source
from tests.support.factories import create_project


def details_for(url: str) -> dict:
    u = make_url(url)
    return {
        "host": u.host or u.query["host"],
        "port": u.port or 5432,
        "database_name": u.database,
        "username": u.username or "postgres",
        "password": u.password or "",
    }


@pytest.fixture
def source_db(empty_database_url):
    """A database on the test server with two schemas of shop data."""
    with psycopg.connect(
        make_url(empty_database_url)
        .set(drivername="postgresql")
        .render_as_string(hide_password=False),
        autocommit=True,
    ) as conn:
        conn.execute("""
            create schema sales;
            create table public.orders (id bigint primary key, amount numeric(10,2),
                created timestamptz, meta jsonb, tags text[], "Weird Name" text);
            insert into public.orders
            select g, g * 1.5, timestamptz '2026-01-01' + g * interval '1 hour',
                   jsonb_build_object('n', g), array['a', 'b'], 'w' || g
            from generate_series(1, 250) g;
            create table sales.orders (id int, region text);
            insert into sales.orders values (1, 'north'), (2, 'south');
        """)
    return empty_database_url


def test_connection_lists_tables_with_types(source_db, settings):
    tables = {t.name: t for t in check_connection("postgresql", details_for(source_db), settings)}
    assert set(tables) == {"public.orders", "sales.orders"}
    types = {c.name: c.pg_type for c in tables["public.orders"].columns}
    assert types == {
        "id": "bigint",
        "amount": "numeric",
        "created": "timestamptz",
        "meta": "jsonb",
        "tags": "text",
        "Weird Name": "text",
    }
    assert tables["public.orders"].columns[1].source_type == "numeric(10,2)"


def test_missing_fields_are_named(settings):
    with pytest.raises(SourceError, match="Please provide all connection fields") as exc:
        check_connection("postgresql", {"host": "localhost", "port": "5432"}, settings)
    assert exc.value.field == "database_name"
    with pytest.raises(SourceError, match="port must be a number"):
        check_connection(
            "postgresql",
            {"host": "h", "port": "x", "database_name": "d", "username": "u"},
            settings,
        )


def test_unreachable_server_is_reported_quickly(settings):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(SourceError, match="could not be connected: nothing is listening"):
        check_connection(
            "postgresql",
            {
                "host": "127.0.0.1",
                "port": port,
                "database_name": "x",
                "username": "u",
                "password": "p",
            },
            settings,
        )
    assert time.monotonic() - started < 10


def test_silent_server_times_out(settings):
    """A server that accepts and never answers: the connector gives up within its timeout."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    accepted = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        with pytest.raises(SourceError, match="no answer from 127.0.0.1"):
            check_connection(
                "postgresql",
                {
                    "host": "127.0.0.1",
                    "port": server.getsockname()[1],
                    "database_name": "x",
                    "username": "u",
                },
                settings,
                timeout=2,
            )
        assert time.monotonic() - started < 6
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        server.close()


def test_platform_database_is_refused(settings, database):
    with pytest.raises(SourceError, match="platform's own database"):
        check_connection("postgresql", details_for(database.url), settings)


def _create(database, settings, details, tables, incremental=None, user=None):
    with database.system_session() as s:
        from tests.support.factories import create_user

        owner = user or create_user(s)
        project_id = create_project(s, owner)
        source = create_database_source(
            s,
            database,
            project_id=project_id,
            user_id=owner.id,
            name="Shop DB",
            source_type="postgresql",
            details=details,
            settings=settings,
            selected_tables=tables,
            incremental=incremental or {},
        )
        return source.id, project_id


def test_create_encrypts_details_and_never_keeps_plain_password(source_db, database, settings):
    details = {**details_for(source_db), "password": "s3cret-pass"}
    source_id, _ = _create(database, settings, details, ["public.orders"])
    with database.system_session() as s:
        source = s.get(DataSource, source_id)
        assert b"s3cret-pass" not in source.connection_encrypted
        assert (
            Vault(settings.encryption_keys).decrypt_json(source.connection_encrypted)["password"]
            == "s3cret-pass"
        )
        assert source.schema_cache["tables"][0]["name"] == "public.orders"


def test_full_then_incremental_load(source_db, database, settings):
    source_id, project_id = _create(
        database,
        settings,
        details_for(source_db),
        ["public.orders", "sales.orders"],
        incremental={"public.orders": "id"},
    )
    messages: list[str] = []
    first = ingest_source(database, settings, source_id, log=messages.append)
    assert first.rows == 252
    with database.system_session() as s:
        source = s.get(DataSource, source_id)
        tables = {t.source_table: t for t in source.tables}
        assert {t.raw_table for t in tables.values()} == {"shop_db_orders", "shop_db_sales_orders"}
        assert tables["public.orders"].cursor_value is not None
    with psycopg.connect(
        make_url(source_db).set(drivername="postgresql").render_as_string(hide_password=False),
        autocommit=True,
    ) as conn:
        conn.execute("insert into public.orders (id, amount) values (251, 1), (252, 2)")
        conn.execute("update public.orders set amount = 0 where id = 1")  # not re-read
        conn.execute("create table public.added_later (x int)")
    second = ingest_source(database, settings, source_id, log=messages.append)
    assert second.tables["shop_db_orders"] == 2  # only the new rows were read
    with database.system_session() as s:  # the run re-introspected the source
        cached = s.get(DataSource, source_id).schema_cache["tables"]
        assert "public.added_later" in {t["name"] for t in cached}
    with database.system_engine.connect() as conn:
        raw = conn.exec_driver_sql(
            f"select count(*), max(id), min(amount) from raw_p{project_id}.shop_db_orders"
        ).one()
        meta = conn.exec_driver_sql(
            f"select meta->>'n', weird_name from raw_p{project_id}.shop_db_orders where id = 7"
        ).one()
    assert tuple(raw) == (252, 252, 1)
    assert tuple(meta) == ("7", "w7")
    with database.system_session() as s:
        source = s.get(DataSource, source_id)
        assert source.row_count == 254 and source.status == "ready"
    assert any("appended 2 rows (now 252)" in m for m in messages)


def test_dropped_source_table_fails_and_keeps_data(source_db, database, settings):
    source_id, project_id = _create(database, settings, details_for(source_db), ["sales.orders"])
    ingest_source(database, settings, source_id)
    with psycopg.connect(
        make_url(source_db).set(drivername="postgresql").render_as_string(hide_password=False),
        autocommit=True,
    ) as conn:
        conn.execute("drop table sales.orders")
    with pytest.raises(LookupError, match="no longer exist"):
        ingest_source(database, settings, source_id)
    with database.system_session() as s:
        source = s.scalar(select(DataSource).where(DataSource.id == source_id))
        assert source.status == "failed" and "sales.orders" in source.last_error
    with database.system_engine.connect() as conn:
        assert (
            conn.exec_driver_sql(
                f"select count(*) from raw_p{project_id}.shop_db_sales_orders"
            ).scalar()
            == 2
        )


def test_connector_streams_with_a_server_side_cursor(source_db):
    connector = connector_for("postgresql", details_for(source_db))
    table = connector.find_table("public.orders")
    with connector.stream(table, cursor_column="id", after=248) as rows:
        assert [r[0] for r in rows] == [249, 250]
    assert len(connector.preview(table, limit=5)) == 5
    with pytest.raises(ConnectionFailed, match="does not exist"):
        connector_for("postgresql", {**details_for(source_db), "database_name": "nope"}).test()


def test_incremental_load_falls_back_to_full_when_kept_rows_do_not_fit(
    source_db, database, settings
):
    source_id, project_id = _create(
        database,
        settings,
        details_for(source_db),
        ["public.orders"],
        incremental={"public.orders": "id"},
    )
    ingest_source(database, settings, source_id)
    with database.system_engine.begin() as conn:  # as if an earlier load fell back to text
        conn.exec_driver_sql(
            f"alter table raw_p{project_id}.shop_db_orders alter column id type text"
        )
    messages: list[str] = []
    again = ingest_source(database, settings, source_id, log=messages.append)
    assert again.rows == 250 and any("loaded 250 rows" in m for m in messages)
    with database.system_engine.connect() as conn:
        kind = conn.exec_driver_sql(
            "select data_type from information_schema.columns where table_schema = %s "
            "and table_name = 'shop_db_orders' and column_name = 'id'",
            (f"raw_p{project_id}",),
        ).scalar()
    assert kind == "bigint"
