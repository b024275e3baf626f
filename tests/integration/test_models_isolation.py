"""Another project's data stays out of reach: through the SQL check (names resolved by
scope) and, behind it, through each project's own database role."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from assets.data_models import data_model_tables
from dra import migrate
from dra.accounts.deletion import delete_account
from dra.db import Database
from dra.ingestion.csv_files import Column
from dra.modeling.errors import ModelingError
from dra.modeling.executor import run_readonly
from dra.models import DataModel
from dra.operations.backups import write_archive
from dra.operations.restore import restore_archive
from dra.project_roles import drop_project_role, project_role_name
from dra.projects.projects import remove_project_data
from dra.settings import load_settings
from tests.support.factories import project_with_roles
from tests.support.modeling import load_table, seed_shop

SECRET = "SECRET-B"

# Each passed the check before it resolved names by scope: inside its own body (or in
# an earlier sibling) a CTE's name still means the catalog view of the same name.
STATS_ATTACK = (
    "with pg_stats as (select schemaname::text as s, tablename::text as t, "
    "attname::text as c, coalesce(most_common_vals::text, histogram_bounds::text) as v "
    "from pg_stats where schemaname like 'raw%') select * from pg_stats"
)
TABLES_ATTACK = (
    "with a as (select schemaname::text as s, tablename::text as t from pg_tables "
    "where schemaname like 'raw%'), "
    "pg_tables as (select 1 as x) select * from a"
)


@pytest.fixture
def shop(database):
    with database.system_session() as s:
        roles = project_with_roles(s)
    seed_shop(database, roles.project_id)
    other = roles.outsider_project_id
    seed_shop(database, other, orders=3)
    load_table(
        database,
        f"raw_p{other}",
        "payroll",
        [Column("id", "id", "bigint"), Column("note", "note", "text")],
        [(i, f"{SECRET}-{i % 3}") for i in range(300)],
    )
    with database.system_session() as s:  # planner statistics, as after any ingestion
        s.execute(text(f"analyze raw_p{other}.payroll"))
        s.execute(text(f"analyze raw_p{roles.project_id}.orders"))
    return roles


def url(shop, path=""):
    return f"/projects/{shop.project_id}/models{path}"


def leaked(body: str, shop) -> bool:
    return SECRET in body or "payroll" in body or f"raw_p{shop.outsider_project_id}" in body


def role_exists(database, name: str) -> bool:
    with database.system_session() as s:
        return bool(s.scalar(text("select count(*) from pg_roles where rolname = :r"), {"r": name}))


def model_with_query(database, shop, query: str) -> int:
    """A model stored with ``query`` as if it had been saved before the check was fixed."""
    with database.system_session() as s:
        model = DataModel(
            project_id=shop.project_id,
            name="Sneaky",
            query=query,
            query_json={"mode": "sql", "sql": query},
            created_by=shop.editor.id,
        )
        s.add(model)
        s.flush()
        return model.id


@pytest.mark.parametrize("attack", [STATS_ATTACK, TABLES_ATTACK])
def test_catalog_named_ctes_leak_nothing_through_preview_execute_page_or_build(
    shop, login, database, materialize, attack
):
    client = login(shop.editor)

    preview = client.post(url(shop, "/preview"), json={"sql": attack})
    assert not leaked(preview.get_data(as_text=True), shop)
    assert preview.status_code == 400 and preview.json["field"] == "query"

    saved = client.post(url(shop), json={"name": "Sneaky", "sql": attack})
    assert saved.status_code == 400 and not leaked(saved.get_data(as_text=True), shop)

    model_id = model_with_query(database, shop, attack)
    executed = client.post(url(shop, f"/{model_id}/execute"))
    assert executed.status_code == 400 and not leaked(executed.get_data(as_text=True), shop)
    page = client.get(url(shop, f"/{model_id}"))
    assert page.status_code == 200 and not leaked(page.get_data(as_text=True), shop)

    result = materialize(
        [data_model_tables],
        partition_key=str(model_id),
        dynamic_partitions={"data_models": [model_id]},
        raise_on_error=False,
    )
    assert not result.success
    with database.system_session() as s:
        model = s.get(DataModel, model_id)
        assert model.status == "broken" and "pg_" in model.last_error
        built = s.scalar(text(f"select to_regclass('models_p{shop.project_id}.model_{model_id}')"))
        assert built is None


def test_a_projects_role_sees_only_its_own_project_even_past_the_check(shop, database):
    """Unchecked SQL run as project A's role: B's tables and statistics stay out of sight."""
    role = project_role_name(database.system_engine.url.database, shop.project_id)
    own, other = f"raw_p{shop.project_id}", f"raw_p{shop.outsider_project_id}"
    stats = (
        "select schemaname::text, tablename::text, attname::text, "
        "coalesce(most_common_vals::text, histogram_bounds::text) "
        "from pg_catalog.pg_stats where schemaname like 'raw_p%%'"
    )
    seen = run_readonly(database, stats, project_id=shop.project_id).rows
    assert {(r[0], r[1]) for r in seen} == {(own, "orders")}
    assert not any(SECRET in str(r) for r in seen)
    # the same statistics exist: the system role sees B's values
    with database.system_session() as s:
        assert SECRET in str(
            s.execute(
                text(f"select most_common_vals::text from pg_stats where schemaname = '{other}'")
            )
            .scalars()
            .all()
        )
    for query in (
        f"select * from {other}.payroll",
        f"select * from {other}.orders",
        "select email from app.users",
    ):
        with pytest.raises(ModelingError, match="may not read"):
            run_readonly(database, query, project_id=shop.project_id)
    tables = run_readonly(
        database,
        "select table_schema::text from information_schema.tables "
        "where table_schema like 'raw_p%%' group by 1",
        project_id=shop.project_id,
    ).rows
    assert tables == [[own]]
    who = run_readonly(
        database,
        "select current_user::text, current_setting('transaction_read_only')",
        project_id=shop.project_id,
    )
    assert who.rows == [[role, "on"]]
    # and dra_readonly, which every project's queries ran as, reads no project's tables
    with database.system_session() as s:
        assert not s.scalar(text(f"select has_schema_privilege('dra_readonly', '{own}', 'usage')"))


def test_project_roles_are_per_database_and_dropped_with_the_project(shop, login, database):
    dbname = database.system_engine.url.database
    role = project_role_name(dbname, shop.project_id)
    assert role == project_role_name(dbname, shop.project_id)
    assert role != project_role_name(dbname + "_other", shop.project_id)
    assert len(project_role_name("x" * 63, 2**62)) <= 63

    assert role_exists(database, role)  # made when the project's first schema was
    with database.system_session() as s:
        name = s.scalar(text("select name from app.projects where id = :p"), {"p": shop.project_id})
    gone = login(shop.owner).post(
        f"/projects/{shop.project_id}/delete", data={"confirm_name": name}
    )
    assert gone.status_code == 302
    assert not role_exists(database, role)
    assert role_exists(database, project_role_name(dbname, shop.outsider_project_id))


def test_deleting_an_account_drops_the_roles_of_the_projects_it_owned(shop, database, settings):
    dbname = database.system_engine.url.database
    deleted = delete_account(database, settings.data_dir, shop.outsider.id)
    assert deleted.project_ids == (shop.outsider_project_id,)
    assert not role_exists(database, project_role_name(dbname, shop.outsider_project_id))
    assert role_exists(database, project_role_name(dbname, shop.project_id))


def test_a_backup_holding_a_deleted_projects_data_restores_with_its_role(
    empty_database_url, tmp_path
):
    """Dumps carry the grants to project roles; a role dropped with its project since the
    backup is made again by the restore, which otherwise stopped at the first GRANT."""
    migrate.upgrade(empty_database_url)
    database = Database(empty_database_url)
    settings = load_settings(
        {
            "DRA_ENV": "test",
            "DRA_DATA_DIR": str(tmp_path / "data"),
            "DRA_DATABASE_URL": empty_database_url,
        }
    )
    try:
        load_table(database, "raw_p77", "orders", [Column("id", "id", "bigint")], [(1,), (2,)])
        role = project_role_name(database.system_engine.url.database, 77)
        archive = tmp_path / "backup.zip"
        write_archive(database.url, archive)
        remove_project_data(database, tmp_path, 77)
        assert not role_exists(database, role)

        restore_archive(database.url, settings, archive)

        database.dispose()
        assert role_exists(database, role)
        rows = run_readonly(database, "select id from raw_p77.orders", project_id=77).rows
        assert rows == [[1], [2]]
    finally:
        raw = database.system_engine.raw_connection()
        with raw.driver_connection.cursor() as cur:  # roles are the server's: leave none
            drop_project_role(cur, 77)
        raw.driver_connection.commit()
        raw.close()
        database.dispose()


def test_a_schema_its_role_cannot_use_is_granted_again_before_the_next_query(shop, database):
    """As after restoring another database's backup (its GRANTs name that database's roles)."""
    role = project_role_name(database.system_engine.url.database, shop.project_id)
    schema = f"raw_p{shop.project_id}"
    with database.system_session() as s:
        s.execute(text(f'revoke all on all tables in schema "{schema}" from "{role}"'))
        s.execute(text(f'revoke usage on schema "{schema}" from "{role}"'))
    rows = run_readonly(
        database, f"select count(*) from {schema}.orders", project_id=shop.project_id
    )
    assert rows.rows == [[30]]


def test_honest_ctes_resolved_by_scope_run_as_postgresql_reads_them(shop, login):
    """A CTE named like the table it reads ran "relation does not exist" before."""
    client = login(shop.editor)
    paid = client.post(
        url(shop, "/preview"),
        json={
            "sql": "with orders as (select id, amount from orders where status = 'paid') "
            "select count(*) as n, (with recursive t(k) as (select 1 union all "
            "select k + 1 from t where k < 3) select sum(k) from t) as six, "
            "1 operator(pg_catalog.+) 1 as two from orders"
        },
    )
    assert paid.status_code == 200, paid.json
    assert paid.json["rows"] == [[20, 6, 2]]
