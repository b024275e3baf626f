"""Hand-written SQL: names resolved by scope, the catalog unreachable, nesting bounded.

Each refused query here is an attack that reached another project's data (or the
server's catalog) through the check, or answered 500, before the check resolved names
by scope and bounded nesting.
"""

from __future__ import annotations

import time

import pytest

from dra.modeling.catalog import Catalog, TableInfo
from dra.modeling.dbt_export import to_dbt
from dra.modeling.errors import ModelingError
from dra.modeling.sqlcheck import MAX_NESTING, check_sql


@pytest.fixture
def catalog() -> Catalog:
    c = Catalog(1)
    c.tables["orders"] = TableInfo(
        "raw_p1", "orders", {"id": "bigint", "amount": "numeric", "status": "text"}
    )
    c.tables["customers"] = TableInfo("raw_p1", "customers", {"id": "bigint", "name": "text"})
    c.tables["model_5"] = TableInfo("models_p1", "model_5", {"id": "bigint"}, kind="model")
    return c


def refused(text: str, catalog: Catalog) -> ModelingError:
    with pytest.raises(ModelingError) as err:
        check_sql(text, catalog)
    assert err.value.status == 400 and err.value.field == "query"
    return err.value


@pytest.mark.parametrize(
    "text",
    [
        # the reported hole: inside its own body the CTE's name still means the catalog view
        "with pg_stats as (select * from pg_stats) select * from pg_stats",
        "with s as (select 1 as x), pg_stats as (select * from pg_stats) select * from s",
        # a later sibling is not visible in an earlier one (only WITH RECURSIVE allows it)
        "with a as (select * from pg_class), pg_class as (select 1 as x) select * from a",
        # a CTE of a subquery is not visible outside it
        "select * from (with pg_tables as (select 1 as x) select * from pg_tables) s, pg_tables",
        "select (with pg_roles as (select 1 as x) select x from pg_roles), r.* from pg_roles r",
        "(with pg_user as (select 1 as x) select x from pg_user) union all select 1 from pg_user",
        # nor is an outer name that a CTE of the same name shadows in its own body
        "with orders as (select * from pg_stats) select * from orders",
        # every other way of naming a relation
        "table pg_stats",
        "select * from orders, lateral (select attname from pg_stats) s",
        "select * from orders where exists (select 1 from pg_statistic)",
        "select * from information_schema.columns",
        "select * from pg_catalog.pg_stats",
        'select * from "pg_catalog"."pg_class"',
        "select * from only pg_class",
    ],
)
def test_catalog_relations_are_refused_wherever_they_are_named(catalog, text):
    refused(text, catalog)


def test_a_cte_is_visible_after_its_definition_and_shadows_a_table_of_the_same_name(catalog):
    checked = check_sql(
        "with orders as (select id, amount from orders where status = 'paid'), "
        "big as (select * from orders where amount > 10) "
        "select b.id from big b join customers c on c.id = b.id",
        catalog,
    )
    # inside its own body "orders" is the project's table, qualified; after it, the CTE
    assert 'FROM "raw_p1".orders WHERE' in checked.sql
    assert "SELECT * FROM orders WHERE amount > 10" in checked.sql
    assert checked.tables == ["orders", "customers"]


def test_recursive_ctes_and_nested_withs_resolve_by_scope(catalog):
    checked = check_sql(
        "with recursive t(n) as (select 1 union all select n + 1 from t where n < 3) "
        "select n, (with c as (select count(*) as k from customers) select k from c) from t",
        catalog,
    )
    assert "FROM t WHERE n < 3" in checked.sql and checked.tables == ["customers"]
    # WITH RECURSIVE lets a CTE read a later sibling, as PostgreSQL does
    check_sql(
        "with recursive a as (select * from b), b as (select 1 as x) select * from a", catalog
    )


def test_cte_names_may_not_take_the_catalogs_prefix(catalog):
    err = refused("with pg_summary as (select 1 as x) select * from pg_summary", catalog)
    assert "pg_" in err.message


@pytest.mark.parametrize(
    "text",
    [
        "select 'pg_stats'::regclass::oid",
        "select g::oid::regclass from generate_series(16384, 20000) g",  # every table's name
        "select tableoid::regclass from orders",
        "select cast('app.users' as regclass)",
        "select 'x'::pg_catalog.regclass",
        "select 'dra_app'::regrole, 'app'::regnamespace, 'now'::regproc, 'int4'::regtype",
        "select (null::raw_p2.orders).*",  # another project's row type: its column names
        "select null::pg_authid",
        "select id::oid from orders",
    ],
)
def test_casts_that_read_the_catalog_are_refused(catalog, text):
    err = refused(text, catalog)
    assert "type" in err.message


