"""Row-level security, roles and integrity constraints of schema app, checked in SQL.

One migrated database serves the module; every test works inside a transaction
that is rolled back, so the shared rows below stay as they are:

    alpha (owner alice, carol viewer)     beta (owner bob)
      source alpha_src, model alpha_model    source beta_src, model beta_model
      dashboard alpha_dash + widget          dashboard beta_dash
    dave has no project; admin is a platform admin.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from dra.migrate import upgrade
from dra.models import Project, ProjectMember

INSUFFICIENT_PRIVILEGE = "42501"
UNIQUE_VIOLATION = "23505"
CHECK_VIOLATION = "23514"
FOREIGN_KEY_VIOLATION = "23503"

TABLES_WITHOUT_RLS = {"users", "email_verification_tokens", "password_reset_tokens", "email_outbox"}


@dataclass(frozen=True)
class World:
    alice: int
    bob: int
    carol: int
    dave: int
    admin: int
    alpha: int
    beta: int
    alpha_src: int
    beta_src: int
    alpha_model: int
    beta_model: int
    alpha_dash: int
    beta_dash: int
    alpha_widget: int


def insert(conn: Connection, table: str, **values) -> int:
    columns = ", ".join(values)
    params = ", ".join(f":{name}" for name in values)
    sql = f"INSERT INTO app.{table} ({columns}) VALUES ({params}) RETURNING id"
    return conn.scalar(text(sql), values)


def build_world(conn: Connection) -> World:
    def user(email: str, **extra) -> int:
        return insert(conn, "users", email=email, is_verified=True, **extra)

    def project(owner: int, name: str) -> int:
        project_id = insert(conn, "projects", owner_id=owner, name=name)
        insert(conn, "project_members", project_id=project_id, user_id=owner, role="owner")
        return project_id

    alice, bob, carol = user("alice@example.com"), user("bob@example.com"), user("carol@x.io")
    dave, admin = user("dave@example.com"), user("admin@example.com", is_platform_admin=True)
    alpha, beta = project(alice, "Alpha"), project(bob, "Beta")
    insert(conn, "project_members", project_id=alpha, user_id=carol, role="viewer")
    alpha_src = insert(conn, "data_sources", project_id=alpha, name="Orders", type="csv")
    beta_src = insert(conn, "data_sources", project_id=beta, name="Leads", type="postgresql")
    alpha_model = insert(
        conn, "data_models", project_id=alpha, data_source_id=alpha_src, name="Revenue"
    )
    beta_model = insert(
        conn, "data_models", project_id=beta, data_source_id=beta_src, name="Funnel"
    )
    conn.execute(
        text(
            "INSERT INTO app.data_model_sources (data_model_id, data_source_id)"
            " VALUES (:m1, :s1), (:m2, :s2)"
        ),
        {"m1": alpha_model, "s1": alpha_src, "m2": beta_model, "s2": beta_src},
    )
    alpha_dash = insert(conn, "dashboards", project_id=alpha, name="Sales")
    beta_dash = insert(conn, "dashboards", project_id=beta, name="Pipeline")
    alpha_widget = insert(
        conn,
        "dashboard_widgets",
        dashboard_id=alpha_dash,
        data_model_id=alpha_model,
        chart_type="bar",
    )
    for user_id in (alice, bob):
        insert(conn, "notifications", user_id=user_id, type="info", title="Hello")
    return World(
        alice, bob, carol, dave, admin, alpha, beta, alpha_src, beta_src, alpha_model,
        beta_model, alpha_dash, beta_dash, alpha_widget,
    )  # fmt: skip


@pytest.fixture(scope="module")
def database(pg_cluster) -> Iterator[tuple[Engine, World]]:
    url = pg_cluster.create_database()
    upgrade(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        world = build_world(conn)
    yield engine, world
    engine.dispose()
    pg_cluster.drop_database(make_url(url).database)


@pytest.fixture
def engine(database) -> Engine:
    return database[0]


@pytest.fixture
def world(database) -> World:
    return database[1]


@pytest.fixture
def system(engine: Engine) -> Iterator[Connection]:
    """A superuser connection (bypasses RLS) in a transaction that is rolled back."""
    with engine.connect() as conn, conn.begin() as transaction:
        yield conn
        transaction.rollback()


def become(
    conn: Connection,
    user_id: int | None = None,
    *,
    platform_admin: bool = False,
    role: str = "dra_app",
    tracking_project_id: int | None = None,
    public_dashboard_id: int | None = None,
) -> Connection:
    """Make the rest of ``conn``'s transaction act as ``role`` and ``user_id``."""
    conn.execute(text("RESET ROLE"))
    conn.execute(text(f"SET LOCAL ROLE {role}"))
    settings = {
        "dra.user_id": user_id,
        "dra.platform_admin": "on" if platform_admin else "off",
        "dra.tracking_project_id": tracking_project_id,
        "dra.public_dashboard_id": public_dashboard_id,
    }
    for name, value in settings.items():
        conn.execute(
            text("SELECT set_config(:name, :value, true)"),
            {"name": name, "value": "" if value is None else str(value)},
        )
    return conn


