"""Simple SELECTs become the query builder's query_json; anything else stays SQL."""

from __future__ import annotations

import pytest

from dra.ai.querymap import sql_to_query_json
from dra.modeling.catalog import Catalog, TableInfo


@pytest.fixture
def catalog():
    c = Catalog(7)
    c.tables["orders"] = TableInfo(
        "raw_p7",
        "orders",
        {"id": "bigint", "customer_id": "bigint", "amount": "numeric", "status": "text"},
    )
    c.tables["customers"] = TableInfo(
        "raw_p7", "customers", {"id": "bigint", "name": "text", "country": "text"}
    )
    return c


def test_join_aggregate_filter_group_order_limit(catalog):
    spec = sql_to_query_json(
        "SELECT c.country, SUM(o.amount) AS revenue, count(distinct o.id) "
        "FROM orders o LEFT JOIN customers AS c ON c.id = o.customer_id "
        "WHERE o.status = 'paid' AND o.amount >= 10 AND o.id IN (1, 2, 3) "
        "AND c.name IS NOT NULL AND 5 < o.amount "
        "GROUP BY c.country ORDER BY revenue DESC, 1 LIMIT 50",
        catalog,
    )
    assert spec == {
        "tables": ["orders", "customers"],
        "columns": [
            {"table": "customers", "column": "country", "alias": "country"},
            {"table": "orders", "column": "amount", "aggregate": "sum", "alias": "revenue"},
            {"table": "orders", "column": "id", "aggregate": "count_distinct", "alias": "count"},
        ],
        "joins": [
            {
                "left_table": "orders",
                "right_table": "customers",
                "type": "LEFT",
                "conditions": [{"left_column": "customer_id", "right_column": "id"}],
            }
        ],
        "filters": [
            {"table": "orders", "column": "status", "operator": "=", "value": "paid"},
            {"table": "orders", "column": "amount", "operator": ">=", "value": 10},
            {"table": "orders", "column": "id", "operator": "in", "value": [1, 2, 3]},
            {"table": "customers", "column": "name", "operator": "is_not_null"},
            {"table": "orders", "column": "amount", "operator": ">", "value": 5},
        ],
        "group_by": [{"table": "customers", "column": "country"}],
        "order_by": [
            {"field": "revenue", "direction": "desc"},
            {"field": "country", "direction": "asc"},
        ],
        "limit": 50,
    }


def test_unqualified_columns_of_one_table(catalog):
    sql = 'select "status", amount from orders where id between 1 and 9'
    spec = sql_to_query_json(sql, catalog)
    assert spec["columns"][0] == {"table": "orders", "column": "status", "alias": "status"}
    assert spec["filters"] == [
        {"table": "orders", "column": "id", "operator": "between", "value": [1, 9]}
    ]


@pytest.mark.parametrize(
    "sql",
    [
        "select count(*) from orders",
        "select amount * 2 from orders",
        "select status from orders where status = 'a' or status = 'b'",
        "with x as (select * from orders) select id from x",
        "select * from orders",
        "select distinct status from orders",
        "select status, sum(amount) from orders group by status having sum(amount) > 1",
        "select id from orders o join customers c on o.customer_id > c.id",
        "select id from nowhere",
        "select o.id from orders o, customers c",
        "select id from orders order by amount nulls first",
        "select status from orders where status like 'p%'",
        "not sql at all (",
    ],
)
def test_what_the_builder_cannot_say_stays_sql(catalog, sql):
    assert sql_to_query_json(sql, catalog) is None