def test_ordinary_casts_are_allowed(catalog):
    check_sql(
        "select id::text, amount::numeric(10, 2), status::varchar(3), '{}'::jsonb, "
        "'1 day'::interval, '10.0.0.1'::inet, 'a b'::tsvector, now()::date from orders",
        catalog,
    )


@pytest.mark.parametrize(
    "text",
    [
        "select version()",
        "select current_database()",
        "select session_user",
        "select inet_server_addr()",
        "select * from pg_ls_dir('.')",
        "select * from json_to_recordset('[]') as x(a int)",
        "select * from rows from (pg_stat_file('x'))",
    ],
)
def test_server_information_and_catalog_functions_are_refused(catalog, text):
    refused(text, catalog)


@pytest.mark.parametrize(
    "text",
    [
        "select app.to_char(now(), 'YYYY')",
        "select * from app.generate_series(1, 3)",
        "select raw_p2.md5('x')",
        "select 1 operator(raw_p2.+) 1",
        "select o.to_char(now(), 'YYYY') from orders o",
    ],
)
def test_functions_and_operators_of_other_schemas_are_refused(catalog, text):
    err = refused(text, catalog)
    assert "schema" in err.message


def test_harmless_table_functions_and_current_user_are_allowed(catalog):
    check_sql(
        "select g, u, current_user from generate_series(1, 3) g, unnest(array[1, 2]) u, "
        "rows from (generate_series(1, 2)) r, pg_catalog.generate_series(1, 2) q "
        "where pg_catalog.md5('a') <> '' and 1 operator(pg_catalog.+) 1 = 2",
        catalog,
    )


def test_nesting_is_bounded_before_parsing_and_names_the_field(catalog):
    deep = "select " + "(" * (MAX_NESTING + 1) + "1" + ")" * (MAX_NESTING + 1)
    err = refused(deep, catalog)
    assert "nested" in err.message
    refused("select * from " + "(select * from " * 300 + "orders" + ") x" * 300, catalog)
    refused("select array" + "[" * 100 + "1" + "]" * 100, catalog)
    # just under the bound is fine
    ok = MAX_NESTING - 1
    check_sql("select " + "(" * ok + "1" + ")" * ok, catalog)


def test_parentheses_in_strings_identifiers_and_comments_do_not_count(catalog):
    many = "(" * 300
    check_sql(
        f"select '{many}' as a, e'\\'{many}' as b, $${many}$$ as c, $t${many}$t$ as d, "
        f'1 as "{many}" -- {many}\n /* {many} /* nested */ {many} */ from orders',
        catalog,
    )


@pytest.mark.parametrize(
    "text",
    [
        "select " + "not " * 3000 + "true",
        "select 1" + "::int" * 3000,
        "select x" + "->'a'" * 3000 + " from orders",
    ],
)
def test_deep_expressions_without_parentheses_answer_400_not_500(catalog, text):
    err = refused(text, catalog)
    assert "nested" in err.message


def test_bracket_chains_are_bounded_before_they_cost_seconds(catalog):
    started = time.perf_counter()
    err = refused("select x" + "[1]" * 3000 + " from orders", catalog)  # 12 s in sqlglot
    assert "brackets" in err.message and time.perf_counter() - started < 1
    check_sql("select array[1, 2][1], x[1][2] from orders", catalog)


def test_dbt_export_keeps_cte_references_and_answers_400_for_deep_chains(catalog):
    sql = (
        "with orders as (select id from orders where amount > 1) "
        "select count(*) from orders join customers c on c.id = orders.id"
    )
    body = to_dbt(catalog, "Paid", sql, {"mode": "sql", "sql": sql})
    # inside the CTE the project's table, after it the CTE (it was source() both times)
    assert body.count("{{ source('raw_p1', 'orders') }}") == 1
    assert "{{ source('raw_p1', 'customers') }}" in body
    assert "FROM orders" in body
    deep = "select 1" + "::int" * 700 + " from orders"
    check_sql(deep, catalog)  # fine to run, but its pretty dbt rendering recursed (500)
    with pytest.raises(ModelingError) as err:
        to_dbt(catalog, "Deep", deep, {"mode": "sql", "sql": deep})
    assert err.value.status == 400 and err.value.field == "query"