@contextmanager
def acting(engine: Engine, user_id: int | None = None, **options) -> Iterator[Connection]:
    """A new connection acting as ``user_id`` (see ``become``), rolled back at the end."""
    with engine.connect() as conn, conn.begin() as transaction:
        yield become(conn, user_id, **options)
        transaction.rollback()


def ids(conn: Connection, table: str, where: str = "true") -> set[int]:
    return set(conn.scalars(text(f"SELECT id FROM app.{table} WHERE {where}")))


def rowcount(conn: Connection, sql: str, **params) -> int:
    return conn.execute(text(sql), params).rowcount


def sqlstate(error: pytest.ExceptionInfo[DBAPIError]) -> str:
    return error.value.orig.sqlstate


def sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --- what a signed-in user sees and changes ---------------------------------------------


def test_user_sees_only_their_projects_sources_models_and_notifications(engine, world):
    with acting(engine, world.alice) as conn:
        assert ids(conn, "projects") == {world.alpha}
        assert ids(conn, "data_sources") == {world.alpha_src}
        assert ids(conn, "data_models") == {world.alpha_model}
        assert ids(conn, "dashboards") == {world.alpha_dash}
        assert ids(conn, "dashboard_widgets") == {world.alpha_widget}
        assert set(conn.scalars(text("SELECT user_id FROM app.notifications"))) == {world.alice}
        assert set(conn.scalars(text("SELECT user_id FROM app.project_members"))) == {
            world.alice,
            world.carol,
        }


def test_members_see_the_project_through_their_membership(engine, world):
    with acting(engine, world.carol) as conn:
        assert ids(conn, "projects") == {world.alpha}
        assert ids(conn, "data_models") == {world.alpha_model}


def test_user_cannot_update_or_delete_another_projects_rows(engine, world):
    with acting(engine, world.alice) as conn:
        assert (
            rowcount(conn, "UPDATE app.projects SET name = 'x' WHERE id = :id", id=world.beta) == 0
        )
        assert rowcount(conn, "DELETE FROM app.projects WHERE id = :id", id=world.beta) == 0
        assert (
            rowcount(
                conn, "UPDATE app.data_sources SET name = 'x' WHERE id = :id", id=world.beta_src
            )
            == 0
        )
        assert rowcount(conn, "DELETE FROM app.data_sources WHERE id = :id", id=world.beta_src) == 0
        assert (
            rowcount(
                conn, "UPDATE app.data_models SET query = 'x' WHERE id = :id", id=world.beta_model
            )
            == 0
        )
        assert rowcount(conn, "DELETE FROM app.dashboards WHERE id = :id", id=world.beta_dash) == 0
        assert (
            rowcount(conn, "DELETE FROM app.notifications WHERE user_id = :id", id=world.bob) == 0
        )
        # ...while their own rows do change.
        assert (
            rowcount(
                conn, "UPDATE app.data_sources SET name = 'x' WHERE id = :id", id=world.alpha_src
            )
            == 1
        )
    with acting(engine, world.bob) as conn:
        assert (
            conn.scalar(text("SELECT name FROM app.projects WHERE id = :id"), {"id": world.beta})
            == "Beta"
        )


