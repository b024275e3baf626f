"""Join suggestions (UC-AI-10) over ingested tables, against the real database.

Declared keys of a PostgreSQL source (the test server hosts it) and of MariaDB (skipped
when none answers), and, for CSV files without any constraint, names plus value
containment measured in SQL as the project's role.
"""

from __future__ import annotations

import io
import secrets

import psycopg
import pymysql
import pytest
from sqlalchemy.engine import make_url

from dra.ingestion.connectors import ForeignKey, connector_for
from dra.ingestion.service import ingest_source
from dra.modeling.errors import ModelingError
from dra.modeling.joins import NO_CANDIDATES_MESSAGE, ContainmentProbe, suggest_joins
from dra.models import DataSource
from dra.sources.inspect import source_schema
from dra.sources.service import create_database_source, create_file_source
from dra.sources.uploads import store_upload
from tests.integration.test_connectors_mysql_mongo import MARIADB, _mariadb_available
from tests.integration.test_connectors_postgres import details_for
from tests.support.factories import create_project, create_user, set_tier


def _pairs(result):
    return {(s.left_table, s.left_column, s.right_table, s.right_column) for s in result}


def _find(result, left_table, left_column):
    return [s for s in result if (s.left_table, s.left_column) == (left_table, left_column)]


def _csv_project(database, settings, files: dict[str, str]) -> int:
    """A project whose sources are these CSV files, ingested for real."""
    with database.system_session() as s:
        owner = create_user(s)
        set_tier(s, owner, "Enterprise")  # more files than the Free tier's 5 sources
        project_id = create_project(s, owner)
    with database.system_session() as s:
        ids = []
        for filename, text in files.items():
            stored = store_upload(
                io.BytesIO(text.encode()),
                filename,
                data_dir=settings.data_dir,
                project_id=project_id,
            )
            source = create_file_source(
                s, database, project_id=project_id, user_id=owner.id, name=None, upload=stored
            )
            ids.append(source.id)
    for source_id in ids:
        assert ingest_source(database, settings, source_id).ok
    return project_id


def _csv(header: str, rows) -> str:
    return header + "\n" + "\n".join(",".join(str(v) for v in r) for r in rows) + "\n"


SHOP = {
    "customers.csv": _csv(
        "customer_id,name,country", [(i, f"Customer {i}", "FR") for i in range(1, 41)]
    ),
    "products.csv": _csv("id,sku,price", [(i, f"SKU-{i}", 3 * i) for i in range(1, 9)]),
    "orders.csv": _csv(
        "order_id,customer_id,product_id,quantity,amount",
        [(i, (i * 7) % 40 + 1, i % 8 + 1, i % 3 + 1, 12.5 * i) for i in range(1, 121)],
    ),
    # the right name, values from elsewhere (another system's customer numbers)
    "promotions.csv": _csv(
        "promotion_id,customer_id,label", [(i, 5000 + i, f"promo {i}") for i in range(1, 31)]
    ),
    # one row per customer: customer_id is unique here too, but it references customers
    "loyalty.csv": _csv("customer_id,points", [(i, 10 * i) for i in range(1, 41)]),
    "employees.csv": _csv(
        "id,name,manager_id",
        [(1, "Boss", "")] + [(i, f"Employee {i}", 1 if i < 4 else i % 3 + 1) for i in range(2, 13)],
    ),
}


def test_csv_files_without_constraints_are_joined_by_names_and_values(database, settings):
    project_id = _csv_project(database, settings, SHOP)
    result = suggest_joins(database, project_id)
    assert _pairs(result) == {
        ("orders", "customer_id", "customers", "customer_id"),
        ("orders", "product_id", "products", "id"),
        ("employees", "manager_id", "employees", "id"),
        ("loyalty", "customer_id", "customers", "customer_id"),
    }
    assert result.message is None
    confidences = [s.confidence for s in result]
    assert confidences == sorted(confidences, reverse=True)
    (orders,) = _find(result, "orders", "customer_id")
    assert orders.confidence >= 0.9 and orders.relationship == "many_to_one"
    assert not orders.declared
    reasons = " ".join(orders.reasons)
    assert "100%" in reasons and "unique" in reasons
    (manager,) = _find(result, "employees", "manager_id")
    assert manager.relationship == "many_to_one" and manager.confidence >= 0.8
    # quantity (1..3) is contained in products.id but is no key: never proposed
    assert not _find(result, "orders", "quantity")
    # loyalty.customer_id is unique and holds every order's customer, but it is itself a
    # reference to customers: a sibling of orders.customer_id, not its parent
    (loyalty,) = _find(result, "loyalty", "customer_id")
    assert loyalty.relationship == "one_to_one"


