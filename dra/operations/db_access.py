"""Database-admin access (seed 000): the platform permission (``users.is_db_admin``) and,
when chosen, a PostgreSQL LOGIN role ``dra_dbadmin_<user id>`` that is a member of
``dra_owner`` (owner of schema ``app``). Revoking removes both."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from psycopg import sql
from sqlalchemy import Connection, text

from dra.db import OWNER_ROLE, Database
from dra.errors import Invalid
from dra.models import User

ROLE_PREFIX = "dra_dbadmin_"


class AccessError(Invalid, ValueError):
    """The grant or revoke cannot be done (unknown user, ...)."""


def role_name(user_id: int) -> str:
    return f"{ROLE_PREFIX}{int(user_id)}"


@dataclass(frozen=True)
class Grant:
    user_id: int
    email: str
    role: str | None
    password: str | None
    """The new role's password: shown once to the admin who granted it, never stored."""


def grant_db_admin(database: Database, user_id: int, *, login_role: bool = False) -> Grant:
    """Give a user database-admin access; with ``login_role`` also a PostgreSQL login role."""
    with database.system_session() as s:
        user = s.get(User, user_id)
        if user is None:
            raise AccessError(f"User #{user_id} does not exist.")
        user.is_db_admin = True
        email = user.email
        if not login_role:
            return Grant(user_id, email, None, None)
        password = secrets.token_urlsafe(24)
        _create_or_update_role(s.connection(), role_name(user_id), password)
    return Grant(user_id, email, role_name(user_id), password)


def _create_or_update_role(conn: Connection, name: str, password: str) -> None:
    exists = conn.execute(text("select 1 from pg_roles where rolname = :n"), {"n": name}).scalar()
    verb = "ALTER" if exists else "CREATE"
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:
        cur.execute(
            sql.SQL(verb + " ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(name), sql.Literal(password)
            )
        )
        cur.execute(
            sql.SQL("GRANT {} TO {}").format(sql.Identifier(OWNER_ROLE), sql.Identifier(name))
        )


def revoke_db_admin(database: Database, user_id: int) -> bool:
    """Remove the permission and drop the login role (True when a role was dropped)."""
    name = role_name(user_id)
    with database.system_session() as s:
        user = s.get(User, user_id)
        if user is None:
            raise AccessError(f"User #{user_id} does not exist.")
        user.is_db_admin = False
        conn = s.connection()
        exists = conn.execute(
            text("select 1 from pg_roles where rolname = :n"), {"n": name}
        ).scalar()
        if not exists:
            return False
        conn.execute(
            text("select pg_terminate_backend(pid) from pg_stat_activity where usename = :n"),
            {"n": name},
        )
        with conn.connection.driver_connection.cursor() as cur:
            ident = sql.Identifier(name)
            cur.execute(
                sql.SQL("REASSIGN OWNED BY {} TO {}").format(ident, sql.Identifier(OWNER_ROLE))
            )
            cur.execute(sql.SQL("DROP OWNED BY {}").format(ident))
            cur.execute(sql.SQL("DROP ROLE {}").format(ident))
    return True


@dataclass(frozen=True)
class RoleState:
    exists: bool
    can_login: bool
    owner_member: bool


def role_state(database: Database, user_id: int) -> RoleState:
    """What PostgreSQL says about the user's database-admin role."""
    with database.system_session() as s:
        row = s.execute(
            text(
                "select r.rolcanlogin, pg_has_role(r.oid, :owner, 'MEMBER') from pg_roles r "
                "where r.rolname = :n"
            ),
            {"n": role_name(user_id), "owner": OWNER_ROLE},
        ).first()
    if row is None:
        return RoleState(False, False, False)
    return RoleState(True, bool(row[0]), bool(row[1]))
