"""Roles, ownership, grants and row-level security for schema app.

Revision ID: 0002_roles_rls
Revises: 0001_app_schema
Create Date: 2026-11-25

Roles (cluster-wide, created only when missing):

* ``dra_owner`` (NOLOGIN) owns schema app and everything in it. Row-level security
  is enabled but not forced, so the owner, its members and superusers (migrations,
  Dagster jobs, "system" sessions of the web app) bypass it on purpose.
* ``dra_app`` (LOGIN, no password here) is what the web app acts as, directly or by
  ``SET ROLE dra_app``: DML on app tables, filtered by the policies below.
* ``dra_readonly`` (LOGIN) has no privilege at all on schema app; features grant it
  SELECT on per-project raw_* / models_* schemas.

Policies read per-transaction settings (``set_config(name, value, true)``):

* ``dra.user_id``: the acting user (empty or unset: nobody);
* ``dra.platform_admin``: 'on' to see everything, honoured only when ``dra.user_id``
  is a user whose ``is_platform_admin`` is true;
* ``dra.tracking_project_id``: the project of a verified tracking write key (lets
  the public tracking endpoint insert that project's events, nothing else);
* ``dra.public_dashboard_id``: the dashboard of a verified public link (lets a
  guest read that dashboard, its widgets and their data models, nothing else).

A project's rows are visible to its owner and members. Membership and invitations
can be changed by the project's owner and admins; the owner inserts their own first
membership after the project (``owner_id`` alone already grants access). Invitees
see invitations addressed to their email and accept them by inserting their own
membership with the invited role. User-scoped rows are visible to their user.
``users``, ``email_verification_tokens``, ``password_reset_tokens`` and
``email_outbox`` have no row-level security: they are used before sign-in.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002_roles_rls"
down_revision: str | Sequence[str] | None = "0001_app_schema"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWNER, APP, READONLY = "dra_owner", "dra_app", "dra_readonly"

# Every table of 0001 (partitions are reached through their parent only).
APP_TABLES = (
    "users",
    "email_verification_tokens",
    "password_reset_tokens",
    "api_tokens",
    "account_cancellation_requests",
    "projects",
    "project_members",
    "project_invitations",
    "data_sources",
    "data_source_tables",
    "data_models",
    "data_model_sources",
    "ai_sessions",
    "ai_conversations",
    "ai_messages",
    "ai_usage",
    "insights",
    "dashboards",
    "dashboard_widgets",
    "dashboard_public_links",
    "quality_reports",
    "quality_rules",
    "attribution_tracking_keys",
    "attribution_events",
    "attribution_event_ids",
    "attribution_reports",
    "subscription_tiers",
    "user_subscriptions",
    "article_categories",
    "articles",
    "notifications",
    "email_preferences",
    "email_outbox",
    "platform_settings",
    "beta_allowlist",
    "alerts",
    "backups",
    "backup_schedules",
    "pipeline_requests",
)
WITHOUT_RLS = ("users", "email_verification_tokens", "password_reset_tokens", "email_outbox")

# --- helper functions -------------------------------------------------------------

FUNCTIONS = {
    "current_user_id()": """
        RETURNS bigint LANGUAGE sql STABLE
        AS $$ SELECT nullif(current_setting('dra.user_id', true), '')::bigint $$""",
    "tracking_project_id()": """
        RETURNS bigint LANGUAGE sql STABLE
        AS $$ SELECT nullif(current_setting('dra.tracking_project_id', true), '')::bigint $$""",
    "public_dashboard_id()": """
        RETURNS bigint LANGUAGE sql STABLE
        AS $$ SELECT nullif(current_setting('dra.public_dashboard_id', true), '')::bigint $$""",
    "is_platform_admin()": """
        RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = app, pg_temp
        AS $$
            SELECT coalesce(lower(current_setting('dra.platform_admin', true)), '')
                       IN ('on', 'true', '1')
               AND EXISTS (SELECT 1 FROM app.users
                           WHERE id = app.current_user_id()
                             AND is_platform_admin AND suspended_at IS NULL)
        $$""",
    "current_user_email()": """
        RETURNS text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = app, pg_temp
        AS $$ SELECT lower(email) FROM app.users WHERE id = app.current_user_id() $$""",
    # SECURITY DEFINER: read project_members/projects without their own policies
    # (a policy on project_members that queried project_members would recurse).
    "user_project_ids()": """
        RETURNS SETOF bigint LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = app, pg_temp
        AS $$
            SELECT id FROM app.projects WHERE owner_id = app.current_user_id()
            UNION
            SELECT project_id FROM app.project_members WHERE user_id = app.current_user_id()
        $$""",
    "user_managed_project_ids()": """
        RETURNS SETOF bigint LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = app, pg_temp
        AS $$
            SELECT id FROM app.projects WHERE owner_id = app.current_user_id()
            UNION
            SELECT project_id FROM app.project_members
            WHERE user_id = app.current_user_id() AND role IN ('owner', 'admin')
        $$""",
    # The models behind a public dashboard's widgets. SECURITY DEFINER so that the
    # policy on data_models does not query dashboard_widgets, whose own policy
    # queries data_models (PostgreSQL would report infinite recursion).
    "public_data_model_ids()": """
        RETURNS SETOF bigint LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = app, pg_temp
        AS $$
            SELECT data_model_id FROM app.dashboard_widgets
            WHERE dashboard_id = app.public_dashboard_id() AND data_model_id IS NOT NULL
        $$""",
    # Lookups by secret made before anyone is signed in; each returns NULL (or no row)
    # for unknown, revoked or expired secrets.
    "api_token_user_id(token_hash text)": """
        RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER SET search_path = app, pg_temp
        AS $$
            SELECT t.user_id FROM app.api_tokens t JOIN app.users u ON u.id = t.user_id
            WHERE t.token_hash = $1 AND t.revoked_at IS NULL
              AND (t.expires_at IS NULL OR t.expires_at > now()) AND u.suspended_at IS NULL
        $$""",
    "resolve_tracking_key(key_hash text)": """
        RETURNS TABLE (project_id bigint, allowed_origins jsonb)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = app, pg_temp
        AS $$
            SELECT k.project_id, k.allowed_origins FROM app.attribution_tracking_keys k
            WHERE k.key_hash = $1 AND k.revoked_at IS NULL
        $$""",
    "resolve_public_link(token text)": """
        RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER SET search_path = app, pg_temp
        AS $$
            SELECT l.dashboard_id FROM app.dashboard_public_links l
            WHERE l.token = $1 AND l.revoked_at IS NULL
              AND (l.expires_at IS NULL OR l.expires_at > now())
        $$""",
}

# --- policy building blocks ---------------------------------------------------------

ADMIN = "(SELECT app.is_platform_admin())"
ME = "app.current_user_id()"
MEMBER_OF = "IN (SELECT app.user_project_ids())"
MANAGER_OF = "IN (SELECT app.user_managed_project_ids())"
INVITEE = "lower(email) = (SELECT app.current_user_email())"


def member(column: str = "project_id") -> str:
    return f"({column} {MEMBER_OF} OR {ADMIN})"


def via_parent(table: str, column: str, parent: str) -> str:
    """Access through the parent row's project (for tables without project_id)."""
    return (
        f"(EXISTS (SELECT 1 FROM app.{parent} p WHERE p.id = {table}.{column}"
        f" AND p.project_id {MEMBER_OF}) OR {ADMIN})"
    )