def test_decoy_with_the_right_name_but_foreign_values_is_dropped(database, settings):
    project_id = _csv_project(database, settings, SHOP)
    assert not _find(suggest_joins(database, project_id), "promotions", "customer_id")
    everything = suggest_joins(database, project_id, min_confidence=0)
    (decoy,) = [s for s in _find(everything, "promotions", "customer_id")]
    (real,) = [
        s for s in _find(everything, "orders", "customer_id") if s.right_table == "customers"
    ]
    assert decoy.confidence < 0.1 < real.confidence
    assert any("0 of 30" in r for r in decoy.reasons)


def test_candidates_for_one_table_or_a_pair(database, settings):
    project_id = _csv_project(database, settings, SHOP)
    for_orders = suggest_joins(database, project_id, tables=["orders"])
    assert _pairs(for_orders) == {
        ("orders", "customer_id", "customers", "customer_id"),
        ("orders", "product_id", "products", "id"),
    }
    # the table on either side
    assert _pairs(suggest_joins(database, project_id, tables=["products"])) == {
        ("orders", "product_id", "products", "id")
    }
    pair = suggest_joins(database, project_id, tables=["products", "orders"])
    assert _pairs(pair) == {("orders", "product_id", "products", "id")}
    none = suggest_joins(database, project_id, tables=["customers", "products"])
    assert list(none) == [] and none.message == NO_CANDIDATES_MESSAGE
    with pytest.raises(ModelingError, match="Unknown table 'nope'") as exc:
        suggest_joins(database, project_id, tables=["orders", "nope"])
    assert exc.value.field == "tables" and exc.value.status == 400


def test_no_candidates_gives_an_empty_list_and_the_message(database, settings):
    project_id = _csv_project(
        database,
        settings,
        {
            "weather.csv": _csv("day,temperature", [(f"2026-01-{d:02d}", d) for d in range(1, 20)]),
            "cities.csv": _csv("name,population", [("Lyon", 500000), ("Nantes", 300000)]),
        },
    )
    result = suggest_joins(database, project_id)
    assert list(result) == []
    assert result.as_dict() == {"suggestions": [], "message": NO_CANDIDATES_MESSAGE}
    # a project without any table yet
    with database.system_session() as s:
        empty_project = create_project(s, create_user(s))
    assert suggest_joins(database, empty_project).message == NO_CANDIDATES_MESSAGE


def test_values_are_read_as_the_projects_role_only(database, settings):
    mine = _csv_project(database, settings, {"a.csv": _csv("id,b_id", [(1, 1), (2, 2)])})
    theirs = _csv_project(database, settings, {"b.csv": _csv("id,x", [(1, 1), (2, 2)])})
    with ContainmentProbe(database, mine) as probe:
        own = probe.containment(f"raw_p{mine}", "a", ["b_id"], f"raw_p{mine}", "a", ["id"])
        other = probe.containment(f"raw_p{mine}", "a", ["b_id"], f"raw_p{theirs}", "b", ["id"])
        stats = probe.column_stats(f"raw_p{theirs}", "b", ["id"])
    assert own is not None and own.found == own.sampled == 2
    assert other is None and stats is None  # permission denied to the project's role


