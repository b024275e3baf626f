"""The data-quality journey in a real browser (UC-DQ-01..03).

An editor opens a built model's quality page: no report yet, so a 404 page prompts to
run a check; "Run quality check" records a request. The pipeline's check (run here as
the Dagster asset check runs it) stores the report; the page then shows the score, the
plotly history chart, issues and column cards. The editor adds cleaning rules (one is
refused with its reason) and applies them, which records a cleaning request.
"""

from __future__ import annotations

import pytest
from psycopg import sql
from sqlalchemy import select

from dra.models import DataModel, PipelineRequest
from dra.quality.checks import profile_check
from tests.support.factories import DEFAULT_PASSWORD, project_with_roles

pytestmark = pytest.mark.browser


def test_quality_journey(live_server, chromium, database, artifacts_dir):
    base = live_server.url
    folder = artifacts_dir / "browser" / "quality_flow"
    folder.mkdir(parents=True, exist_ok=True)
    with database.system_session() as s:
        roles = project_with_roles(s)
        model = DataModel(
            project_id=roles.project_id,
            name="Orders",
            materialized_table="model_orders",
            status="active",
        )
        s.add(model)
        s.flush()
        model_id = model.id
    raw = database.system_engine.raw_connection()
    try:
        conn = raw.driver_connection
        schema = sql.Identifier(f"models_p{roles.project_id}")
        conn.execute(sql.SQL("create schema {}").format(schema))
        conn.execute(
            sql.SQL(
                "create table {}.model_orders as select g as id, "
                "case when g % 9 = 0 then 'not-an-email' "
                "else 'c' || g || '@shop.test' end as email, "
                "case when g % 7 = 0 then null else (g % 40) * 2.5 end as amount, "
                "(array['paid', 'Paid', 'refunded'])[g % 3 + 1] as status, "
                "date '2026-01-01' + g as ordered_on from generate_series(1, 120) g"
            ).format(schema)
        )
        conn.commit()
    finally:
        raw.close()

    page = chromium.new_page()
    page.goto(f"{base}/auth/login")
    page.fill("input[name=email]", roles.editor.email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_load_state()

    url = f"{base}/projects/{roles.project_id}/models/{model_id}/quality"
    response = page.goto(url)
    assert response.status == 404
    assert "No quality report found." in page.inner_text("main")
    page.screenshot(path=str(folder / "01-no-report.png"), full_page=True)
    page.click("button:has-text('Run quality check')")
    page.wait_for_load_state()
    assert "Quality check requested" in page.inner_text(".flash")
    with database.system_session() as s:
        assert s.scalar(select(PipelineRequest.kind)) == "quality_report"

    # the pipeline's quality_profile check, twice (a history of two reports)
    settings = live_server.app.config["DRA_SETTINGS"]
    profile_check(database, settings.data_dir, model_id)
    profile_check(database, settings.data_dir, model_id)
    page.goto(url)
    page.wait_for_selector("#score-history .main-svg")
    text = page.inner_text("main")
    for expected in ("overall score", "Issues", "not valid email values", "Columns", "status"):
        assert expected in text, expected
    page.screenshot(path=str(folder / "02-report.png"), full_page=True)

    page.select_option("select[name=type]", "fill_nulls")
    page.select_option("select[name=column]", "email")
    page.select_option("select[name=strategy]", "median")
    page.click("button:has-text('Add rule')")
    page.wait_for_load_state()
    assert "this rule needs a numeric column" in page.inner_text(".flash-error")
    page.select_option("select[name=type]", "fill_nulls")
    page.select_option("select[name=column]", "amount")
    page.select_option("select[name=strategy]", "median")
    page.click("button:has-text('Add rule')")
    page.wait_for_load_state()
    page.select_option("select[name=type]", "normalize_text")
    page.select_option("select[name=column]", "status")
    page.select_option("select[name=case]", "lower")
    page.click("button:has-text('Add rule')")
    page.wait_for_load_state()
    rules = page.inner_text("#rules")
    assert "Fill missing amount with the median" in rules and "Trim status, lower case" in rules
    page.click("button:has-text('Apply rules to the cleaned layer')")
    page.wait_for_load_state()
    assert "Cleaning requested" in page.inner_text(".flash")
    page.screenshot(path=str(folder / "03-rules.png"), full_page=True)
    with database.system_session() as s:
        kinds = s.scalars(select(PipelineRequest.kind).order_by(PipelineRequest.id)).all()
    assert kinds == ["quality_report", "quality_clean"]
