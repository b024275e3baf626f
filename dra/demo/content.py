"""The demo project's data model and dashboard, so the tour starts with charts.

The model is recorded with its sources; it is built by the pipeline like any model: the
refresh sensor rebuilds it once the demo sources are ingested (its query is checked
against the catalog then), the quality checks run after the build, and the dashboard's
widgets show its data from then on.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dra.models import Dashboard, DashboardWidget, DataModel, DataModelSource, DataSource

MODEL_NAME = "Orders with products and customers"
MODEL_SQL = """select o.order_id, o.ordered_at::date as order_date, o.status, o.quantity,
       o.amount, p.category, p.name as product, c.country
from orders o
join products p on p.product_id = o.product_id
join customers c on c.customer_id = o.customer_id"""
MODEL_SOURCES = ("Orders", "Products", "Customers")

DASHBOARD_NAME = "Shop overview"
WIDGETS = [
    # chart, title, binding, (x, y, w, h)
    (
        # the latest month with orders so far against the same days of the month before
        # (the figure names both spans); refunded orders are not revenue
        "kpi",
        "Revenue, latest month",
        {
            "x": "order_date",
            "y": "amount",
            "aggregate": "sum",
            "period": "month",
            "compare": "to_date",
            "filters": [{"column": "status", "operator": "!=", "value": "refunded"}],
        },
        (0, 0, 4, 3),
    ),
    (
        "line",
        "Daily revenue",
        {"x": "order_date", "y": "amount", "aggregate": "sum"},
        (4, 0, 8, 3),
    ),
    (
        "bar",
        "Revenue by category",
        {"x": "category", "y": "amount", "aggregate": "sum"},
        (0, 3, 6, 4),
    ),
    (
        "donut",
        "Orders by country",
        {"x": "country", "y": "order_id", "aggregate": "count"},
        (6, 3, 6, 4),
    ),
    (
        "stacked_bar",
        "Orders by category and status",
        {"x": "category", "y": "order_id", "series": "status", "aggregate": "count"},
        (0, 7, 12, 4),
    ),
]


def ensure_demo_content(session: Session, project_id: int, admin_id: int) -> tuple[int, int]:
    """Create the demo model and dashboard when missing; (model id, dashboard id)."""
    model = session.scalar(
        select(DataModel).where(DataModel.project_id == project_id, DataModel.name == MODEL_NAME)
    )
    if model is None:
        model = DataModel(
            project_id=project_id,
            created_by=admin_id,
            name=MODEL_NAME,
            description="Each order with its product's category and its customer's country.",
            query=MODEL_SQL,
            query_json={"mode": "sql", "sql": MODEL_SQL},
        )
        session.add(model)
        session.flush()
        sources = session.scalars(
            select(DataSource.id).where(
                DataSource.project_id == project_id, DataSource.name.in_(MODEL_SOURCES)
            )
        )
        for source_id in sources:
            session.add(DataModelSource(data_model_id=model.id, data_source_id=source_id))
    board = session.scalar(
        select(Dashboard).where(
            Dashboard.project_id == project_id, Dashboard.name == DASHBOARD_NAME
        )
    )
    if board is None:
        board = Dashboard(
            project_id=project_id,
            name=DASHBOARD_NAME,
            description="Revenue and orders of the demo shop (data model: " + MODEL_NAME + ").",
            layout={},
            filters={"values": {"column": "country", "values": []}},
            created_by=admin_id,
        )
        session.add(board)
        session.flush()
        for chart, title, binding, (x, y, w, h) in WIDGETS:
            session.add(
                DashboardWidget(
                    dashboard_id=board.id,
                    data_model_id=model.id,
                    title=title,
                    chart_type=chart,
                    binding=binding,
                    x=x,
                    y=y,
                    w=w,
                    h=h,
                )
            )
    session.flush()
    return model.id, board.id
