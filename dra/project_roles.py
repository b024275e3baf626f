"""Per-project database roles: what a project's queries run as.

Every query written for a project (data models' hand SQL and builder queries, their
builds, dashboard widgets) runs, inside its transaction, as ``SET LOCAL ROLE`` to that
project's role: a NOLOGIN role granted USAGE and SELECT on that project's data schemas
(``raw_p<id>``, ``models_p<id>``, ``clean_p<id>``) and nothing else, so a query that got
past the SQL check still sees no other project's tables (PostgreSQL's ``pg_stats`` shows
a role only the columns it may read).

Name: ``dra_p<project id>_<first 10 hex digits of sha256(database name)>``. Roles are
cluster-wide; the database's name in it keeps two platforms, or two test databases, on
one server apart, and stays the same across a restore (the restored database takes the
original's name). Migration ``0004_project_roles`` computes the same name in SQL.

Roles are made lazily and idempotently: when a project's schema is created or granted
(``grant_schema``), and before a project's query runs (``ensure_project_role``). They are
dropped with the project (``drop_project_role``).
"""

from __future__ import annotations

import hashlib
import re

import psycopg
from psycopg import errors, sql

PROJECT_SCHEMA = re.compile(r"^(?:raw|models|clean)_p([0-9]+)$")
"""A project's data schema; the group is the project id."""
ROLE_PREFIX = "dra_p"


def database_suffix(database_name: str) -> str:
    return hashlib.sha256(database_name.encode()).hexdigest()[:10]


def project_role_name(database_name: str, project_id: int) -> str:
    """The role of ``project_id``'s queries in the database named ``database_name``."""
    return f"{ROLE_PREFIX}{int(project_id)}_{database_suffix(database_name)}"


def role_pattern(database_name: str) -> str:
    """A regular expression matching every project role of that database."""
    return f"^{ROLE_PREFIX}[0-9]+_{database_suffix(database_name)}$"


def project_of_schema(schema: str) -> int | None:
    match = PROJECT_SCHEMA.match(schema)
    return int(match.group(1)) if match else None


def _role_exists(cur: psycopg.Cursor, role: str) -> bool:
    cur.execute("select 1 from pg_roles where rolname = %s", (role,))
    return cur.fetchone() is not None


def ensure_project_role(cur: psycopg.Cursor, project_id: int) -> str:
    """The project's role, created (and granted its existing schemas) when missing.

    Runs in a savepoint of the caller's transaction (or a transaction of its own when
    none is open, which the caller commits): a role created at the same time by another
    session is taken as it is.
    """
    conn = cur.connection
    role = project_role_name(conn.info.dbname, project_id)
    if _role_exists(cur, role):
        return role
    try:
        with conn.transaction():
            cur.execute(sql.SQL("create role {} nologin").format(sql.Identifier(role)))
            # the platform's own user switches to it (SET ROLE); a no-op for a superuser
            cur.execute(sql.SQL("grant {} to current_user").format(sql.Identifier(role)))
            cur.execute(
                "select nspname from pg_namespace where nspname ~ %s order by 1",
                (f"^(raw|models|clean)_p{int(project_id)}$",),
            )
            for (schema,) in cur.fetchall():
                _grant_schema(cur, schema, role)
    except (errors.DuplicateObject, errors.UniqueViolation):
        pass  # made meanwhile by another session, with its grants
    return role


def grant_schema(cur: psycopg.Cursor, schema: str) -> str | None:
    """Let the project's role read ``schema`` (a ``<layer>_p<id>`` schema that exists) and
    the tables created in it from now on; returns the role (None for other schemas)."""
    project_id = project_of_schema(schema)
    if project_id is None:
        return None
    role = ensure_project_role(cur, project_id)
    cur.execute("select has_schema_privilege(%s, %s, 'USAGE')", (role, schema))
    if not cur.fetchone()[0]:
        _grant_schema(cur, schema, role)
    return role


def _grant_schema(cur: psycopg.Cursor, schema: str, role: str) -> None:
    s, r = sql.Identifier(schema), sql.Identifier(role)
    cur.execute(sql.SQL("grant usage on schema {} to {}").format(s, r))
    cur.execute(sql.SQL("grant select on all tables in schema {} to {}").format(s, r))
    cur.execute(
        sql.SQL("alter default privileges in schema {} grant select on tables to {}").format(s, r)
    )


def grant_table(cur: psycopg.Cursor, schema: str, table: str) -> None:
    """SELECT on one table of a project schema to that project's role."""
    role = grant_schema(cur, schema)
    if role is not None:
        cur.execute(
            sql.SQL("grant select on {}.{} to {}").format(
                sql.Identifier(schema), sql.Identifier(table), sql.Identifier(role)
            )
        )


def drop_project_role(cur: psycopg.Cursor, project_id: int) -> bool:
    """Drop the project's role (after its schemas); False when there was none, or when it
    still holds privileges in another database of the server (then it is kept)."""
    conn = cur.connection
    role = project_role_name(conn.info.dbname, project_id)
    if not _role_exists(cur, role):
        return False
    try:
        with conn.transaction():
            # its privileges and default privileges in this database, then the role
            cur.execute(sql.SQL("drop owned by {}").format(sql.Identifier(role)))
            cur.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))
    except errors.DependentObjectsStillExist:
        return False
    return True


def drop_database_project_roles(cur: psycopg.Cursor) -> list[str]:
    """Drop every project role of the connected database (tests' reset); returns them."""
    cur.execute(
        "select rolname from pg_roles where rolname ~ %s order by 1",
        (role_pattern(cur.connection.info.dbname),),
    )
    dropped = []
    for (role,) in cur.fetchall():
        project_id = int(role[len(ROLE_PREFIX) :].split("_", 1)[0])
        if drop_project_role(cur, project_id):
            dropped.append(role)
    return dropped
