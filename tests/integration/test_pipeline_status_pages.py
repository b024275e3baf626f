"""Pages following a pipeline request say which step its run is on ("running: <step>").

The run writes the step it starts into its request (orchestration/requests.py); each page
that shows a request's status shows it, and the status JSON the pages poll carries it.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update

from dra.modeling import service as modeling
from dra.models import AttributionReport, Backup, DataSource, PipelineRequest
from dra.pipeline_requests import mark_started
from tests.support.factories import project_with_roles
from tests.support.modeling import seed_shop


@pytest.fixture
def roles(database):
    with database.system_session() as s:
        roles = project_with_roles(s)
    seed_shop(database, roles.project_id)
    return roles


def running(database, kind: str, target_id: int, step: str, project_id: int | None) -> int:
    """A request of ``kind`` whose run is on Dagster step ``step``, as the run writes it."""
    with database.system_session() as s:
        request = s.scalar(
            select(PipelineRequest).where(
                PipelineRequest.kind == kind, PipelineRequest.target_id == target_id
            )
        )
        if request is None:
            request = PipelineRequest(kind=kind, target_id=target_id, project_id=project_id)
            s.add(request)
            s.flush()
        request_id = request.id
    mark_started(database, request_id, run_id="a-run", step=step)
    return request_id


def test_the_sources_list_and_its_status_json_name_the_step(database, roles, login):
    with database.system_session() as s:
        source_id = s.scalar(select(DataSource.id).where(DataSource.name == "Shop"))
    running(database, "ingest_source", source_id, "raw_source_tables", roles.project_id)
    client = login(roles.viewer)
    base = f"/projects/{roles.project_id}/sources"
    [row] = [
        r for r in client.get(f"{base}/status.json").get_json()["sources"] if r["id"] == source_id
    ]
    assert (row["busy"], row["step"]) == (True, "loading the tables")
    assert "running: loading the tables" in client.get(f"{base}/").get_data(as_text=True)


def test_the_model_page_names_its_refresh_step_and_follows_it(database, roles, login):
    with database.system_session() as s:
        model_id = modeling.save_model(
            s, database, roles.project_id, roles.owner.id, name="Orders", sql="select * from orders"
        ).model.id
    running(database, "refresh_model", model_id, "data_model_tables", roles.project_id)
    page = login(roles.viewer).get(f"/projects/{roles.project_id}/models/{model_id}")
    text = page.get_data(as_text=True)
    assert "running: building the table" in text
    assert '<meta http-equiv="refresh"' in text  # the page follows the run by itself
    with database.system_session() as s:
        s.execute(update(PipelineRequest).values(status="succeeded"))
    text = (
        login(roles.viewer)
        .get(f"/projects/{roles.project_id}/models/{model_id}")
        .get_data(as_text=True)
    )
    assert "running:" not in text and '<meta http-equiv="refresh"' not in text


def test_the_quality_page_names_the_step(database, roles, login):
    with database.system_session() as s:
        model_id = modeling.save_model(
            s, database, roles.project_id, roles.owner.id, name="Orders", sql="select * from orders"
        ).model.id
    running(database, "quality_report", model_id, "check_data_model", roles.project_id)
    page = login(roles.viewer).get(f"/projects/{roles.project_id}/models/{model_id}/quality")
    assert "running: running the quality checks" in page.get_data(as_text=True)


def test_an_attribution_report_names_the_step(database, roles, login):
    with database.system_session() as s:
        report = AttributionReport(
            project_id=roles.project_id,
            kind="attribution",
            name="October",
            model="linear",
            start_date=date(2026, 10, 1),
            end_date=date(2026, 10, 31),
            status="queued",
        )
        s.add(report)
        s.flush()
        report_id = report.id
    running(database, "attribution_report", report_id, "dbt_models", roles.project_id)
    page = login(roles.owner).get(f"/projects/{roles.project_id}/attribution/reports/{report_id}")
    assert "running: building the dbt models" in page.get_data(as_text=True)


def test_backup_and_restore_progress_name_the_step(database, roles, login):
    with database.system_session() as s:
        backup = Backup(file_name="dra-backup-20260101T000000Z.zip", status="running")
        s.add(backup)
        s.flush()
        backup_id = backup.id
    running(database, "backup", backup_id, "database_backup", None)
    restore_id = running(database, "restore", backup_id, "restore_database", None)
    admin = login(roles.platform_admin)
    assert admin.get(f"/admin/database/backups/{backup_id}/progress").get_json()["step"] == (
        "backing up"
    )
    assert admin.get(f"/admin/database/restores/{restore_id}/progress").get_json()["step"] == (
        "restoring"
    )
    assert "running: backing up" in admin.get(f"/admin/database/backups/{backup_id}").get_data(
        as_text=True
    )
