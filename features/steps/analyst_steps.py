"""Steps for features/analyst_models.feature: the demo project, ingested for real, the
model sensors and jobs of the one Definitions object, the modeling service and the
quality pages' request path."""

from __future__ import annotations

import os

import dagster as dg
from behave import given, then, when
from sqlalchemy import select

from dra.modeling import service as modeling
from dra.modeling.errors import ModelingError
from dra.models import DashboardWidget, DataModel, DataSource, Project, QualityReport

DEMO_MODEL = "Orders with products and customers"


def _defs(context):
    from orchestration.definitions import defs

    os.environ["DRA_DATABASE_URL"] = context.database_url
    os.environ["DRA_DATA_DIR"] = str(context.data_dir)
    if getattr(context, "instance", None) is None:
        context.instance = dg.DagsterInstance.ephemeral()
        context.cleanups.append(context.instance.dispose)
    return defs


def _tick(context, sensor_name: str) -> list[str]:
    """What the daemon does: evaluate a sensor; the partitions (model ids) it asks to build."""
    from orchestration.resources import PlatformResource

    defs = _defs(context)
    platform = PlatformResource(database_url=context.database_url, data_dir=str(context.data_dir))
    result = defs.get_sensor_def(sensor_name)(
        dg.build_sensor_context(
            instance=context.instance, resources={"platform": platform}, definitions=defs
        )
    )
    return [r.partition_key for r in result.run_requests]


def _build(context, model_id: int, tags: dict | None = None) -> None:
    defs = _defs(context)
    context.instance.add_dynamic_partitions("data_models", [str(model_id)])
    result = defs.resolve_job_def("refresh_model_job").execute_in_process(
        partition_key=str(model_id), instance=context.instance, tags=tags
    )
    assert result.success, f"the build of model #{model_id} failed"


def _ingest(context) -> None:
    """Ingest every demo source (the asset's code) and record it as Dagster would."""
    from dra.ingestion.service import ingest_source

    _defs(context)
    keys = [str(i) for i in context.source_ids]
    context.instance.add_dynamic_partitions("data_sources", keys)
    for source_id in context.source_ids:
        assert ingest_source(context.database, context.settings, source_id).ok
        context.instance.report_runless_asset_event(
            dg.AssetMaterialization(asset_key="raw_source_tables", partition=str(source_id))
        )


def _model(context, name: str) -> DataModel:
    with context.database.system_session() as s:
        model = s.scalar(select(DataModel).where(DataModel.name == name))
        assert model is not None, f"no data model {name!r}"
        s.expunge(model)
        return model


def _latest_report(context, model_id: int) -> QualityReport:
    with context.database.system_session() as s:
        report = s.scalar(
            select(QualityReport)
            .where(QualityReport.data_model_id == model_id)
            .order_by(QualityReport.id.desc())
            .limit(1)
        )
        assert report is not None, "no quality report"
        s.expunge(report)
        return report


# -------------------------------------------------------------------------- background
@given("the demo project is loaded and its sources are ingested")
def step_demo(context):
    from dra.demo.load import DEMO_PROJECT, load_demo

    load_demo(context.database_url, context.settings)
    with context.database.system_session() as s:
        project = s.scalar(select(Project).where(Project.name == DEMO_PROJECT))
        context.project_id, context.owner_id = project.id, project.owner_id
        context.source_ids = list(
            s.scalars(select(DataSource.id).where(DataSource.project_id == project.id))
        )
    _ingest(context)
    context.demo_model_id = _model(context, DEMO_MODEL).id


# -------------------------------------------------------------------------- building
@when("the pipeline reacts to the ingestion")
def step_react(context):
    for model_id in _tick(context, "model_refresh_after_ingest_sensor"):
        _build(context, int(model_id))


@given("the demo data model is built")
def step_built(context):
    step_react(context)
    assert _model(context, DEMO_MODEL).status == "active"


@then("the demo data model is built with rows")
def step_rows(context):
    model = _model(context, DEMO_MODEL)
    assert model.status == "active" and (model.row_count or 0) > 100, model.row_count


@then("a quality report scores the demo data model")
def step_scored(context):
    report = _latest_report(context, context.demo_model_id)
    assert 0 < report.score <= 100 and report.row_count == _model(context, DEMO_MODEL).row_count


