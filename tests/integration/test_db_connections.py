"""Database.system_connection: the one way code borrows a psycopg connection of the pool."""

from __future__ import annotations

import psycopg
import pytest


def test_system_connection_is_the_pools_psycopg_connection_given_back_after_use(database):
    pool = database.system_engine.pool
    before = pool.checkedout()
    with database.system_connection() as conn:
        assert isinstance(conn, psycopg.Connection)
        assert pool.checkedout() == before + 1
        conn.execute("create table public.t_borrowed (id int)")
        conn.commit()
    assert pool.checkedout() == before
    with pytest.raises(ZeroDivisionError), database.system_connection() as conn:
        conn.execute("insert into public.t_borrowed values (1)")
        raise ZeroDivisionError  # an error: returned all the same, the insert not committed
    assert pool.checkedout() == before
    with database.system_connection() as conn:
        assert conn.execute("select count(*) from public.t_borrowed").fetchone() == (0,)
        conn.execute("drop table public.t_borrowed")
        conn.commit()


def test_connect_once_opens_one_unpooled_connection_and_closes_it(database):
    from sqlalchemy import text

    from dra.db import connect_once

    def backends() -> int:
        with database.system_session() as s:
            return s.scalar(
                text(
                    "select count(*) from pg_stat_activity "
                    "where application_name = 'dra-once' and pid <> pg_backend_pid()"
                )
            )

    options = {"connect_args": {"application_name": "dra-once"}}
    with connect_once(database.url, isolation_level="AUTOCOMMIT", **options) as conn:
        assert conn.execute(text("show transaction_isolation")).scalar() == "read committed"
        assert backends() == 1
    assert backends() == 0
    with connect_once(database.url, isolation_level="REPEATABLE READ", **options) as conn:
        assert conn.execute(text("show transaction_isolation")).scalar() == "repeatable read"
