"""query_json compiler and hand-SQL checks, against a catalog built in memory."""

from __future__ import annotations

import pytest

from dra.modeling.builder import compile_query_json
from dra.modeling.catalog import Catalog, TableInfo
from dra.modeling.errors import CIRCULAR_JOIN, ModelingError
from dra.modeling.sqlcheck import check_sql

EVIL = 'x"; drop table raw_p1.orders; --'


@pytest.fixture
def catalog() -> Catalog:
    c = Catalog(1)
    c.tables["orders"] = TableInfo(
        "raw_p1",
        "orders",
        {
            "id": "bigint",
            "customer_id": "bigint",
            "amount": "numeric",
            "status": "text",
            "ordered_at": "timestamp with time zone",
        },
        data_source_id=10,
    )
    c.tables["customers"] = TableInfo(
        "raw_p1",
        "customers",
        {"id": "bigint", "name": "text", "country": "text"},
        data_source_id=11,
    )
    c.tables["visits"] = TableInfo("raw_p1", "visits", {"customer_id": "text", "url": "text"})
    return c


def join_spec(**extra):
    spec = {
        "tables": ["orders", "customers"],
        "columns": [
            {"table": "customers", "column": "country"},
            {"table": "orders", "column": "amount", "aggregate": "sum", "alias": "revenue"},
        ],
        "joins": [
            {
                "left_table": "orders",
                "right_table": "customers",
                "type": "LEFT",
                "conditions": [{"left_column": "customer_id", "right_column": "id"}],
            }
        ],
        "filters": [{"table": "orders", "column": "status", "operator": "=", "value": "paid"}],
        "order_by": [{"field": "revenue", "direction": "desc"}],
        "limit": 10,
    }
    spec.update(extra)
    return spec


def test_join_aggregate_filter_order_limit_compile_with_quoted_names_and_bound_values(catalog):
    compiled = compile_query_json(join_spec(), catalog)
    text, params = compiled.sql_and_params()
    assert 'FROM "raw_p1"."orders" LEFT OUTER JOIN "raw_p1"."customers"' in text
    assert 'sum("raw_p1"."orders"."amount") AS "revenue"' in text
    assert 'GROUP BY "raw_p1"."customers"."country"' in text
    assert '"raw_p1"."orders"."status" = %(f0)s ' in text
    assert "paid" not in text and params["f0"] == "paid"
    assert 'ORDER BY "revenue" DESC' in text and "LIMIT" in text
    assert compiled.tables == ["orders", "customers"]
    assert "'paid'" in compiled.display_sql()


@pytest.mark.parametrize(
    "kind,sql_kw", [("INNER", "JOIN"), ("LEFT", "LEFT OUTER JOIN"), ("FULL", "FULL OUTER JOIN")]
)
def test_join_types(catalog, kind, sql_kw):
    spec = join_spec()
    spec["joins"][0]["type"] = kind
    assert sql_kw in compile_query_json(spec, catalog).sql_and_params()[0]


def test_right_join_keeps_every_right_row(catalog):
    spec = join_spec()
    spec["joins"][0]["type"] = "RIGHT"
    text = compile_query_json(spec, catalog).sql_and_params()[0]
    assert 'FROM "raw_p1"."customers" LEFT OUTER JOIN "raw_p1"."orders"' in text


def test_circular_join_is_refused(catalog):
    spec = join_spec()
    spec["joins"].append(
        {
            "left_table": "customers",
            "right_table": "orders",
            "type": "INNER",
            "conditions": [{"left_column": "id", "right_column": "customer_id"}],
        }
    )
    with pytest.raises(ModelingError) as err:
        compile_query_json(spec, catalog)
    assert err.value.message == CIRCULAR_JOIN and err.value.status == 400


def test_self_join_is_circular(catalog):
    spec = join_spec(
        joins=[
            {
                "left_table": "orders",
                "right_table": "orders",
                "conditions": [{"left_column": "id", "right_column": "id"}],
            }
        ]
    )
    with pytest.raises(ModelingError, match="Circular join"):
        compile_query_json(spec, catalog)


def test_incompatible_join_types_are_refused(catalog):
    spec = join_spec(
        tables=["orders", "visits"],
        columns=[{"table": "orders", "column": "id"}],
        joins=[
            {
                "left_table": "orders",
                "right_table": "visits",
                "conditions": [{"left_column": "customer_id", "right_column": "customer_id"}],
            }
        ],
    )
    with pytest.raises(ModelingError, match="not compatible"):
        compile_query_json(spec, catalog)


def test_unjoined_table_is_refused(catalog):
    with pytest.raises(ModelingError, match="not joined"):
        compile_query_json(join_spec(joins=[]), catalog)


@pytest.mark.parametrize(
    "path",
    [
        ("tables", 0),
        ("columns", 0, "table"),
        ("columns", 0, "column"),
        ("columns", 1, "alias"),
        ("columns", 1, "aggregate"),
        ("joins", 0, "type"),
        ("joins", 0, "left_table"),
        ("joins", 0, "conditions", 0, "left_column"),
        ("filters", 0, "column"),
        ("filters", 0, "operator"),
        ("order_by", 0, "field"),
        ("order_by", 0, "direction"),
    ],
)
def test_injection_through_every_builder_field_is_refused_or_quoted(catalog, path):
    spec = join_spec()
    target = spec
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = EVIL
    try:
        text, params = compile_query_json(spec, catalog).sql_and_params()
    except ModelingError as exc:
        assert exc.status == 400 and exc.field
        return
    # only an alias may carry arbitrary text, and then only as a quoted identifier
    assert path == ("columns", 1, "alias")
    assert '"x""; drop table raw_p1.orders; --"' in text