@then('every widget of the "{name}" dashboard shows data')
def step_widgets(context, name):
    from dra.dashboards.cache import WidgetCache
    from dra.dashboards.service import widget_data
    from dra.models import Dashboard

    model = _model(context, DEMO_MODEL)
    with context.database.system_session() as s:
        board = s.scalar(select(Dashboard).where(Dashboard.name == name))
        widgets = list(
            s.scalars(select(DashboardWidget).where(DashboardWidget.dashboard_id == board.id))
        )
        s.expunge_all()
    assert widgets
    for widget in widgets:
        data = widget_data(context.database, widget, model, cache=WidgetCache())
        assert data.error is None and data.figure["data"], (widget.title, data.error)


# -------------------------------------------------------------------------- models on models
@given('an analyst saves a model "{name}" reading the demo data model')
def step_save_reader(context, name):
    table = _model(context, DEMO_MODEL).materialized_table
    with context.database.system_session() as s:
        saved = modeling.save_model(
            s,
            context.database,
            context.project_id,
            context.owner_id,
            name=name,
            sql=f"select country, sum(amount) as revenue from {table} group by country",
        )
        context.reader_id = saved.model.id
    _build(context, context.reader_id)


@when("the demo sources are ingested again")
def step_ingest_again(context):
    _ingest(context)


@then("the pipeline rebuilds the demo data model first")
def step_first(context):
    asked = _tick(context, "model_refresh_after_ingest_sensor")
    assert asked == [str(context.demo_model_id)], asked
    _build(context, context.demo_model_id)


@then('after that build it rebuilds "{name}"')
def step_then_reader(context, name):
    asked = _tick(context, "model_refresh_after_model_sensor")
    reader = _model(context, name)
    assert asked == [str(reader.id)], asked
    before = reader.version
    _build(context, reader.id)
    assert _model(context, name).version == before + 1


@when('the analyst changes the demo data model to read "{name}"')
def step_cycle(context, name):
    demo = _model(context, DEMO_MODEL)
    context.demo_before = (demo.version, demo.query)
    table = _model(context, name).materialized_table
    try:
        with context.database.system_session() as s:
            modeling.save_model(
                s,
                context.database,
                context.project_id,
                context.owner_id,
                name=DEMO_MODEL,
                sql=f"select * from {table}",
                model_id=demo.id,
            )
        context.refusal = None
    except ModelingError as exc:
        context.refusal = exc


@then('the change is refused with "{message}"')
def step_refused(context, message):
    assert context.refusal is not None, "the change was accepted"
    assert context.refusal.status == 400 and context.refusal.message == message


@then("the demo data model is unchanged")
def step_unchanged(context):
    demo = _model(context, DEMO_MODEL)
    assert (demo.version, demo.query) == context.demo_before


# -------------------------------------------------------------------------- sampled profiles
@given("tables over 1 kB count as large")
def step_large(context):
    from dra.quality import profiling

    saved = profiling.SAMPLE_ABOVE_BYTES
    profiling.SAMPLE_ABOVE_BYTES = 1024
    context.cleanups.append(lambda: setattr(profiling, "SAMPLE_ABOVE_BYTES", saved))


@when("the quality check of the demo data model runs")
def step_check(context):
    defs = _defs(context)
    result = defs.resolve_job_def("quality_report_job").execute_in_process(
        partition_key=str(context.demo_model_id), instance=context.instance
    )
    assert result.success


@then('the report is "sampled" with rows and missing values counted exactly')
def step_sampled(context):
    from dra.quality.profiling import profile_table

    report = _latest_report(context, context.demo_model_id).report
    assert report["mode"] == "sampled" and report["passes"] == 1, report["mode"]
    schema, table = report["table"].split(".")
    raw = context.database.system_engine.raw_connection()
    try:
        exact = profile_table(raw.driver_connection, schema, table, mode="exact")
    finally:
        raw.close()
    assert report["row_count"] == exact["row_count"]
    assert [c["null_count"] for c in report["columns"]] == [
        c["null_count"] for c in exact["columns"]
    ]


@when("an analyst asks for an exact quality check of the demo data model")
def step_ask_exact(context):
    from dra.quality import service as quality

    with context.database.system_session() as s:
        model = s.get(DataModel, context.demo_model_id)
        request = quality.request_report(s, model, context.owner_id, "exact")
        request_id = request.id
    defs = _defs(context)
    result = defs.resolve_job_def("quality_report_job").execute_in_process(
        partition_key=str(context.demo_model_id),
        instance=context.instance,
        tags={"dra/request_id": str(request_id)},
    )
    assert result.success


@then('the report is "{mode}"')
def step_mode(context, mode):
    assert _latest_report(context, context.demo_model_id).report["mode"] == mode
