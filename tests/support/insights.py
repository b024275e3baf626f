"""Synthetic data models for the insights tests: a model table written directly in
models_p<project> (as a build leaves it: analyzed), with planted patterns.

``planted_model`` (90 days, 2026-01-01 .. 2026-03-31, 8 rows a day: 4 countries x 2
channels) plants:
- a spike: on 2026-02-10 the FR/web row's amount is 5,000 higher;
- a linear trend: visits of each row = 10 + the day's index, so the daily total rises by
  exactly 8 a day;
- a driver: on the last day (2026-03-31) both DE rows' amounts are 300 higher, so the
  day's total amount rises by about 600, nearly all of it from country = DE.
"""

from __future__ import annotations

from datetime import UTC, datetime

from psycopg import sql

from dra.db import Database
from dra.ingestion.loader import analyze_table, ensure_schema
from dra.ingestion.naming import model_table, models_schema
from dra.models import DataModel

PLANTED = """
create table {table} (
  id bigint, ordered_on date, country text, channel text, amount numeric(10, 2),
  visits integer, customer_id bigint
);
insert into {table}
select row_number() over (), d::date, c.country, ch.channel,
       100 + ((extract(doy from d)::int * 7 + c.k * 3 + ch.k) % 5)
         + case when d = date '2026-02-10' and c.country = 'FR' and ch.channel = 'web'
                then 5000 else 0 end
         + case when d = date '2026-03-31' and c.country = 'DE' then 300 else 0 end,
       10 + (d::date - date '2026-01-01'),
       c.k * 10 + ch.k
from generate_series(date '2026-01-01', date '2026-03-31', interval '1 day') as d,
     (values ('DE', 1), ('FR', 2), ('US', 3), ('IT', 4)) as c(country, k),
     (values ('web', 1), ('store', 2)) as ch(channel, k)
"""
PLANTED_ROWS = 90 * 8


def model_with_table(
    database: Database,
    project_id: int,
    ddl: str,
    *,
    name: str = "Planted sales",
    built_at: datetime | None = None,
) -> int:
    """A built data model whose table is made by ``ddl`` (``{table}`` is its name)."""
    with database.system_session() as s:
        model = DataModel(
            project_id=project_id,
            name=name,
            query="select 1",
            query_json={"mode": "sql", "sql": "select 1"},
            status="active",
            version=1,
        )
        s.add(model)
        s.flush()
        model_id = model.id
    schema = models_schema(project_id)
    table = model_table(model_id)
    with database.system_connection() as conn:
        with conn.cursor() as cur:
            ensure_schema(cur, schema)
            for statement in ddl.split(";"):
                if statement.strip():
                    cur.execute(
                        sql.SQL(statement.replace("{table}", "{}")).format(
                            sql.Identifier(schema, table)
                        )
                    )
            cur.execute(sql.SQL("select count(*) from {}").format(sql.Identifier(schema, table)))
            rows = cur.fetchone()[0]
            analyze_table(cur, schema, table)
        conn.commit()
    with database.system_session() as s:
        model = s.get(DataModel, model_id)
        model.materialized_table = table
        model.row_count = rows
        model.last_materialized_at = built_at or datetime(2026, 4, 1, 6, 0, tzinfo=UTC)
    return model_id


def planted_model(database: Database, project_id: int, **kw) -> int:
    return model_with_table(database, project_id, PLANTED, **kw)


def rebuild(database: Database, model_id: int) -> int:
    """What a build does to the model's row: a new version (returned)."""
    with database.system_session() as s:
        model = s.get(DataModel, model_id)
        model.version += 1
        model.last_materialized_at = datetime.now(UTC)
        return model.version