def test_user_cannot_insert_a_data_source_into_another_project(engine, world):
    with acting(engine, world.alice) as conn, pytest.raises(DBAPIError) as error:
        insert(conn, "data_sources", project_id=world.beta, name="Sneaky", type="csv")
    assert sqlstate(error) == INSUFFICIENT_PRIVILEGE
    assert "row-level security" in str(error.value)


def test_without_a_user_dra_app_sees_no_project_rows(engine, world):
    with acting(engine, None) as conn:
        for table in ("projects", "project_members", "data_sources", "data_models", "dashboards",
                      "dashboard_widgets", "notifications", "pipeline_requests"):  # fmt: skip
            assert conn.scalar(text(f"SELECT count(*) FROM app.{table}")) == 0, table
        # users has no row-level security: sign-in looks accounts up by email.
        assert conn.scalar(text("SELECT count(*) FROM app.users")) == 5


def test_platform_admin_sees_everything(engine, world):
    with acting(engine, world.admin, platform_admin=True) as conn:
        assert ids(conn, "projects") == {world.alpha, world.beta}
        assert ids(conn, "data_sources") == {world.alpha_src, world.beta_src}
        assert conn.scalar(text("SELECT count(*) FROM app.notifications")) == 2
        assert rowcount(conn, "UPDATE app.projects SET description = 'checked'") == 2


def test_platform_admin_setting_is_ignored_for_other_users(engine, world):
    with acting(engine, world.alice, platform_admin=True) as conn:
        assert ids(conn, "projects") == {world.alpha}
    with acting(engine, None, platform_admin=True) as conn:
        assert ids(conn, "projects") == set()


def test_readonly_role_cannot_read_app_tables(engine, world):
    with acting(engine, None, role="dra_readonly") as conn, pytest.raises(DBAPIError) as error:
        conn.execute(text("SELECT * FROM app.users"))
    assert sqlstate(error) == INSUFFICIENT_PRIVILEGE
    assert "permission denied for schema app" in str(error.value)


# --- projects and membership -----------------------------------------------------------


def test_creating_a_project_and_its_owner_membership_in_one_transaction(engine, world):
    with acting(engine, world.dave) as conn:
        session = Session(bind=conn)
        project = Project(owner_id=world.dave, name="Gamma")
        session.add(project)
        session.flush()  # INSERT ... RETURNING: the owner must see the new row at once
        session.add(ProjectMember(project_id=project.id, user_id=world.dave, role="owner"))
        session.flush()

        assert ids(conn, "projects") == {project.id}


def test_nobody_creates_a_project_for_someone_else(engine, world):
    with acting(engine, world.dave) as conn, pytest.raises(DBAPIError) as error:
        insert(conn, "projects", owner_id=world.alice, name="Not mine")
    assert sqlstate(error) == INSUFFICIENT_PRIVILEGE


def test_only_the_owner_deletes_a_project(engine, world):
    with acting(engine, world.carol) as conn:
        assert rowcount(conn, "DELETE FROM app.projects WHERE id = :id", id=world.alpha) == 0
    with acting(engine, world.alice) as conn:
        assert rowcount(conn, "DELETE FROM app.projects WHERE id = :id", id=world.alpha) == 1
        assert ids(conn, "data_sources") == set()


def test_members_are_managed_by_owners_and_admins_only(engine, world):
    with acting(engine, world.carol) as conn, pytest.raises(DBAPIError) as error:
        insert(conn, "project_members", project_id=world.alpha, user_id=world.dave, role="admin")
    assert sqlstate(error) == INSUFFICIENT_PRIVILEGE
    with acting(engine, world.carol) as conn:
        promoted = "UPDATE app.project_members SET role = 'owner' WHERE user_id = :id"
        assert rowcount(conn, promoted, id=world.carol) == 0
        # Leaving a project is always allowed.
        assert (
            rowcount(conn, "DELETE FROM app.project_members WHERE user_id = :id", id=world.carol)
            == 1
        )
    with acting(engine, world.alice) as conn:
        insert(conn, "project_members", project_id=world.alpha, user_id=world.dave, role="editor")


