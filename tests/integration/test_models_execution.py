"""Data models against real PostgreSQL: results, read-only execution, limits, attacks."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select, text, update

from dra.modeling import service
from dra.modeling.errors import ModelingError
from dra.modeling.executor import run_readonly
from dra.models import (
    DataModel,
    DataModelSource,
    DataSource,
    PipelineRequest,
    SubscriptionTier,
)
from dra.project_roles import project_role_name
from tests.support.factories import project_with_roles
from tests.support.modeling import JOIN_QUERY, customer_rows, order_rows, seed_shop


@pytest.fixture
def shop(database):
    with database.system_session() as s:
        roles = project_with_roles(s)
    seed_shop(database, roles.project_id)
    seed_shop(database, roles.outsider_project_id, orders=3)
    return roles


def expected_revenue():
    country = {cid: c for cid, _, c in customer_rows()}
    out: dict[str, list] = {}
    for _, cid, amount, status, _ in order_rows():
        if status == "paid":
            row = out.setdefault(country[cid], [0, 0])
            row[0] += amount
            row[1] += 1
    return [[c, v[0], v[1]] for c, v in sorted(out.items())]


def raw_counts(database, project_id):
    with database.system_session() as s:
        return [
            s.scalar(text(f"select count(*) from raw_p{project_id}.{t}"))
            for t in ("orders", "customers")
        ]


def test_builder_join_with_aggregate_returns_the_right_rows(database, shop):
    result = service.preview_definition(database, shop.project_id, query_json=JOIN_QUERY)
    assert [c["name"] for c in result.columns] == ["country", "revenue", "orders"]
    assert [[r[0], int(r[1]), r[2]] for r in result.rows] == expected_revenue()
    assert result.row_limit_applied is False


def test_calculated_fields_and_repeated_literals_run(database, shop):
    spec = {
        "tables": ["orders"],
        "columns": [{"table": "orders", "column": "status"}],
        "calculated": [
            {"alias": "tag", "expression": "upper(concat(orders.status, '-x'))"},
            {"alias": "avg", "expression": "round(sum(orders.amount) / count(orders.id), 1)"},
        ],
        "order_by": [{"field": "status"}],
    }
    spec["columns"].append({"table": "orders", "column": "id", "aggregate": "count"})
    result = service.preview_definition(database, shop.project_id, query_json=spec)
    assert [r[0] for r in result.rows] == ["paid", "refunded"]
    assert result.rows[0][2] == "PAID-X"


def test_hand_sql_runs_with_tier_row_limit_message(database, shop):
    with database.system_session() as s:
        s.execute(
            update(SubscriptionTier)
            .where(SubscriptionTier.name == "Enterprise")
            .values(max_rows_per_model=7)
        )
    result = service.preview_definition(
        database, shop.project_id, sql="select id, amount from orders order by id"
    )
    assert len(result.rows) == 7 and result.row_limit_applied
    assert result.as_dict()["message"] == "Showing first 7 rows (tier limit applied)."
    small = service.preview_definition(database, shop.project_id, sql="select 1 as one", limit=100)
    assert small.row_limit_applied is False and small.as_dict()["message"] is None


def test_pg_sleep_is_stopped_by_the_statement_timeout(database, shop):
    started = time.monotonic()
    with pytest.raises(ModelingError) as err:
        service.preview_definition(
            database, shop.project_id, sql="select pg_sleep(60)", timeout_ms=300
        )
    assert err.value.status == 408 and "stopped" in err.value.message
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    "attack",
    [
        "drop table orders",
        "delete from orders",
        "update orders set amount = 0",
        "insert into orders (id) values (999)",
        "create table stolen as select * from orders",
        "select * into stolen from orders",
        "copy orders to program 'touch /tmp/dra-pwned'",
        "select 1; drop table orders",
        "select * from orders; delete from customers",
        "select set_config('role', 'postgres', true)",
        "select * from raw_p{other}.orders",
        "select * from app.users",
        "with d as (delete from orders returning *) select * from d",
        "select * from orders for update",
    ],
)
def test_hand_sql_attacks_are_refused_and_change_nothing(database, shop, attack):
    before = raw_counts(database, shop.project_id)
    with pytest.raises(ModelingError) as err:
        service.preview_definition(
            database, shop.project_id, sql=attack.format(other=shop.outsider_project_id)
        )
    assert err.value.status in (400, 422)
    assert raw_counts(database, shop.project_id) == before
    with database.system_session() as s:
        assert s.scalar(text(f"select to_regclass('raw_p{shop.project_id}.stolen')")) is None


def test_second_line_of_defence_the_role_and_read_only_transaction(database, shop):
    """Even SQL that skipped the checks runs as the project's role, read-only."""
    project = shop.project_id
    with pytest.raises(ModelingError, match="may not read"):
        run_readonly(database, "select email from app.users", project_id=project)
    with pytest.raises(ModelingError):
        run_readonly(database, f"select nextval('raw_p{project}.nope')", project_id=project)
    who = run_readonly(
        database,
        "select current_user, current_setting('transaction_read_only')",
        project_id=project,
    )
    role = project_role_name(database.system_engine.url.database, project)
    assert who.rows == [[role, "on"]]