def same_project(table: str, column: str, referenced: str) -> str:
    """A nullable reference must point into the row's own project."""
    return (
        f"({table}.{column} IS NULL OR EXISTS (SELECT 1 FROM app.{referenced} r"
        f" WHERE r.id = {table}.{column} AND r.project_id = {table}.project_id))"
    )


def same_project_via_parent(
    table: str, column: str, referenced: str, parent_column: str, parent: str
) -> str:
    """Like ``same_project`` for a table whose project is its parent's."""
    return (
        f"({table}.{column} IS NULL OR EXISTS (SELECT 1 FROM app.{parent} p"
        f" JOIN app.{referenced} r ON r.project_id = p.project_id"
        f" WHERE p.id = {table}.{parent_column} AND r.id = {table}.{column}))"
    )


def user_scoped() -> str:
    return f"(user_id = {ME} OR {ADMIN})"


# (table, policy, command, USING, WITH CHECK); None leaves a clause out.
Policy = tuple[str, str, str, str | None, str | None]


def policies() -> list[Policy]:
    rows: list[Policy] = []

    def add(table: str, name: str, command: str, using: str | None, check: str | None) -> None:
        rows.append((table, f"{table}_{name}", command, using, check))

    def project_scoped(table: str, *checks: str) -> None:
        check = " AND ".join((member(), *checks))
        add(table, "member_access", "ALL", member(), check)

    def child(table: str, column: str, parent: str, *checks: str) -> None:
        access = via_parent(table, column, parent)
        add(table, "member_access", "ALL", access, " AND ".join((access, *checks)))

    # projects: owners always see their own (INSERT ... RETURNING needs it before
    # any membership exists); only the owner may delete a project.
    add("projects", "select", "SELECT", f"(id {MEMBER_OF} OR owner_id = {ME} OR {ADMIN})", None)
    add("projects", "insert", "INSERT", None, f"(owner_id = {ME} OR {ADMIN})")
    add("projects", "update", "UPDATE", member("id"), member("id"))
    add("projects", "delete", "DELETE", f"(owner_id = {ME} OR {ADMIN})", None)

    manager = f"(project_id {MANAGER_OF} OR {ADMIN})"
    pending_invitation = (
        "EXISTS (SELECT 1 FROM app.project_invitations i"
        " WHERE i.project_id = project_members.project_id"
        " AND lower(i.email) = (SELECT app.current_user_email())"
        " AND i.role = project_members.role"
        " AND i.status = 'pending' AND i.expires_at > now())"
    )
    add("project_members", "select", "SELECT", f"({member()} OR user_id = {ME})", None)
    add(
        "project_members",
        "insert",
        "INSERT",
        None,
        f"({manager} OR (user_id = {ME} AND {pending_invitation}))",
    )
    add("project_members", "update", "UPDATE", manager, manager)
    add("project_members", "delete", "DELETE", f"({manager} OR user_id = {ME})", None)

    add("project_invitations", "select", "SELECT", f"({member()} OR {INVITEE})", None)
    add("project_invitations", "insert", "INSERT", None, manager)
    add(
        "project_invitations",
        "update",
        "UPDATE",
        f"({manager} OR {INVITEE})",
        f"({manager} OR ({INVITEE} AND status IN ('accepted', 'declined')))",
    )
    add("project_invitations", "delete", "DELETE", f"({manager} OR {INVITEE})", None)

    project_scoped("data_sources")
    child("data_source_tables", "data_source_id", "data_sources")
    project_scoped("data_models", same_project("data_models", "data_source_id", "data_sources"))
    child(
        "data_model_sources",
        "data_model_id",
        "data_models",
        same_project_via_parent(
            "data_model_sources", "data_source_id", "data_sources", "data_model_id", "data_models"
        ),
    )
    project_scoped("ai_sessions", same_project("ai_sessions", "data_source_id", "data_sources"))
    project_scoped(
        "ai_conversations", same_project("ai_conversations", "data_model_id", "data_models")
    )
    child("ai_messages", "conversation_id", "ai_conversations")
    project_scoped(
        "insights",
        same_project("insights", "data_model_id", "data_models"),
        same_project("insights", "data_source_id", "data_sources"),
        same_project("insights", "dashboard_id", "dashboards"),
    )
    project_scoped("dashboards")
    child(
        "dashboard_widgets",
        "dashboard_id",
        "dashboards",
        same_project_via_parent(
            "dashboard_widgets", "data_model_id", "data_models", "dashboard_id", "dashboards"
        ),
    )
    child("dashboard_public_links", "dashboard_id", "dashboards")
    child("quality_reports", "data_model_id", "data_models")
    child("quality_rules", "data_model_id", "data_models")
    project_scoped("attribution_tracking_keys")
    project_scoped("attribution_events")
    project_scoped("attribution_event_ids")
    project_scoped("attribution_reports")
    # Requests without a project (backup, restore) are for platform admins only.
    project_scoped("pipeline_requests")

    # A public dashboard link: that dashboard, its widgets and their models, read-only.
    public = "app.public_dashboard_id()"
    add("dashboards", "public_read", "SELECT", f"id = {public}", None)
    add("dashboard_widgets", "public_read", "SELECT", f"dashboard_id = {public}", None)
    add("data_models", "public_read", "SELECT", "id IN (SELECT app.public_data_model_ids())", None)

    # The tracking endpoint, once the write key is verified: insert that project's
    # events and claim their ids (RETURNING / ON CONFLICT read the claim back).
    tracking = "project_id = app.tracking_project_id()"
    add("attribution_events", "tracking_insert", "INSERT", None, tracking)
    add("attribution_event_ids", "tracking_insert", "INSERT", None, tracking)
    add("attribution_event_ids", "tracking_read", "SELECT", tracking, None)

    for table in (
        "api_tokens",
        "account_cancellation_requests",
        "user_subscriptions",
        "ai_usage",
        "notifications",
        "email_preferences",
    ):
        add(table, "own", "ALL", user_scoped(), user_scoped())
    # Any signed-in user may notify another (an invitation, an admin alert); the
    # recipient alone reads it, so such inserts must not use RETURNING.
    add("notifications", "insert_any", "INSERT", None, f"{ME} IS NOT NULL")

    # Platform tables: readable by everyone, written by platform admins.
    for table in (
        "subscription_tiers",
        "platform_settings",
        "beta_allowlist",
        "article_categories",
    ):
        add(table, "read", "SELECT", "true", None)
        add(table, "admin_write", "ALL", ADMIN, ADMIN)
    add("articles", "read", "SELECT", f"(status = 'published' OR {ADMIN})", None)
    add("articles", "admin_write", "ALL", ADMIN, ADMIN)
    for table in ("alerts", "backups", "backup_schedules"):
        add(table, "admin", "ALL", ADMIN, ADMIN)
    return rows