def test_invitee_accepts_their_invitation_with_the_invited_role(system, world):
    invitation = insert(
        system, "project_invitations", project_id=world.alpha, email="Dave@Example.com",
        role="editor", token_hash=sha256("invite"), invited_by=world.alice,
        expires_at=datetime.now(UTC) + timedelta(days=7),
    )  # fmt: skip

    become(system, world.bob)
    assert ids(system, "project_invitations") == set()

    become(system, world.dave)
    found = "SELECT id FROM app.project_invitations WHERE token_hash = :h"
    assert system.scalar(text(found), {"h": sha256("invite")}) == invitation
    with pytest.raises(DBAPIError) as error, system.begin_nested():
        insert(system, "project_members", project_id=world.alpha, user_id=world.dave, role="admin")
    assert sqlstate(error) == INSUFFICIENT_PRIVILEGE
    insert(system, "project_members", project_id=world.alpha, user_id=world.dave, role="editor")
    accept = "UPDATE app.project_invitations SET status = 'accepted' WHERE id = :id"
    assert rowcount(system, accept, id=invitation) == 1
    assert ids(system, "projects") == {world.alpha}


def test_references_must_stay_inside_the_rows_project(system, world):
    # Even a member of both projects cannot point alpha's rows at beta's.
    insert(system, "project_members", project_id=world.beta, user_id=world.alice, role="editor")
    become(system, world.alice)
    attempts = {
        "data_models": dict(project_id=world.alpha, data_source_id=world.beta_src, name="x"),
        "dashboard_widgets": dict(
            dashboard_id=world.alpha_dash, data_model_id=world.beta_model, chart_type="bar"
        ),
        "ai_sessions": dict(
            project_id=world.alpha, user_id=world.alice, data_source_id=world.beta_src,
            expires_at=datetime.now(UTC),
        ),
        "insights": dict(project_id=world.alpha, data_model_id=world.beta_model),
    }  # fmt: skip
    for table, values in attempts.items():
        with pytest.raises(DBAPIError) as error, system.begin_nested():
            insert(system, table, **values)
        assert sqlstate(error) == INSUFFICIENT_PRIVILEGE, table
    link = "INSERT INTO app.data_model_sources (data_model_id, data_source_id) VALUES (:m, :s)"
    with pytest.raises(DBAPIError) as error, system.begin_nested():
        system.execute(text(link), {"m": world.alpha_model, "s": world.beta_src})
    assert sqlstate(error) == INSUFFICIENT_PRIVILEGE
    read = "INSERT INTO app.data_model_inputs (data_model_id, upstream_model_id) VALUES (:m, :u)"
    with pytest.raises(DBAPIError) as error, system.begin_nested():
        system.execute(text(read), {"m": world.alpha_model, "u": world.beta_model})
    assert sqlstate(error) == INSUFFICIENT_PRIVILEGE

    insert(system, "data_models", project_id=world.alpha, data_source_id=world.alpha_src, name="ok")
    other = insert(system, "data_models", project_id=world.alpha, name="reads Orders")
    system.execute(text(read), {"m": other, "u": world.alpha_model})


# --- user-scoped and platform tables ----------------------------------------------------


def test_notifications_are_private_but_anyone_signed_in_can_send_one(engine, world):
    with acting(engine, world.alice) as conn:
        assert rowcount(conn, "UPDATE app.notifications SET read_at = now()") == 1
        conn.execute(
            text(
                "INSERT INTO app.notifications (user_id, type, title) VALUES (:u, 'invite', 'Hi')"
            ),
            {"u": world.bob},
        )
        assert conn.scalar(text("SELECT count(*) FROM app.notifications")) == 1
    with acting(engine, None) as conn, pytest.raises(DBAPIError):
        conn.execute(
            text("INSERT INTO app.notifications (user_id, type, title) VALUES (:u, 'spam', 'x')"),
            {"u": world.bob},
        )