def test_builder_injection_values_are_data_not_sql(database, shop):
    spec = dict(
        JOIN_QUERY,
        filters=[
            {
                "table": "orders",
                "column": "status",
                "operator": "=",
                "value": "paid'; drop table orders; --",
            }
        ],
    )
    result = service.preview_definition(database, shop.project_id, query_json=spec)
    assert result.rows == []
    assert raw_counts(database, shop.project_id) == [30, 6]


def test_save_validates_by_executing_and_stores_both_forms(database, shop):
    with database.system_session() as s:
        with pytest.raises(ModelingError, match="query failed"):
            service.save_model(
                s,
                database,
                shop.project_id,
                shop.owner.id,
                name="Bad",
                sql="select no_such_column from orders",
            )
        with pytest.raises(ModelingError) as err:
            service.save_model(
                s, database, shop.project_id, shop.owner.id, name="  ", query_json=JOIN_QUERY
            )
        assert err.value.status == 422 and err.value.field == "name"
    with database.system_session() as s:
        assert s.scalar(select(DataModel.id)) is None
        saved = service.save_model(
            s,
            database,
            shop.project_id,
            shop.owner.id,
            name="Revenue by country",
            query_json=JOIN_QUERY,
        )
        model = saved.model
        assert model.query_json == JOIN_QUERY and "'paid'" in model.query
        assert model.data_source_id is None  # two sources: a cross-source model
        links = s.scalars(
            select(DataModelSource.data_source_id).where(DataModelSource.data_model_id == model.id)
        ).all()
        sources = s.scalars(
            select(DataSource.id).where(DataSource.project_id == shop.project_id)
        ).all()
        assert len(sources) == 2 and sorted(links) == sorted(sources)
        request = s.get(PipelineRequest, saved.refresh_request_id)
        assert (request.kind, request.target_id, request.status) == (
            "refresh_model",
            model.id,
            "queued",
        )
        hand = service.save_model(
            s, database, shop.project_id, shop.owner.id, name="Orders", sql="select * from orders"
        ).model
        assert hand.query_json == {"mode": "sql", "sql": "select * from orders"}
        assert hand.data_source_id is not None


def test_copy_checks_the_tier_limit_and_delete_names_dashboards(database, shop):
    from dra.billing.limits import LimitExceeded
    from dra.models import Dashboard, DashboardWidget

    with database.system_session() as s:
        model = service.save_model(
            s, database, shop.project_id, shop.owner.id, name="Orders", sql="select * from orders"
        ).model
        copy = service.copy_model(s, database, shop.project_id, model.id, shop.owner.id)
        assert copy.name == "Orders (Copy)" and copy.query == model.query
        board = Dashboard(project_id=shop.project_id, name="Sales")
        s.add(board)
        s.flush()
        s.add(DashboardWidget(dashboard_id=board.id, data_model_id=model.id, chart_type="table"))
        s.flush()
        assert [d.name for d in service.dashboards_using(s, model.id)] == ["Sales"]
        s.execute(
            update(SubscriptionTier)
            .where(SubscriptionTier.name == "Enterprise")
            .values(max_models_per_source=2)
        )
    with database.system_session() as s, pytest.raises(LimitExceeded):
        service.copy_model(s, database, shop.project_id, model.id, shop.owner.id)
    with database.system_session() as s:
        service.delete_model(s, database, shop.project_id, model.id)
    with database.system_session() as s:
        widget = s.scalar(select(DashboardWidget))
        assert widget.data_model_id is None
        with pytest.raises(ModelingError, match="could not be copied"):
            service.copy_model(s, database, shop.project_id, model.id, shop.owner.id)
