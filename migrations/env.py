"""Alembic environment for the ``app`` schema.

Only schema ``app`` belongs to these migrations: the raw and models schemas of each
project, dbt's schemas and Dagster's tables are never reflected or compared. The
version table is ``app.alembic_version``.

Where the database comes from, in order:

1. ``config.attributes["connection"]``: a SQLAlchemy ``Connection`` handed over by
   code. The migrations then run in that connection's transaction, which the
   caller commits (``with engine.begin() as conn: ...``).
2. ``alembic -x url=...`` on the command line.
3. ``sqlalchemy.url`` in ``alembic.ini`` (or ``Config.set_main_option``).
4. The ``DRA_DATABASE_URL`` environment variable.

With a URL, each migration runs in its own transaction (PostgreSQL has
transactional DDL): a failing migration leaves the database at the previous
revision. This module imports neither Flask nor Dagster.
"""

from __future__ import annotations

import logging
import os
from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import Connection, make_url

from dra.models import APP_SCHEMA, Base

config = context.config
target_metadata = Base.metadata

URL_ENV_VAR = "DRA_DATABASE_URL"

if config.config_file_name is not None and not logging.getLogger().handlers:
    # Only when run from the command line: inside an application or a test run
    # the host already configured logging and must keep its handlers.
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    """The URL to migrate, with the psycopg 3 driver when none is named."""
    url = (
        context.get_x_argument(as_dictionary=True).get("url")
        or config.get_main_option("sqlalchemy.url")
        or os.environ.get(URL_ENV_VAR)
    )
    if not url:
        raise RuntimeError(
            f"No database to migrate: set {URL_ENV_VAR}, pass -x url=..., or set "
            "sqlalchemy.url on the Alembic Config."
        )
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def partition_names(connection: Connection) -> set[str]:
    """Tables of schema app that are partitions (created at run time, not modelled)."""
    rows = connection.execute(
        text(
            "SELECT c.relname FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = :schema AND c.relispartition"
        ),
        {"schema": APP_SCHEMA},
    )
    return {row[0] for row in rows}


def configure(connection: Connection | None, partitions: set[str], **options: Any) -> None:
    """``context.configure`` with the settings shared by online and offline runs."""

    def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
        if type_ == "schema":
            return name == APP_SCHEMA
        if type_ == "table":
            return name not in partitions
        return True

    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table_schema=APP_SCHEMA,
        include_schemas=True,
        include_name=include_name,
        compare_type=True,
        compare_server_default=True,
        **options,
    )


def run_migrations_offline() -> None:
    """Emit the SQL to stdout (``alembic upgrade head --sql``)."""
    configure(None, set(), url=database_url(), literal_binds=True, transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()


def run_on_connection(connection: Connection, *, own_transactions: bool) -> None:
    """Create schema ``app`` if missing, then run the migrations on ``connection``."""

    def prepare() -> set[str]:
        connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {APP_SCHEMA}"))
        return partition_names(connection)

    if own_transactions:
        with connection.begin():
            partitions = prepare()
    else:
        partitions = prepare()
    configure(connection, partitions, transaction_per_migration=own_transactions)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_on_connection(connection, own_transactions=False)
        return
    engine = create_engine(database_url(), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            run_on_connection(connection, own_transactions=True)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