def test_platform_tables_are_readable_by_all_and_written_by_admins(engine, world):
    raise_limit = "UPDATE app.subscription_tiers SET max_projects = 99 WHERE name = 'Free'"
    with acting(engine, world.alice) as conn:
        assert conn.scalar(text("SELECT count(*) FROM app.subscription_tiers")) == 5
        assert conn.scalar(
            text("SELECT value FROM app.platform_settings WHERE key = 'registration_open'")
        )
        assert rowcount(conn, raise_limit) == 0
        assert conn.scalar(text("SELECT count(*) FROM app.backups")) == 0
    with acting(engine, world.admin, platform_admin=True) as conn:
        assert rowcount(conn, raise_limit) == 1


def test_api_token_lookup_before_sign_in(system, world):
    insert(
        system, "api_tokens", user_id=world.alice, name="cli", token_hash=sha256("t1"), prefix="t1"
    )
    insert(system, "api_tokens", user_id=world.bob, name="old", token_hash=sha256("t2"),
           prefix="t2", revoked_at=datetime.now(UTC))  # fmt: skip

    become(system, None)
    lookup = text("SELECT app.api_token_user_id(:h)")
    assert system.scalar(lookup, {"h": sha256("t1")}) == world.alice
    assert system.scalar(lookup, {"h": sha256("t2")}) is None
    assert system.scalar(lookup, {"h": sha256("unknown")}) is None
    assert system.scalar(text("SELECT count(*) FROM app.api_tokens")) == 0


# --- tracking endpoint and public dashboards -----------------------------------------------

TRACK = text(
    "WITH claimed AS ("
    "  INSERT INTO app.attribution_event_ids (project_id, client_event_id, occurred_at)"
    "  VALUES (:p, :c, :t) ON CONFLICT DO NOTHING RETURNING project_id)"
    " INSERT INTO app.attribution_events"
    "  (project_id, client_event_id, user_identifier, event_type, occurred_at)"
    " SELECT :p, :c, 'visitor-1', 'page_view', :t FROM claimed"
)


def test_tracking_key_allows_inserting_that_projects_events_once(system, world):
    insert(system, "attribution_tracking_keys", project_id=world.alpha, name="site",
           key_hash=sha256("wk"), prefix="wk")  # fmt: skip

    become(system, None)
    key = system.execute(text("SELECT * FROM app.resolve_tracking_key(:h)"), {"h": sha256("wk")})
    assert key.one().project_id == world.alpha

    become(system, None, tracking_project_id=world.alpha)
    now = datetime.now(UTC)
    system.execute(TRACK, {"p": world.alpha, "c": "evt-1", "t": now})
    # A retry arriving with another timestamp (another partition) is the same event.
    system.execute(TRACK, {"p": world.alpha, "c": "evt-1", "t": now + timedelta(days=40)})
    with pytest.raises(DBAPIError) as error, system.begin_nested():
        system.execute(TRACK, {"p": world.beta, "c": "evt-2", "t": now})
    assert sqlstate(error) == INSUFFICIENT_PRIVILEGE
    assert system.scalar(text("SELECT count(*) FROM app.attribution_events")) == 0  # write-only

    system.execute(text("RESET ROLE"))
    assert system.scalar(text("SELECT count(*) FROM app.attribution_events")) == 1


def test_public_link_shows_one_dashboard_its_widgets_and_models(system, world):
    insert(system, "dashboard_public_links", dashboard_id=world.alpha_dash, token="pub-1")
    insert(system, "dashboard_public_links", dashboard_id=world.beta_dash, token="pub-2",
           revoked_at=datetime.now(UTC))  # fmt: skip

    become(system, None)
    resolve = text("SELECT app.resolve_public_link(:t)")
    assert system.scalar(resolve, {"t": "pub-1"}) == world.alpha_dash
    assert system.scalar(resolve, {"t": "pub-2"}) is None

    become(system, None, public_dashboard_id=world.alpha_dash)
    assert ids(system, "dashboards") == {world.alpha_dash}
    assert ids(system, "dashboard_widgets") == {world.alpha_widget}
    assert ids(system, "data_models") == {world.alpha_model}
    assert ids(system, "data_sources") == set()
    assert rowcount(system, "UPDATE app.dashboards SET name = 'x'") == 0


