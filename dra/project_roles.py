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
    """The project's role, created when missing and granted any of the project's schemas
    it cannot use (a new schema, or a database restored from another database's backup).

    Runs in a savepoint of the caller's transaction (or a transaction of its own when
    none is open, which the caller commits): a role created at the same time by another
    session is taken as it is. When all is in place this is one catalog query.
    """
    conn = cur.connection
    role = project_role_name(conn.info.dbname, project_id)
    cur.execute(
        "select r.rolname is not null, array("
        " select n.nspname::text from pg_namespace n where n.nspname ~ %s"
        " and (r.rolname is null or not has_schema_privilege(r.rolname, n.oid, 'USAGE'))"
        " order by 1)"
        " from (select 1) as one left join pg_roles r on r.rolname = %s",
        (f"^(raw|models|clean)_p{int(project_id)}$", role),
    )
    exists, ungranted = cur.fetchone()
    if exists and not ungranted:
        return role
    try:
        with conn.transaction():
            if not exists:
                cur.execute(sql.SQL("create role {} nologin").format(sql.Identifier(role)))
                # the platform's own user switches to it (SET ROLE); no-op for a superuser
                cur.execute(sql.SQL("grant {} to current_user").format(sql.Identifier(role)))
            for schema in ungranted:
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


_DUMP_GRANTEE = re.compile(r"\b(?:TO|FROM) (dra_p[0-9]+_[0-9a-f]{10})\b")


def roles_named_in(ddl: str) -> set[str]:
    """The project roles a dump's SQL grants to (``pg_restore --schema-only`` output)."""
    return set(_DUMP_GRANTEE.findall(ddl))


def create_missing_roles(cur: psycopg.Cursor, roles: set[str]) -> list[str]:
    """Create the project roles of ``roles`` this server lacks (before restoring a backup
    whose project was deleted since: its GRANTs would fail); returns those created."""
    created = []
    for role in sorted(roles):
        if _DUMP_GRANTEE.fullmatch(f"TO {role}") is None or _role_exists(cur, role):
            continue
        try:
            with cur.connection.transaction():
                cur.execute(sql.SQL("create role {} nologin").format(sql.Identifier(role)))
                cur.execute(sql.SQL("grant {} to current_user").format(sql.Identifier(role)))
            created.append(role)
        except (errors.DuplicateObject, errors.UniqueViolation):
            pass
    return created


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
