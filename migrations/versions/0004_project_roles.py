"""One database role per project: its queries read its own data schemas and nothing else.

Revision ID: 0004_project_roles
Revises: 0003_model_inputs
Create Date: 2026-12-06

Until now every project's queries ran as ``dra_readonly``, which could read every
project's ``raw_p<id>``, ``models_p<id>`` and ``clean_p<id>`` tables: a query that got
past the SQL check saw the other projects' tables (and, through ``pg_stats``, their
values). From this revision each project's queries run as its own NOLOGIN role,
``dra_p<id>_<first 10 hex digits of sha256(database name)>`` (see
``dra/project_roles.py``, which makes the same name and creates roles for new
projects), granted USAGE and SELECT on that project's schemas, SELECT on the tables
created there later (default privileges), and to the migrating user (which ``SET
ROLE``s to it). ``dra_readonly`` loses its rights on those schemas.

Downgrade gives ``dra_readonly`` its rights back and drops this database's project
roles (a role that still holds privileges in another database of the server is kept).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004_project_roles"
down_revision: str | Sequence[str] | None = "0003_model_inputs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUFFIX = "substr(encode(sha256(convert_to(current_database(), 'UTF8')), 'hex'), 1, 10)"
SCHEMAS = r"'^(raw|models|clean)_p[0-9]+$'"

UPGRADE = f"""
DO $$
DECLARE
    suffix text := {SUFFIX};
    p record;
    s record;
    role text;
BEGIN
    FOR p IN
        SELECT id FROM app.projects
        UNION
        SELECT substring(nspname FROM '_p([0-9]+)$')::bigint FROM pg_namespace
        WHERE nspname ~ {SCHEMAS}
    LOOP
        role := 'dra_p' || p.id || '_' || suffix;
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', role);
        END IF;
        EXECUTE format('GRANT %I TO CURRENT_USER', role);
        FOR s IN
            SELECT nspname FROM pg_namespace
            WHERE nspname ~ ('^(raw|models|clean)_p' || p.id || '$')
        LOOP
            EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', s.nspname, role);
            EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO %I', s.nspname, role);
            EXECUTE format(
                'ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT ON TABLES TO %I',
                s.nspname, role
            );
            EXECUTE format('REVOKE SELECT ON ALL TABLES IN SCHEMA %I FROM dra_readonly', s.nspname);
            EXECUTE format('REVOKE USAGE ON SCHEMA %I FROM dra_readonly', s.nspname);
        END LOOP;
    END LOOP;
END $$
"""

DOWNGRADE = f"""
DO $$
DECLARE
    suffix text := {SUFFIX};
    s record;
    r record;
BEGIN
    FOR s IN SELECT nspname FROM pg_namespace WHERE nspname ~ {SCHEMAS} LOOP
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO dra_readonly', s.nspname);
        EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO dra_readonly', s.nspname);
    END LOOP;
    FOR r IN SELECT rolname FROM pg_roles WHERE rolname ~ ('^dra_p[0-9]+_' || suffix || '$') LOOP
        EXECUTE format('DROP OWNED BY %I', r.rolname);
        BEGIN
            EXECUTE format('DROP ROLE %I', r.rolname);
        EXCEPTION WHEN dependent_objects_still_exist THEN
            RAISE NOTICE 'role % kept: it holds privileges in another database', r.rolname;
        END;
    END LOOP;
END $$
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