# --- guards for future migrations ---------------------------------------------------------


def test_every_table_but_the_pre_sign_in_ones_has_row_level_security(engine):
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,"
                " (SELECT count(*) FROM pg_policies p"
                "   WHERE p.schemaname = 'app' AND p.tablename = c.relname)"
                " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'app' AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
                " AND c.relname <> 'alembic_version'"
            )
        ).all()
    for table, enabled, forced, policies in rows:
        assert not forced, table
        if table in TABLES_WITHOUT_RLS:
            assert not enabled, table
        else:
            assert enabled and policies > 0, table


def test_dra_owner_owns_everything_and_dra_app_gets_dml_on_tables_only(engine):
    with engine.connect() as conn:
        tables = conn.execute(
            text(
                "SELECT c.relname, c.relowner::regrole::text, c.relispartition,"
                " has_table_privilege('dra_app', c.oid, 'SELECT, INSERT, UPDATE, DELETE'),"
                " has_table_privilege('dra_app', c.oid, 'TRUNCATE')"
                " FROM pg_class c WHERE c.relnamespace = 'app'::regnamespace"
                " AND c.relkind IN ('r', 'p')"
            )
        ).all()
        function_owners = set(
            conn.scalars(
                text(
                    "SELECT DISTINCT proowner::regrole::text FROM pg_proc"
                    " WHERE pronamespace = 'app'::regnamespace"
                )
            )
        )
        schema_owner = conn.scalar(
            text("SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'app'")
        )
        readonly_usage = conn.scalar(
            text("SELECT has_schema_privilege('dra_readonly', 'app', 'USAGE')")
        )
        app_may_partition = conn.scalar(
            text(
                "SELECT has_function_privilege('dra_app',"
                " 'app.ensure_attribution_partition(timestamptz)', 'EXECUTE')"
            )
        )

    assert schema_owner == "dra_owner"
    assert function_owners == {"dra_owner"}
    assert not readonly_usage
    assert not app_may_partition
    for table, owner, is_partition, dml, truncate in tables:
        assert owner == "dra_owner", table
        assert not truncate, table
        # Partitions and the version table are not reachable directly.
        assert dml == (not is_partition and table != "alembic_version"), table


def test_every_policy_expands_without_recursion(engine, world):
    # Policies that query each other's tables fail only when PostgreSQL expands them
    # (42P17 "infinite recursion"): run each command once on every table.
    with engine.connect() as conn:
        tables = conn.scalars(
            text(
                "SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'app'::regnamespace"
                " AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
                " AND c.relname <> 'alembic_version'"
            )
        ).all()
    with acting(engine, world.alice) as conn:
        for table in tables:
            conn.execute(text(f"SELECT count(*) FROM app.{table}"))
            conn.execute(text(f"INSERT INTO app.{table} SELECT * FROM app.{table} WHERE false"))
            conn.execute(
                text(f"UPDATE app.{table} SET {first_column(conn, table)} = DEFAULT WHERE false")
            )
            conn.execute(text(f"DELETE FROM app.{table} WHERE false"))


def first_column(conn: Connection, table: str) -> str:
    return conn.scalar(
        text(
            "SELECT attname FROM pg_attribute WHERE attrelid = ('app.' || :t)::regclass"
            " AND attnum > 0 AND NOT attisdropped AND attidentity = '' ORDER BY attnum LIMIT 1"
        ),
        {"t": table},
    )


# --- integrity constraints --------------------------------------------------------------------