def test_filter_values_are_always_bound(catalog):
    filters = [
        {"table": "orders", "column": "status", "operator": "=", "value": EVIL},
        {"table": "orders", "column": "status", "operator": "in", "value": [EVIL, "a"]},
        {"table": "orders", "column": "status", "operator": "contains", "value": "50%_"},
        {"table": "orders", "column": "amount", "operator": "between", "value": [1, 2]},
    ]
    text, params = compile_query_json(join_spec(filters=filters), catalog).sql_and_params()
    assert "drop table" not in text
    assert EVIL in params.values()
    assert "%50\\%\\_%" in params.values()


@pytest.mark.parametrize("value", [{"a": 1}, ["nested", ["x"]], "y" * 2000])
def test_bad_filter_values_name_the_field(catalog, value):
    spec = join_spec(
        filters=[{"table": "orders", "column": "status", "operator": "=", "value": value}]
    )
    with pytest.raises(ModelingError) as err:
        compile_query_json(spec, catalog)
    assert err.value.field == "filters[0]"


def test_calculated_fields_compile_and_bind_literals(catalog):
    spec = join_spec(
        calculated=[
            {"alias": "avg_ticket", "expression": "sum(orders.amount) / count(orders.id)"},
            {"alias": "label", "expression": "upper(coalesce(customers.name, 'n/a'))"},
        ]
    )
    spec["columns"].append({"table": "customers", "column": "name"})
    text, params = compile_query_json(spec, catalog).sql_and_params()
    assert '/ CAST(nullif(count("raw_p1"."orders"."id")' in text
    assert "n/a" not in text and "n/a" in params.values()


@pytest.mark.parametrize(
    "expression",
    [
        "orders.amount; drop table x",
        "pg_sleep(10)",
        "set_config('role', 'postgres', true)",
        "orders.amount + (select 1)",
        "orders.nope",
        "nope.amount",
        "amount'",
        "id",
        '"orders".amount',
        "orders.amount --",
        "1 +",
        "",
    ],
)
def test_calculated_field_injection_is_refused(catalog, expression):
    spec = join_spec(calculated=[{"alias": "c", "expression": expression}])
    with pytest.raises(ModelingError) as err:
        compile_query_json(spec, catalog)
    assert err.value.field == "calculated[0]"


@pytest.mark.parametrize(
    "expression", ["-" * 499 + "1", "(" * 200 + "1" + ")" * 200, "abs(" * 40 + "1" + ")" * 40]
)
def test_deeply_nested_calculated_fields_answer_400_naming_the_field(catalog, expression):
    spec = join_spec(calculated=[{"alias": "c", "expression": expression}])
    with pytest.raises(ModelingError) as err:  # was a RecursionError (500) for "-" * 499
        compile_query_json(spec, catalog).sql_and_params()
    assert err.value.field == "calculated[0]" and "nested" in err.value.message
    ok = "(" * 20 + "-orders.amount" + ")" * 20
    compile_query_json(join_spec(calculated=[{"alias": "c", "expression": ok}]), catalog)


def test_limit_must_be_a_positive_whole_number(catalog):
    for bad in (0, -1, "10; drop", 1.5, True):
        with pytest.raises(ModelingError, match="Limit"):
            compile_query_json(join_spec(limit=bad), catalog)


# --- hand-written SQL ------------------------------------------------------------------


def test_one_select_over_project_tables_is_accepted_and_qualified(catalog):
    checked = check_sql(
        "select o.status, count(*) from orders o join raw_p1.customers c "
        "on c.id = o.customer_id where o.status ilike '%a%' group by 1",
        catalog,
    )
    assert '"raw_p1".orders' in checked.sql or '"raw_p1"."orders"' in checked.sql
    assert checked.tables == ["orders", "customers"]


def test_ctes_and_unions_are_allowed(catalog):
    checked = check_sql(
        "with paid as (select * from orders where status = 'paid') "
        "select id from paid union all select id from customers",
        catalog,
    )
    assert sorted(checked.tables) == ["customers", "orders"]


@pytest.mark.parametrize(
    "text,needle",
    [
        ("drop table orders", "SELECT"),
        ("create table x as select * from orders", "SELECT"),
        ("insert into orders (id) values (1)", "SELECT"),
        ("update orders set amount = 0", "SELECT"),
        ("delete from orders", "SELECT"),
        ("with d as (delete from orders returning *) select * from d", "read-only"),
        ("select * into stolen from orders", "read-only"),
        ("copy orders to program 'touch /tmp/pwned'", "SELECT"),
        ("select 1; drop table orders", "exactly one"),
        ("select 1; select 2", "exactly one"),
        ("select * from raw_p2.orders", "only read this project"),
        ("select * from app.users", "only read this project"),
        ("select * from pg_catalog.pg_authid", "only read this project"),
        ("select * from pg_user", "Unknown table"),
        ("select set_config('role', 'postgres', true)", "set_config"),
        ("select pg_catalog.set_config('role', 'postgres', false)", "set_config"),
        ("select current_setting('is_superuser')", "current_setting"),
        ("select query_to_xml('select * from app.users', true, true, '')", "query_to_xml"),
        ("select pg_read_file('/etc/passwd')", "pg_read_file"),
        ("select * from orders for update", "read-only"),
        ("select lo_import('/etc/passwd')", "lo_import"),
        ("", "empty"),
        ("selec 1 frm", "parsed"),
    ],
)
def test_dangerous_sql_is_refused(catalog, text, needle):
    with pytest.raises(ModelingError) as err:
        check_sql(text, catalog)
    assert needle in err.value.message
    assert err.value.status in (400, 422)
