"""MySQL/MariaDB against the local MariaDB (skipped when absent); MongoDB with mongomock.

No MongoDB server can be installed on these machines, so the MongoDB connector runs
against ``mongomock.MongoClient`` in place of ``pymongo.MongoClient`` (same API).
"""

from __future__ import annotations

import secrets
from datetime import datetime

import mongomock
import pymysql
import pytest

from dra.ingestion.connectors import ConnectionFailed, InvalidDetails, connector_for
from dra.ingestion.connectors.mongodb import MongoConnector
from dra.ingestion.service import ingest_source
from dra.models import DataSource
from dra.sources.service import SourceError, check_connection, create_database_source
from tests.support.factories import create_project, create_user

MARIADB = {
    "host": "127.0.0.1",
    "port": 3306,
    "username": "root",
    "password": "",
    "database_name": "test",
}


def _mariadb_available() -> str | None:
    try:
        pymysql.connect(
            host="127.0.0.1",
            port=3306,
            user="root",
            password="",
            database="test",
            connect_timeout=2,
        ).close()
    except pymysql.err.MySQLError as exc:
        return f"no MariaDB at 127.0.0.1:3306 (root, empty password, database test): {exc}"
    return None


@pytest.fixture
def mariadb_table():
    reason = _mariadb_available()
    if reason:
        pytest.skip(reason)
    name = f"orders_{secrets.token_hex(3)}"
    conn = pymysql.connect(
        autocommit=True,
        **{"host": "127.0.0.1", "port": 3306, "user": "root", "password": "", "database": "test"},
    )
    with conn.cursor() as cur:
        cur.execute(
            f"create table `{name}` (id int primary key, amount decimal(8,2), "
            "placed datetime, note varchar(50), big bigint unsigned, doc json)"
        )
        cur.executemany(
            f"insert into `{name}` values (%s, %s, %s, %s, %s, %s)",
            [
                (i, i / 4, datetime(2026, 1, 1, i % 24), f"n{i}", 2**63 + i, f'{{"k": {i}}}')
                for i in range(1, 1001)
            ],
        )
    yield name, conn
    with conn.cursor() as cur:
        cur.execute(f"drop table if exists `{name}`")
    conn.close()


def _project(database):
    with database.system_session() as s:
        owner = create_user(s)
        return owner, create_project(s, owner)


def test_mariadb_introspect_and_incremental_load(mariadb_table, database, settings):
    name, conn = mariadb_table
    tables = {t.name: t for t in check_connection("mariadb", MARIADB, settings)}
    types = {c.name: c.pg_type for c in tables[name].columns}
    assert types == {
        "id": "bigint",
        "amount": "numeric",
        "placed": "timestamp",
        "note": "text",
        "big": "numeric",
        "doc": "text",
    }  # MariaDB's json is longtext
    owner, project_id = _project(database)
    with database.system_session() as s:
        source_id = create_database_source(
            s,
            database,
            project_id=project_id,
            user_id=owner.id,
            name="Maria",
            source_type="mariadb",
            details=MARIADB,
            settings=settings,
            selected_tables=[name],
            incremental={name: "id"},
        ).id
    assert ingest_source(database, settings, source_id).rows == 1000
    with conn.cursor() as cur:
        cur.execute(f"insert into `{name}` (id, note) values (1001, 'new')")
    second = ingest_source(database, settings, source_id)
    assert second.rows == 1
    with database.system_session() as s:
        source = s.get(DataSource, source_id)
        raw = source.tables[0].raw_table
        assert source.row_count == 1001
    with database.system_engine.connect() as db:
        row = db.exec_driver_sql(
            "select count(*), sum(amount), max(big), min((doc::jsonb)->>'k') "
            f"from raw_p{project_id}.{raw}"
        ).one()
    assert row[0] == 1001 and float(row[1]) == sum(i / 4 for i in range(1, 1001))
    assert int(row[2]) == 2**63 + 1000


def test_mariadb_wrong_password_is_refused(mariadb_table, settings):
    with pytest.raises(SourceError, match="user name or password was refused"):
        check_connection("mysql", {**MARIADB, "password": "wrong"}, settings)


def test_mariadb_unknown_database(mariadb_table, settings):
    with pytest.raises(ConnectionFailed, match="Unknown database"):
        connector_for("mysql", {**MARIADB, "database_name": "nope_db"}).test()


@pytest.fixture
def mongo(monkeypatch):
    client = mongomock.MongoClient()
    monkeypatch.setattr(
        MongoConnector,
        "client_factory",
        staticmethod(lambda uri, **kw: mongomock.MongoClient(uri, _store=client._store, **kw)),
    )
    db = client["shop"]
    db.events.insert_many(
        [
            {
                "seq": i,
                "kind": "view" if i % 2 else "buy",
                "at": datetime(2026, 1, 1, i % 24),
                "props": {"page": f"/p{i}"},
                "score": i / 2,
            }
            for i in range(1, 301)
        ]
    )
    db.events.insert_one({"seq": 301, "kind": "odd", "extra": [1, 2]})
    return db


def test_mongodb_needs_a_connection_string(settings):
    with pytest.raises(SourceError, match="MongoDB requires a connection_string"):
        check_connection("mongodb", {"host": "localhost"}, settings)
    with pytest.raises(InvalidDetails, match="starts with mongodb://"):
        connector_for("mongodb", {"connection_string": "http://x"})


def test_mongodb_collections_load_and_append(mongo, database, settings):
    details = {"connection_string": "mongodb://localhost:27017/shop"}
    tables = {t.name: t for t in check_connection("mongodb", details, settings)}
    types = {c.name: c.pg_type for c in tables["events"].columns}
    assert types["_id"] == "text" and types["seq"] == "bigint" and types["props"] == "jsonb"
    assert types["at"] == "timestamp" and types["score"] == "double precision"
    owner, project_id = _project(database)
    with database.system_session() as s:
        source = create_database_source(
            s,
            database,
            project_id=project_id,
            user_id=owner.id,
            name="Mongo",
            source_type="mongodb",
            details=details,
            settings=settings,
            selected_tables=["events"],
            incremental={"events": "seq"},
        )
        source_id = source.id
        assert source.connection_encrypted and b"mongodb://" not in source.connection_encrypted
    assert ingest_source(database, settings, source_id).rows == 301
    mongo.events.insert_one({"seq": 302, "kind": "late"})
    assert ingest_source(database, settings, source_id).rows == 1
    with database.system_engine.connect() as db:
        rows = db.exec_driver_sql(
            f"select count(*), max(seq), count(props) from raw_p{project_id}.mongo_events"
        ).one()
        extra = db.exec_driver_sql(
            f"select extra from raw_p{project_id}.mongo_events where seq = 301"
        ).scalar()
    assert tuple(rows) == (302, 302, 300)
    assert extra == [1, 2]


def test_mongodb_unreachable_server(settings):
    details = {"connection_string": "mongodb://127.0.0.1:1/shop"}
    with pytest.raises(SourceError, match="no MongoDB server answered within 1 seconds"):
        check_connection("mongodb", details, settings, timeout=1)