def test_deleting_a_project_cascades_to_everything_in_it(system, world):
    system.execute(text("DELETE FROM app.projects WHERE id = :id"), {"id": world.alpha})
    for table in (
        "project_members",
        "data_sources",
        "data_models",
        "dashboards",
        "data_model_sources",
    ):
        column = "data_model_id" if table == "data_model_sources" else "project_id"
        value = world.alpha_model if table == "data_model_sources" else world.alpha
        left = system.scalar(
            text(f"SELECT count(*) FROM app.{table} WHERE {column} = :v"), {"v": value}
        )
        assert left == 0, table
    assert ids(system, "dashboard_widgets", f"id = {world.alpha_widget}") == set()


def test_deleting_a_data_source_keeps_its_models_without_a_source(engine, world):
    with acting(engine, world.alice) as conn:
        assert (
            rowcount(conn, "DELETE FROM app.data_sources WHERE id = :id", id=world.alpha_src) == 1
        )
        source = conn.scalar(
            text("SELECT data_source_id FROM app.data_models WHERE id = :id"),
            {"id": world.alpha_model},
        )
        links = conn.scalar(
            text("SELECT count(*) FROM app.data_model_sources WHERE data_model_id = :id"),
            {"id": world.alpha_model},
        )
    assert source is None
    assert links == 0


def test_deleting_a_data_model_keeps_its_widgets_without_a_model(engine, world):
    with acting(engine, world.alice) as conn:
        assert (
            rowcount(conn, "DELETE FROM app.data_models WHERE id = :id", id=world.alpha_model) == 1
        )
        model = conn.scalar(
            text("SELECT data_model_id FROM app.dashboard_widgets WHERE id = :id"),
            {"id": world.alpha_widget},
        )
    assert model is None


def test_deleting_a_user_cascades_to_their_memberships_notifications_and_projects(system, world):
    system.execute(text("DELETE FROM app.users WHERE id = :id"), {"id": world.alice})
    assert ids(system, "projects") == {world.beta}
    assert (
        system.scalar(
            text("SELECT count(*) FROM app.notifications WHERE user_id = :u"), {"u": world.alice}
        )
        == 0
    )
    assert (
        system.scalar(
            text("SELECT count(*) FROM app.project_members WHERE user_id = :u"), {"u": world.carol}
        )
        == 0
    )


def test_emails_are_unique_whatever_their_case(system):
    with pytest.raises(DBAPIError) as error:
        insert(system, "users", email="ALICE@Example.COM")
    assert sqlstate(error) == UNIQUE_VIOLATION


def test_member_role_must_be_a_known_role(system, world):
    with pytest.raises(DBAPIError) as error:
        insert(
            system, "project_members", project_id=world.beta, user_id=world.dave, role="superuser"
        )
    assert sqlstate(error) == CHECK_VIOLATION


def test_tier_limits_are_counts_or_minus_one(system):
    system.execute(text("UPDATE app.subscription_tiers SET max_projects = -1 WHERE name = 'Free'"))
    with pytest.raises(DBAPIError) as error:
        system.execute(
            text("UPDATE app.subscription_tiers SET max_projects = -2 WHERE name = 'Free'")
        )
    assert sqlstate(error) == CHECK_VIOLATION


def test_a_tier_with_subscribers_cannot_be_deleted(system, world):
    system.execute(
        text(
            "INSERT INTO app.user_subscriptions (user_id, tier_id)"
            " SELECT :u, id FROM app.subscription_tiers WHERE name = 'Starter'"
        ),
        {"u": world.bob},
    )
    with pytest.raises(DBAPIError) as error:
        system.execute(text("DELETE FROM app.subscription_tiers WHERE name = 'Starter'"))
    assert sqlstate(error) == FOREIGN_KEY_VIOLATION


def test_one_open_pipeline_request_per_dedupe_key(system, world):
    enqueue = text(
        "INSERT INTO app.pipeline_requests (kind, status, dedupe_key)"
        " VALUES ('backup', :s, 'backup')"
    )
    system.execute(enqueue, {"s": "succeeded"})
    system.execute(enqueue, {"s": "queued"})
    with pytest.raises(DBAPIError) as error:
        system.execute(enqueue, {"s": "running"})
    assert sqlstate(error) == UNIQUE_VIOLATION
