"""KPI widgets through the real routes: like-with-like periods anchored on the latest data."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from dra.dashboards.cache import widget_cache
from dra.ingestion.csv_files import Column
from dra.ingestion.naming import models_schema
from dra.models import Dashboard, DashboardWidget, DataModel
from tests.support.factories import project_with_roles
from tests.support.modeling import load_table


def _rows():
    """Sep 1 - Nov 14 2026: one order a day of 100 + the day of the month, and a refunded
    order of 1,000 each day."""
    day = date(2026, 9, 1)
    while day <= date(2026, 11, 14):
        yield day, 100 + day.day, "paid"
        yield day, 1000, "refunded"
        day += timedelta(days=1)


@pytest.fixture
def orders(database):
    with database.system_session() as s:
        roles = project_with_roles(s)
        model = DataModel(
            project_id=roles.project_id,
            name="Orders",
            materialized_table="model_orders",
            status="active",
        )
        board = Dashboard(project_id=roles.project_id, name="Sales", layout={}, filters={})
        s.add_all([model, board])
        s.flush()
        ids = (model.id, board.id)
    # loaded the way tables are, so the read-only role that runs widgets may read it
    columns = [Column(n, n, t) for n, t in (("order_date", "date"), ("amount", "numeric"))]
    columns.append(Column("status", "status", "text"))
    load_table(database, models_schema(roles.project_id), "model_orders", columns, list(_rows()))
    widget_cache.clear()
    return roles, *ids


def kpi(client, database, roles, model_id, board_id, filters=None, **binding):
    with database.system_session() as s:
        version = s.get(Dashboard, board_id).version
    base = f"/projects/{roles.project_id}/dashboards/{board_id}"
    form = {
        "version": version,
        "title": "Revenue",
        "data_model_id": model_id,
        "chart_type": "kpi",
        "x": "order_date",
        "y": "amount",
        "aggregate": "sum",
        "filter_column": "status",
        "filter_operator": "!=",
        "filter_value": "refunded",
        **binding,
    }
    created = client.post(f"{base}/widgets/new", data=form)
    assert created.status_code == 302, created.data
    with database.system_session() as s:
        widget_id = max(w.id for w in s.query(DashboardWidget).all())
    url = f"{base}/widgets/{widget_id}/data"
    query = {"filters": json.dumps(filters)} if filters else {}
    return client.get(url, query_string=query).json, url


def test_month_to_date_against_the_same_days_of_the_previous_month(orders, login, database):
    roles, model_id, board_id = orders
    data, url = kpi(login(roles.editor), database, roles, model_id, board_id, period="month")
    trace = data["figure"]["data"][0]
    # the data ends on Nov 14 (no December): Nov 1-14 against Oct 1-14, refunds left out
    assert trace["title"]["text"] == "sum(amount) · Nov 1-14 vs Oct 1-14 2026"
    expected = sum(100 + d for d in range(1, 15))
    assert trace["value"] == expected and trace["delta"]["reference"] == expected
    # the CSV export names both spans beside their values
    csv = login(roles.viewer).get(url + ".csv").data.decode()
    assert csv.splitlines() == [
        "current_from,current_to,previous_from,previous_to,y,previous",
        f"2026-11-01,2026-11-14,2026-10-01,2026-10-14,{expected},{expected}",
    ]


def test_complete_months_only(orders, login, database):
    roles, model_id, board_id = orders
    data, _ = kpi(
        login(roles.editor), database, roles, model_id, board_id, period="month", compare="complete"
    )
    trace = data["figure"]["data"][0]
    assert trace["title"]["text"] == "sum(amount) · Oct vs Sep 2026 (complete months)"
    assert trace["value"] == sum(100 + d for d in range(1, 32))
    assert trace["delta"]["reference"] == sum(100 + d for d in range(1, 31))


def test_no_data_is_said_not_shown_as_zero(orders, login, database):
    roles, model_id, board_id = orders
    nothing = {"values": {"column": "status", "values": ["lost"]}}
    data, _ = kpi(login(roles.editor), database, roles, model_id, board_id, filters=nothing)
    assert data["error"] is None and data["figure"]["data"] == []
    assert data["figure"]["layout"]["annotations"][0]["text"] == "sum(amount): no data"


def test_a_bad_comparison_is_refused_naming_the_field(orders, login, database):
    roles, model_id, board_id = orders
    with database.system_session() as s:
        version = s.get(Dashboard, board_id).version
    refused = login(roles.editor).post(
        f"/projects/{roles.project_id}/dashboards/{board_id}/widgets/new",
        data={
            "version": version,
            "title": "Revenue",
            "data_model_id": model_id,
            "chart_type": "kpi",
            "x": "order_date",
            "y": "amount",
            "compare": "lately",
        },
    )
    assert refused.status_code == 400 and b"compare: Compare must be" in refused.data
    with database.system_session() as s:
        assert s.query(DashboardWidget).count() == 0