@pytest.fixture
def shop_source_db(empty_database_url):
    """A PostgreSQL database with declared foreign keys whose names say nothing."""
    with psycopg.connect(
        make_url(empty_database_url)
        .set(drivername="postgresql")
        .render_as_string(hide_password=False),
        autocommit=True,
    ) as conn:
        conn.execute("""
            create table public.clients (id int primary key, name text);
            create table public.sales ("Buyer" int references public.clients (id),
                id int primary key, total numeric(10, 2));
            create table public.staff (staff_no int primary key, boss int
                constraint staff_boss_fk references public.staff (staff_no));
            create table public.notes (body text);
            insert into public.clients select g, 'client ' || g from generate_series(1, 20) g;
            insert into public.sales select g % 20 + 1, g, g * 2 from generate_series(1, 100) g;
            insert into public.staff values (1, null), (2, 1), (3, 1), (4, 2);
        """)
    return empty_database_url


def test_declared_foreign_keys_of_a_postgresql_source(shop_source_db, database, settings):
    with database.system_session() as s:
        owner = create_user(s)
        project_id = create_project(s, owner)
        source_id = create_database_source(
            s,
            database,
            project_id=project_id,
            user_id=owner.id,
            name="Shop DB",
            source_type="postgresql",
            details=details_for(shop_source_db),
            settings=settings,
            selected_tables=["public.clients", "public.sales", "public.staff", "public.notes"],
            incremental={},
        ).id
    assert ingest_source(database, settings, source_id).ok
    with database.system_session() as s:
        stored = s.get(DataSource, source_id).schema_cache["foreign_keys"]
    assert {(fk["table"], tuple(fk["columns"]), fk["ref_table"]) for fk in stored} == {
        ("public.sales", ("Buyer",), "public.clients"),
        ("public.staff", ("boss",), "public.staff"),
    }
    # the schema page reads them live too, and keeps them with the cached schema
    with database.system_session() as s:
        source = s.get(DataSource, source_id)
        source.schema_cache = {"tables": source.schema_cache["tables"]}
        source_schema(source, settings)
        assert len(source.schema_cache["foreign_keys"]) == 2
    result = suggest_joins(database, project_id, data_source_id=source_id)
    assert _pairs(result) == {
        ("shop_db_sales", "buyer", "shop_db_clients", "id"),
        ("shop_db_staff", "boss", "shop_db_staff", "staff_no"),
    }
    for suggestion in result:
        assert suggestion.confidence == 1.0 and suggestion.declared
        assert suggestion.relationship == "many_to_one"
    (sales,) = _find(result, "shop_db_sales", "buyer")
    assert any("sales_Buyer_fkey" in r for r in sales.reasons)

    # the ingested data no longer agrees with the declared key: less sure, and why
    with database.system_engine.begin() as conn:
        conn.exec_driver_sql(f"delete from raw_p{project_id}.shop_db_clients where id > 12")
    (sales,) = _find(suggest_joins(database, project_id), "shop_db_sales", "buyer")
    assert 0.55 < sales.confidence < 0.65
    assert any("12 of 20" in r for r in sales.reasons)


def test_unknown_data_source_is_refused(database, settings):
    project_id = _csv_project(database, settings, {"a.csv": _csv("id,b_id", [(1, 1)])})
    with pytest.raises(ModelingError) as exc:
        suggest_joins(database, project_id, data_source_id=999999)
    assert exc.value.status == 404 and exc.value.field == "data_source_id"


@pytest.fixture
def mariadb_keys():
    reason = _mariadb_available()
    if reason:
        pytest.skip(reason)
    tag = secrets.token_hex(3)
    parent, child = f"authors_{tag}", f"books_{tag}"
    conn = pymysql.connect(
        autocommit=True,
        **{"host": "127.0.0.1", "port": 3306, "user": "root", "password": "", "database": "test"},
    )
    with conn.cursor() as cur:
        cur.execute(f"create table `{parent}` (id int primary key, name varchar(40)) engine=InnoDB")
        cur.execute(
            f"create table `{child}` (id int primary key, written_by int, "
            f"constraint `fk_{tag}` foreign key (written_by) references `{parent}` (id)) "
            "engine=InnoDB"
        )
        cur.executemany(
            f"insert into `{parent}` values (%s, %s)", [(i, f"a{i}") for i in (1, 2, 3)]
        )
        cur.executemany(
            f"insert into `{child}` values (%s, %s)", [(i, i % 3 + 1) for i in range(9)]
        )
    yield parent, child, tag
    with conn.cursor() as cur:
        cur.execute(f"drop table if exists `{child}`")
        cur.execute(f"drop table if exists `{parent}`")
    conn.close()


