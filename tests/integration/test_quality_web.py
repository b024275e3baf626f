"""The quality pages of a data model: report, 404 prompt, run request, rules editor."""

from __future__ import annotations

import pytest
from psycopg import sql
from sqlalchemy import select

from dra.models import DataModel, PipelineRequest, QualityRule
from dra.quality.reports import generate_report
from tests.support.factories import project_with_roles


@pytest.fixture
def shop(database):
    """A project with a built model (table models_p<id>.model_orders) and no report yet."""
    with database.system_session() as s:
        roles = project_with_roles(s)
        model = DataModel(
            project_id=roles.project_id,
            name="Orders",
            materialized_table="model_orders",
            status="active",
        )
        unbuilt = DataModel(project_id=roles.project_id, name="Draft")
        other = DataModel(
            project_id=roles.outsider_project_id, name="Theirs", materialized_table="model_theirs"
        )
        s.add_all([model, unbuilt, other])
        s.flush()
        ids = (model.id, unbuilt.id, other.id)
    raw = database.system_engine.raw_connection()
    try:
        conn = raw.driver_connection
        schema = sql.Identifier(f"models_p{roles.project_id}")
        conn.execute(sql.SQL("create schema {}").format(schema))
        conn.execute(
            sql.SQL("create table {}.model_orders (id int, email text, amount numeric)").format(
                schema
            )
        )
        conn.execute(
            sql.SQL(
                "insert into {}.model_orders values (1, 'a@x.io', 5), (2, 'bad', 7), (2, null, -1)"
            ).format(schema)
        )
        conn.commit()
    finally:
        raw.close()
    return roles, *ids


def url(roles, model_id, suffix=""):
    return f"/projects/{roles.project_id}/models/{model_id}/quality{suffix}"


def test_no_report_yet_is_a_404_with_a_prompt(shop, login):
    roles, model_id, *_ = shop
    page = login(roles.viewer).get(url(roles, model_id))
    assert page.status_code == 404
    assert b"No quality report found." in page.data and b"Run quality check" in page.data
    api = login(roles.viewer).get(url(roles, model_id, "/latest.json"))
    assert api.status_code == 404
    assert api.json["error"] == "No quality report found."


def test_latest_report_page_and_json(shop, login, database):
    roles, model_id, *_ = shop
    generate_report(database, model_id)
    second = generate_report(database, model_id)
    client = login(roles.viewer)
    page = client.get(url(roles, model_id))
    assert page.status_code == 200
    html = page.data.decode()
    for text in (
        f"{second.report['score']}<span",
        "Score history",
        "/vendor/plotly.min.js",
        "email",
        "looks like email",
        "negative value(s) where none belong",
        "key",
    ):
        assert text in html, text
    assert "Add a rule" not in html  # viewers see the rules, not the editor
    data = client.get(url(roles, model_id, "/latest.json")).json
    assert data["id"] == second.id and data["report"]["row_count"] == 3


def test_run_now_records_one_request(shop, login, database):
    roles, model_id, unbuilt_id, _ = shop
    client = login(roles.viewer)
    assert client.post(url(roles, model_id, "/run")).status_code == 302
    assert client.post(url(roles, model_id, "/run")).status_code == 302
    with database.system_session() as s:
        requests = s.scalars(select(PipelineRequest)).all()
        assert [(r.kind, r.target_id, r.project_id, r.requested_by) for r in requests] == [
            ("quality_report", model_id, roles.project_id, roles.viewer.id)
        ]
    refused = client.post(url(roles, unbuilt_id, "/run"))
    assert refused.status_code == 409
    assert b"Build the data model first" in refused.data


def test_an_exact_check_can_be_asked_for_and_a_bad_mode_is_refused(shop, login, database):
    roles, model_id, _, _ = shop
    client = login(roles.editor)
    # offered once a report was sampled (large tables); a small table's is exact already
    generate_report(database, model_id)
    assert b"Run exact check" not in client.get(url(roles, model_id)).data
    sampled = generate_report(database, model_id, mode="sampled")
    assert b"Run exact check" in client.get(url(roles, model_id)).data
    # the statistics that sampled profile gathered were kept: the next one reuses them
    assert sampled.report["statistics_refreshed"] is True
    again = generate_report(database, model_id, mode="sampled")
    assert again.report["statistics_refreshed"] is False
    refused = client.post(url(roles, model_id, "/run"), data={"mode": "guess"})
    assert refused.status_code == 400
    assert b"(field mode)" in refused.data
    with database.system_session() as s:
        assert s.scalars(select(PipelineRequest)).all() == []
    assert client.post(url(roles, model_id, "/run"), data={"mode": "exact"}).status_code == 302
    with database.system_session() as s:
        request = s.scalars(select(PipelineRequest)).one()
        assert (request.kind, request.payload) == ("quality_report", {"mode": "exact"})