def create_policy(table: str, name: str, command: str, using: str | None, check: str | None):
    sql = f"CREATE POLICY {name} ON app.{table} AS PERMISSIVE FOR {command} TO {APP}"
    if using is not None:
        sql += f"\n    USING ({using})"
    if check is not None:
        sql += f"\n    WITH CHECK ({check})"
    op.execute(sql)


# --- upgrade / downgrade --------------------------------------------------------------


def create_role(name: str, options: str) -> None:
    # The exception covers a migration of another database creating it concurrently.
    op.execute(
        f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{name}') THEN
                CREATE ROLE {name} {options};
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$
        """
    )


def set_owner_of_everything(new_owner: str) -> None:
    """Schema app, its tables (partitions and alembic_version included) and functions."""
    op.execute(
        f"""
        DO $$
        DECLARE obj record;
        BEGIN
            EXECUTE format('ALTER SCHEMA app OWNER TO %I', {new_owner});
            FOR obj IN
                SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'app' AND c.relkind IN ('r', 'p')
            LOOP
                EXECUTE format('ALTER TABLE app.%I OWNER TO %I', obj.relname, {new_owner});
            END LOOP;
            FOR obj IN
                SELECT p.oid::regprocedure AS signature FROM pg_proc p
                JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'app'
            LOOP
                EXECUTE format('ALTER FUNCTION %s OWNER TO %I', obj.signature, {new_owner});
            END LOOP;
        END $$
        """
    )


def upgrade() -> None:
    create_role(OWNER, "NOLOGIN")
    create_role(APP, "LOGIN")
    create_role(READONLY, "LOGIN")
    # The migrating user must be able to hand objects to dra_owner and SET ROLE to
    # the others (a notice, not an error, when it already can).
    op.execute(f"GRANT {APP}, {READONLY}, {OWNER} TO CURRENT_USER")

    for signature, body in FUNCTIONS.items():
        op.execute(f"CREATE FUNCTION app.{signature} {body}")

    set_owner_of_everything(f"'{OWNER}'")

    op.execute("REVOKE ALL ON SCHEMA app FROM PUBLIC")
    op.execute("REVOKE ALL ON ALL FUNCTIONS IN SCHEMA app FROM PUBLIC")
    op.execute(f"GRANT USAGE ON SCHEMA app TO {APP}")
    for table in APP_TABLES:
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON app.{table} TO {APP}")
    op.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA app TO {APP}")
    for signature in FUNCTIONS:
        op.execute(f"GRANT EXECUTE ON FUNCTION app.{signature} TO {APP}")

    for table in APP_TABLES:
        if table not in WITHOUT_RLS:
            op.execute(f"ALTER TABLE app.{table} ENABLE ROW LEVEL SECURITY")
    for policy in policies():
        create_policy(*policy)


def downgrade() -> None:
    for table, name, *_ in policies():
        op.execute(f"DROP POLICY {name} ON app.{table}")
    for table in APP_TABLES:
        if table not in WITHOUT_RLS:
            op.execute(f"ALTER TABLE app.{table} DISABLE ROW LEVEL SECURITY")

    for role in (APP, READONLY):
        op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA app FROM {role}")
        op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA app FROM {role}")
        op.execute(f"REVOKE ALL ON ALL FUNCTIONS IN SCHEMA app FROM {role}")
        op.execute(f"REVOKE ALL ON SCHEMA app FROM {role}")

    set_owner_of_everything("current_user")
    for signature in reversed(FUNCTIONS):
        op.execute(f"DROP FUNCTION app.{signature}")
    # The roles and the migrating user's membership in them stay: they are
    # cluster-wide, and other databases on the same server may use them.
