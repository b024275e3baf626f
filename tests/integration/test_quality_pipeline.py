"""Quality in Dagster: checks after each model build, the on-demand job, the cleaned layer."""

from __future__ import annotations

import dagster as dg
import pytest
from sqlalchemy import select, text

from dra.modeling import service as modeling
from dra.models import Notification, QualityReport, QualityRule
from dra.quality import checks, soda
from tests.support.factories import project_with_roles
from tests.support.modeling import seed_shop


@pytest.fixture
def pipeline(database, settings, monkeypatch):
    """The platform's Definitions against the test database, with an ephemeral instance."""
    from orchestration.definitions import defs

    monkeypatch.setenv("DRA_DATABASE_URL", database.url)
    monkeypatch.setenv("DRA_DATA_DIR", str(settings.data_dir))
    instance = dg.DagsterInstance.ephemeral()

    def run(job: str, model_id: int, tags: dict[str, str] | None = None):
        instance.add_dynamic_partitions("data_models", [str(model_id)])
        return defs.resolve_job_def(job).execute_in_process(
            partition_key=str(model_id), instance=instance, raise_on_error=False, tags=tags
        )

    return run


@pytest.fixture
def model(database):
    with database.system_session() as s:
        roles = project_with_roles(s)
    seed_shop(database, roles.project_id)
    with database.system_session() as s:
        saved = modeling.save_model(
            s, database, roles.project_id, roles.owner.id, name="Orders", sql="select * from orders"
        )
        return roles, saved.model.id


def evaluations(result) -> dict[str, bool]:
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}


def test_checks_run_after_each_build_then_on_demand_and_notify(database, settings, pipeline, model):
    roles, model_id = model
    built = pipeline("refresh_model_job", model_id)
    assert built.success
    assert evaluations(built) == {"quality_profile": True, "soda_contract": True}
    with database.system_session() as s:
        report = s.scalars(select(QualityReport)).one()
        assert report.data_model_id == model_id and report.row_count == 30
        assert report.report["keys"][0] == "id"
    contract = soda.contract_path(settings.data_dir, roles.project_id, model_id)
    assert contract.exists()
    last = checks.last_soda_results(settings.data_dir, roles.project_id, model_id)
    assert last["ok"] and len(last["checks"]) >= 3

    # the table regresses: a repeated id breaks the contract's duplicate limit on the key
    with database.system_session() as s:
        s.execute(
            text(
                f"insert into models_p{roles.project_id}.model_{model_id} "
                f"select * from models_p{roles.project_id}.model_{model_id} where id = 1"
            )
        )
    again = pipeline("quality_report_job", model_id)
    assert evaluations(again) == {"quality_profile": True, "soda_contract": False}
    with database.system_session() as s:
        assert s.scalar(select(text("count(*)")).select_from(QualityReport)) == 2
        notified = {
            n.user_id
            for n in s.scalars(
                select(Notification).where(Notification.type == "quality.check_failed")
            )
        }
        link = s.scalar(select(Notification.link).limit(1))
    assert notified == {roles.owner.id, roles.admin.id, roles.editor.id}
    assert link == f"/projects/{roles.project_id}/models/{model_id}/quality"


def test_cleaned_layer_asset(database, pipeline, model):
    roles, model_id = model
    assert pipeline("refresh_model_job", model_id).success
    schema = f"models_p{roles.project_id}"
    with database.system_session() as s:
        s.execute(
            text(
                f"insert into {schema}.model_{model_id} "
                f"select * from {schema}.model_{model_id} where id <= 2"
            )
        )
        s.add_all(
            [
                QualityRule(
                    data_model_id=model_id,
                    position=1,
                    rule={"type": "remove_duplicates", "columns": ["id"]},
                ),
                QualityRule(
                    data_model_id=model_id,
                    position=2,
                    rule={"type": "normalize_text", "column": "status", "case": "upper"},
                ),
                QualityRule(
                    data_model_id=model_id,
                    position=3,
                    enabled=False,
                    rule={"type": "drop_outliers", "column": "amount"},
                ),
                QualityRule(
                    data_model_id=model_id,
                    position=4,
                    rule={"type": "cast", "column": "nope", "to": "integer"},
                ),
            ]
        )
    result = pipeline("clean_model_job", model_id)
    assert result.success
    with database.system_session() as s:
        rows = s.execute(
            text(
                f"select count(*), count(distinct id), min(status) "
                f"from clean_p{roles.project_id}.model_{model_id}"
            )
        ).one()
        source_rows = s.scalar(text(f"select count(*) from {schema}.model_{model_id}"))
        report = s.scalars(select(QualityReport).order_by(QualityReport.id.desc())).first()
    assert tuple(rows) == (30, 30, "PAID")
    assert source_rows == 32  # the model's own table is untouched
    assert report.report["layer"] == "clean"
    assert report.report["cleaning"]["rows_before"] == 32
    assert [s["position"] for s in report.report["cleaning"]["skipped"]] == [3]


def test_web_requests_become_partitioned_runs(database, settings, model):
    from dra.pipeline_requests import enqueue
    from orchestration.definitions import defs
    from orchestration.resources import PlatformResource

    roles, model_id = model
    with database.system_session() as s:
        for kind in ("quality_report", "quality_clean"):
            enqueue(
                s,
                kind,
                target_id=model_id,
                project_id=roles.project_id,
                requested_by=roles.editor.id,
            )
    resources = {
        "platform": PlatformResource(database_url=database.url, data_dir=str(settings.data_dir))
    }
    sensor = defs.get_sensor_def("pipeline_request_sensor")
    result = sensor(
        dg.build_sensor_context(
            instance=dg.DagsterInstance.ephemeral(), resources=resources, definitions=defs
        )
    )
    runs = {r.job_name: r.partition_key for r in result.run_requests}
    assert runs["quality_report_job"] == str(model_id)
    assert runs["clean_model_job"] == str(model_id)


def test_large_models_get_a_sampled_profile_unless_an_exact_one_is_asked_for(
    database, pipeline, model, monkeypatch
):
    from dra.pipeline_requests import enqueue
    from dra.quality import profiling

    roles, model_id = model
    monkeypatch.setattr(profiling, "SAMPLE_ABOVE_BYTES", 0)  # every table counts as large
    assert pipeline("refresh_model_job", model_id).success
    with database.system_session() as s:
        request = enqueue(
            s,
            "quality_report",
            target_id=model_id,
            project_id=roles.project_id,
            requested_by=roles.editor.id,
            payload={"mode": "exact"},
        )
        request_id = request.id
    asked = pipeline("quality_report_job", model_id, tags={"dra/request_id": str(request_id)})
    assert asked.success
    with database.system_session() as s:
        reports = s.scalars(select(QualityReport).order_by(QualityReport.id)).all()
    assert [r.report["mode"] for r in reports] == ["sampled", "exact"]
    assert reports[1].created_by == roles.editor.id
    # the sampled report counted rows and missing values exactly, like the exact one
    assert reports[0].row_count == reports[1].row_count == 30
    assert [c["null_count"] for c in reports[0].report["columns"]] == [
        c["null_count"] for c in reports[1].report["columns"]
    ]