def test_mariadb_foreign_keys_are_read_and_suggested(mariadb_keys, database, settings):
    parent, child, tag = mariadb_keys
    keys = connector_for("mariadb", MARIADB).foreign_keys()
    assert ForeignKey(f"fk_{tag}", child, ("written_by",), parent, ("id",)) in keys
    with database.system_session() as s:
        owner = create_user(s)
        project_id = create_project(s, owner)
        source_id = create_database_source(
            s,
            database,
            project_id=project_id,
            user_id=owner.id,
            name="Library",
            source_type="mariadb",
            details=MARIADB,
            settings=settings,
            selected_tables=[parent, child],
            incremental={},
        ).id
    assert ingest_source(database, settings, source_id).ok
    result = suggest_joins(database, project_id, data_source_id=source_id)
    assert _pairs(result) == {(f"library_{child}", "written_by", f"library_{parent}", "id")}
    assert result[0].confidence == 1.0 and result[0].declared


def test_composite_key_from_two_named_columns(database, settings):
    """TPC-H's lineitem -> partsupp shape: neither column is unique in the parent, the pair is."""
    stock = [(p, w, 10 * p + w) for p in range(1, 11) for w in (1, 2, 3)]
    project_id = _csv_project(
        database,
        settings,
        {
            "stock.csv": _csv("product_id,warehouse_id,quantity", stock),
            "shipments.csv": _csv(
                "shipment_id,product_id,warehouse_id",
                [(i, i % 10 + 1, i % 3 + 1) for i in range(1, 61)],
            ),
            # the same shape, but the pair is not unique in the parent: no composite key
            "visits.csv": _csv("product_id,warehouse_id", [(1, 1), (1, 1), (2, 2)]),
        },
    )
    result = suggest_joins(database, project_id, tables=["shipments", "stock"])
    (composite,) = list(result)
    assert (composite.left_table, composite.right_table) == ("shipments", "stock")
    assert composite.conditions == (
        ("product_id", "product_id"),
        ("warehouse_id", "warehouse_id"),
    )
    assert composite.confidence >= 0.85 and composite.relationship == "many_to_one"
    assert composite.as_dict()["conditions"] == [
        {"left_column": "product_id", "right_column": "product_id"},
        {"left_column": "warehouse_id", "right_column": "warehouse_id"},
    ]
    assert not list(suggest_joins(database, project_id, tables=["shipments", "visits"]))


def test_numeric_keys_join_integer_keys_only_when_whole(database, settings):
    project_id = _csv_project(
        database,
        settings,
        {
            "customers.csv": SHOP["customers.csv"],
            "refunds.csv": _csv("refund_id,customer_id", [(i, f"{i}.0") for i in range(1, 21)]),
            "ratings.csv": _csv("rating_id,customer_id", [(i, f"{i}.5") for i in range(1, 21)]),
        },
    )
    result = suggest_joins(database, project_id)
    assert _pairs(result) == {("refunds", "customer_id", "customers", "customer_id")}
    assert any("whole numbers" in r for r in result[0].reasons)


def test_past_the_time_budget_names_alone_decide_discounted(database, settings):
    project_id = _csv_project(database, settings, SHOP)
    result = suggest_joins(database, project_id, budget_seconds=0)
    (orders,) = _find(result, "orders", "customer_id")
    assert orders.confidence == pytest.approx(0.57) and orders.containment is None
    assert any("not measured" in r for r in orders.reasons)
    # without values the decoy cannot be told apart: same name, same confidence
    (decoy,) = _find(result, "promotions", "customer_id")
    assert decoy.confidence == orders.confidence
    assert result.stats["queries"] == 0 and result.stats["not_measured"] > 0
