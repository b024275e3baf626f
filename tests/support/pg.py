"""A real PostgreSQL for the test session: embedded pgserver, or DRA_TEST_DATABASE_URL."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from dra.db import with_database
from dra.embedded import EmbeddedPostgres, start_embedded
from dra.project_roles import drop_database_project_roles, role_pattern


@dataclass
class TestCluster:
    """A server on which tests create and drop databases (as a superuser)."""

    admin_url: str
    server: EmbeddedPostgres | None = None

    def create_database(self, name: str | None = None, template: str | None = None) -> str:
        name = name or f"t_{secrets.token_hex(5)}"
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            tmpl = f' template "{template}"' if template else ""
            conn.execute(text(f'create database "{name}"{tmpl}'))
        engine.dispose()
        return with_database(self.admin_url, name)

    def drop_database(self, name: str) -> None:
        """Drop the database, then its project roles (the server's: they would pile up)."""
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'drop database if exists "{name}" with (force)'))
            roles = conn.execute(
                text("select rolname from pg_roles where rolname ~ :p"), {"p": role_pattern(name)}
            ).scalars()
            for role in list(roles):
                conn.execute(text(f'drop role if exists "{role}"'))
        engine.dispose()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


def start_cluster(tmp_dir: Path, external_url: str | None) -> TestCluster:
    if external_url:
        from dra.db import normalise_url

        return TestCluster(admin_url=normalise_url(external_url, variable="DRA_TEST_DATABASE_URL"))
    server = start_embedded(tmp_dir / "pg")
    return TestCluster(admin_url=server.url("postgres"), server=server)


REFERENCE_SCHEMA = "test_reference"


def snapshot_reference_data(url: str) -> None:
    """Copy the rows the migrations seeded, so each test can start from exactly them."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"drop schema if exists {REFERENCE_SCHEMA} cascade"))
        conn.execute(text(f"create schema {REFERENCE_SCHEMA}"))
        for table in _app_tables(conn):
            has_rows = conn.execute(text(f'select exists (select 1 from app."{table}")')).scalar()
            if has_rows:
                conn.execute(
                    text(
                        f'create table {REFERENCE_SCHEMA}."{table}" as select * from app."{table}"'
                    )
                )
    engine.dispose()


def _app_tables(conn) -> list[str]:
    return list(
        conn.execute(
            text(
                "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                "where n.nspname = 'app' and c.relkind in ('r', 'p') and not c.relispartition "
                "and c.relname <> 'alembic_version' order by 1"
            )
        ).scalars()
    )


def reset_database(url: str) -> None:
    """Empty every app table, restore seeded rows, drop per-project data schemas and roles."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        tables = _app_tables(conn)
        if tables:
            conn.execute(text("truncate " + ", ".join(f'app."{t}"' for t in tables) + " cascade"))
        saved = (
            conn.execute(
                text("select table_name from information_schema.tables where table_schema = :s"),
                {"s": REFERENCE_SCHEMA},
            )
            .scalars()
            .all()
        )
        for table in saved:
            conn.execute(
                text(
                    f'insert into app."{table}" overriding system value '
                    f'select * from {REFERENCE_SCHEMA}."{table}"'
                )
            )
        for schema in conn.execute(
            text("select nspname from pg_namespace where nspname ~ '^(raw|models|clean)_p[0-9]+$'")
        ).scalars():
            conn.execute(text(f'drop schema "{schema}" cascade'))
        # project roles are cluster-wide: drop this database's, or they would pile up
        with conn.connection.driver_connection.cursor() as cur:
            drop_database_project_roles(cur)
    engine.dispose()
