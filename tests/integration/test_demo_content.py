"""The demo's data model and dashboard: created once, built by the pipeline after ingestion."""

from __future__ import annotations

import dagster as dg
from psycopg import sql
from sqlalchemy import func, select

from dra.dashboards.cache import WidgetCache
from dra.dashboards.service import widget_data
from dra.demo.content import DASHBOARD_NAME, MODEL_NAME, WIDGETS
from dra.demo.load import DEMO_PROJECT, load_demo
from dra.ingestion.service import ingest_source
from dra.models import Dashboard, DashboardWidget, DataModel, DataSource, Project


def test_demo_dashboard_shows_charts_once_the_pipeline_has_run(database, settings, monkeypatch):
    monkeypatch.setenv("DRA_DATABASE_URL", database.url)
    monkeypatch.setenv("DRA_DATA_DIR", str(settings.data_dir))
    load_demo(database.url, settings)
    load_demo(database.url, settings)  # idempotent
    with database.system_session() as s:
        project_id = s.scalar(select(Project.id).where(Project.name == DEMO_PROJECT))
        assert s.scalar(select(func.count()).select_from(DataModel)) == 1
        model = s.scalar(select(DataModel).where(DataModel.name == MODEL_NAME))
        model_id = model.id
        assert {src.name for src in model.sources} == {"Orders", "Products", "Customers"}
        board = s.scalar(select(Dashboard).where(Dashboard.name == DASHBOARD_NAME))
        assert board.project_id == project_id
        assert len(board.widgets) == len(WIDGETS)
        sources = s.scalars(select(DataSource.id).where(DataSource.project_id == project_id))
        source_ids = list(sources)

    # the ingestions the demo queued, then the refresh the sensor asks for after them
    for source_id in source_ids:
        assert ingest_source(database, settings, source_id).ok
    from orchestration.definitions import defs
    from orchestration.resources import PlatformResource

    instance = dg.DagsterInstance.ephemeral()
    resources = {
        "platform": PlatformResource(database_url=database.url, data_dir=str(settings.data_dir))
    }
    instance.add_dynamic_partitions("data_sources", [str(i) for i in source_ids])
    for source_id in source_ids:
        instance.report_runless_asset_event(
            dg.AssetMaterialization(asset_key="raw_source_tables", partition=str(source_id))
        )
    sensor = defs.get_sensor_def("model_refresh_after_ingest_sensor")
    result = sensor(
        dg.build_sensor_context(instance=instance, resources=resources, definitions=defs)
    )
    assert [r.partition_key for r in result.run_requests] == [str(model_id)]
    instance.add_dynamic_partitions("data_models", [str(model_id)])
    built = defs.resolve_job_def("refresh_model_job").execute_in_process(
        partition_key=str(model_id), instance=instance
    )
    assert built.success
    with database.system_session() as s:
        model = s.get(DataModel, model_id)
        assert model.status == "active" and model.row_count > 100
        widgets = s.scalars(
            select(DashboardWidget).where(DashboardWidget.data_model_id == model_id)
        ).all()
        s.expunge_all()
    for widget in widgets:
        data = widget_data(database, widget, model, cache=WidgetCache())
        assert data.error is None, (widget.title, data.error)
        assert data.figure["data"], widget.title

    # the revenue KPI: the latest month with orders so far against the same days of the
    # month before, refunded orders left out
    kpi = next(w for w in widgets if w.chart_type == "kpi")
    trace = widget_data(database, kpi, model, cache=WidgetCache()).figure["data"][0]
    assert trace["title"]["text"] == "sum(amount) · Nov 1-14 vs Oct 1-14 2026"
    table = sql.Identifier(f"models_p{project_id}", model.materialized_table)
    raw = database.system_engine.raw_connection()
    try:
        total = sql.SQL(
            "select sum(amount) filter (where order_date between %s and %s) from {}"
            " where status <> 'refunded'"
        ).format(table)
        cur = raw.driver_connection.cursor()
        now = cur.execute(total, ("2026-11-01", "2026-11-14")).fetchone()[0]
        before = cur.execute(total, ("2026-10-01", "2026-10-14")).fetchone()[0]
    finally:
        raw.close()
    assert trace["value"] == float(now) and trace["delta"]["reference"] == float(before)
