"""Ingested-looking data for data-model and dashboard tests: two sources in raw_p<id>."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from dra.db import Database
from dra.ingestion.csv_files import Column
from dra.ingestion.loader import load_rows
from dra.ingestion.naming import raw_schema
from dra.models import DataSource, DataSourceTable

ORDERS = [
    Column("id", "id", "bigint"),
    Column("customer_id", "customer_id", "bigint"),
    Column("amount", "amount", "numeric"),
    Column("status", "status", "text"),
    Column("ordered_on", "ordered_on", "date"),
]
CUSTOMERS = [
    Column("id", "id", "bigint"),
    Column("name", "name", "text"),
    Column("country", "country", "text"),
]
COUNTRIES = ("FR", "DE", "US")


@dataclass(frozen=True)
class Shop:
    orders_source: int
    customers_source: int


def order_rows(n: int = 30):
    start = date(2026, 1, 1)
    return [
        (i, (i % 6) + 1, 10 * i, "paid" if i % 3 else "refunded", start + timedelta(days=i))
        for i in range(1, n + 1)
    ]


def customer_rows():
    return [(i, f"Customer {i}", COUNTRIES[i % 3]) for i in range(1, 7)]


def load_table(database: Database, schema: str, table: str, columns, rows) -> None:
    raw = database.system_engine.raw_connection()
    try:
        load_rows(raw.driver_connection, schema, table, columns, rows)
    finally:
        raw.close()


def seed_shop(database: Database, project_id: int, *, orders: int = 30) -> Shop:
    """Sources "Shop" (orders) and "CRM" (customers), ingested into raw_p<project_id>."""
    schema = raw_schema(project_id)
    load_table(database, schema, "orders", ORDERS, order_rows(orders))
    load_table(database, schema, "customers", CUSTOMERS, customer_rows())
    ids = []
    with database.system_session() as s:
        for name, table, cols, count in (
            ("Shop", "orders", ORDERS, orders),
            ("CRM", "customers", CUSTOMERS, 6),
        ):
            src = DataSource(project_id=project_id, name=name, type="csv", status="ready")
            s.add(src)
            s.flush()
            s.add(
                DataSourceTable(
                    data_source_id=src.id,
                    source_table=table,
                    raw_table=table,
                    row_count=count,
                    columns=[
                        {"name": c.name, "source_name": c.source_name, "type": c.pg_type}
                        for c in cols
                    ],
                )
            )
            ids.append(src.id)
    return Shop(*ids)


JOIN_QUERY = {
    "tables": ["orders", "customers"],
    "columns": [
        {"table": "customers", "column": "country"},
        {"table": "orders", "column": "amount", "aggregate": "sum", "alias": "revenue"},
        {"table": "orders", "column": "id", "aggregate": "count", "alias": "orders"},
    ],
    "joins": [
        {
            "left_table": "orders",
            "right_table": "customers",
            "type": "INNER",
            "conditions": [{"left_column": "customer_id", "right_column": "id"}],
        }
    ],
    "filters": [{"table": "orders", "column": "status", "operator": "=", "value": "paid"}],
    "order_by": [{"field": "country", "direction": "asc"}],
}