def test_other_projects_models_are_not_found(shop, login):
    roles, _, _, other_id = shop
    assert login(roles.owner).get(url(roles, other_id)).status_code == 404
    assert login(roles.outsider).get(url(roles, other_id)).status_code == 404


def test_rules_editor(shop, login, database):
    roles, model_id, *_ = shop
    generate_report(database, model_id)
    editor = login(roles.editor)
    assert (
        login(roles.viewer)
        .post(url(roles, model_id, "/rules"), data={"type": "fill_nulls"})
        .status_code
        == 403
    )
    bad = editor.post(
        url(roles, model_id, "/rules"),
        data={"type": "fill_nulls", "column": "email", "strategy": "median"},
    )
    assert bad.status_code == 400
    assert b"Column &#39;email&#39; is text; this rule needs a numeric column." in bad.data
    no_rules = editor.post(url(roles, model_id, "/clean"))
    assert no_rules.status_code == 400
    assert b"Cleaning configuration is required." in no_rules.data
    ok = editor.post(
        url(roles, model_id, "/rules"),
        data={"type": "fill_nulls", "column": "amount", "strategy": "median"},
    )
    assert ok.status_code == 302 and ok.location.endswith(url(roles, model_id) + "#rules")
    assert "Cleaning rule added." in editor.get(url(roles, model_id)).data.decode()
    editor.post(url(roles, model_id, "/rules"), data={"type": "remove_duplicates", "columns": "id"})
    with database.system_session() as s:
        rules = s.scalars(select(QualityRule).order_by(QualityRule.position)).all()
        assert [r.rule for r in rules] == [
            {"type": "fill_nulls", "column": "amount", "strategy": "median"},
            {"type": "remove_duplicates", "columns": ["id"]},
        ]
        first, second = (r.id for r in rules)
    page = editor.get(url(roles, model_id)).data.decode()
    assert "Fill missing amount with the median" in page and "Add a rule" in page
    toggled = editor.post(url(roles, model_id, f"/rules/{first}/toggle"))
    assert toggled.status_code == 302 and toggled.location.endswith("#rules")
    assert "Rule disabled." in editor.get(url(roles, model_id)).data.decode()
    deleted = editor.post(url(roles, model_id, f"/rules/{second}/delete"))
    assert deleted.status_code == 302 and deleted.location.endswith("#rules")
    assert "Rule deleted." in editor.get(url(roles, model_id)).data.decode()
    assert editor.post(url(roles, model_id, "/rules/999999/delete")).status_code == 404
    # every rule disabled or gone: nothing to apply
    assert editor.post(url(roles, model_id, "/clean")).status_code == 400
    editor.post(url(roles, model_id, f"/rules/{first}/toggle"))
    cleaning = editor.post(url(roles, model_id, "/clean"))
    assert cleaning.status_code == 302 and cleaning.location.endswith(url(roles, model_id))
    assert "Cleaning requested (request #" in editor.get(url(roles, model_id)).data.decode()
    with database.system_session() as s:
        kinds = s.scalars(select(PipelineRequest.kind)).all()
        assert kinds == ["quality_clean"]


def test_contract_file_view(shop, login, database, settings):
    from dra.quality.checks import profile_check

    roles, model_id, *_ = shop
    client = login(roles.viewer)
    assert client.get(url(roles, model_id, "/contract")).status_code == 404
    profile_check(database, settings.data_dir, model_id)
    text = client.get(url(roles, model_id, "/contract"))
    assert text.status_code == 200 and text.mimetype == "text/plain"
    assert b"row_count" in text.data
    assert login(roles.outsider).get(url(roles, model_id, "/contract")).status_code == 404


def test_report_page_shows_numbers_rounded_and_grouped(shop, login, database):
    roles, model_id, *_ = shop
    raw = database.system_engine.raw_connection()
    try:
        conn = raw.driver_connection
        table = sql.Identifier(f"models_p{roles.project_id}", "model_orders")
        conn.execute(sql.SQL("drop table {}").format(table))
        conn.execute(sql.SQL("create table {} (id int, status text, amount float8)").format(table))
        conn.execute(
            sql.SQL(
                "insert into {} select g, (array['paid', 'refunded'])[g % 2 + 1],"
                " case when g = 1 then -113.99000000000004::float8"
                " else (g % 100) * 25.5::float8 end"
                " from generate_series(1, 2500) g"
            ).format(table)
        )
        conn.commit()
    finally:
        raw.close()
    generate_report(database, model_id)
    html = login(roles.viewer).get(url(roles, model_id)).data.decode()
    assert "-113.99" in html and "-113.99000000000004" not in html
    assert "2,500 rows" in html and "2500.0" not in html and "2,524.5" in html
    # uniqueness is judged on the key column only; status says why it is not
    assert "n/a: not a key" in html and "uniqueness judged on: id" in html
