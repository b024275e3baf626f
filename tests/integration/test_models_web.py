"""Data-model pages and endpoints: roles, validation, preview, copy, delete, dbt export."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text, update

from dra.modeling import service
from dra.models import Dashboard, DashboardWidget, DataModel, PipelineRequest, SubscriptionTier
from tests.support.factories import project_with_roles
from tests.support.modeling import JOIN_QUERY, seed_shop


@pytest.fixture
def shop(database):
    with database.system_session() as s:
        roles = project_with_roles(s)
    seed_shop(database, roles.project_id)
    seed_shop(database, roles.outsider_project_id, orders=3)
    return roles


def url(shop, path=""):
    return f"/projects/{shop.project_id}/models{path}"


def saved(database, shop, **definition):
    with database.system_session() as s:
        return service.save_model(
            s,
            database,
            shop.project_id,
            shop.owner.id,
            name=definition.pop("name", "Revenue"),
            **definition,
        ).model.id


def test_editor_builds_a_cross_source_model_and_it_is_queued(shop, login, database):
    client = login(shop.editor)
    resp = client.post(url(shop), json={"name": "Revenue by country", "query_json": JOIN_QUERY})
    assert resp.status_code == 201, resp.json
    model_id = resp.json["id"]
    assert "being built" in resp.json["message"]
    with database.system_session() as s:
        model = s.get(DataModel, model_id)
        assert model.query_json == JOIN_QUERY and model.query.startswith("SELECT")
        assert (
            s.scalar(select(PipelineRequest.kind).where(PipelineRequest.target_id == model_id))
            == "refresh_model"
        )
    page = client.get(url(shop, f"/{model_id}"))
    assert page.status_code == 200 and b"Revenue by country" in page.data
    assert b"FR" in page.data  # the preview ran
    listing = client.get(url(shop, "?format=json")).json["models"]
    assert [m["name"] for m in listing] == ["Revenue by country"]


@pytest.mark.parametrize(
    "body,status,needle",
    [
        ({"name": "", "query_json": JOIN_QUERY}, 422, "name"),
        ({"name": "x"}, 422, "empty"),
        ({"name": "x", "sql": "select nope from orders"}, 400, "query failed"),
        ({"name": "x", "sql": "drop table orders"}, 400, "SELECT"),
        ({"name": "x", "sql": "select * from raw_p999.orders"}, 400, "this project"),
        (
            {
                "name": "x",
                "query_json": dict(
                    JOIN_QUERY,
                    joins=JOIN_QUERY["joins"]
                    + [
                        {
                            "left_table": "customers",
                            "right_table": "orders",
                            "conditions": [{"left_column": "id", "right_column": "customer_id"}],
                        }
                    ],
                ),
            },
            400,
            "Circular join reference detected.",
        ),
    ],
)
def test_bad_definitions_are_refused_with_the_field_and_nothing_is_saved(
    shop, login, database, body, status, needle
):
    resp = login(shop.editor).post(url(shop), json=body)
    assert resp.status_code == status
    assert needle in resp.json["error"] or needle == resp.json["field"]
    with database.system_session() as s:
        assert s.scalar(select(DataModel.id)) is None
        assert s.scalar(text(f"select count(*) from raw_p{shop.project_id}.orders")) == 30


def test_viewer_previews_but_cannot_build_and_outsider_sees_nothing(shop, login):
    viewer = login(shop.viewer)
    assert viewer.post(url(shop), json={"name": "x", "sql": "select 1"}).status_code == 403
    resp = viewer.post(url(shop, "/preview"), json={"sql": "select * from orders"})
    assert resp.status_code == 200 and resp.json["rowCount"] == 30
    assert resp.json["rowLimitApplied"] is False
    outsider = login(shop.outsider)
    assert outsider.get(url(shop)).status_code == 404
    assert outsider.post(url(shop, "/preview"), json={"sql": "select 1"}).status_code == 404


def test_preview_and_execute_apply_the_tier_row_limit(shop, login, database):
    model_id = saved(database, shop, sql="select * from orders")
    with database.system_session() as s:
        s.execute(
            update(SubscriptionTier)
            .where(SubscriptionTier.name == "Enterprise")
            .values(max_rows_per_model=12)
        )
    client = login(shop.viewer)
    executed = client.post(url(shop, f"/{model_id}/execute")).json
    assert executed["rowCount"] == 12 and executed["rowLimitApplied"] is True
    assert executed["message"] == "Showing first 12 rows (tier limit applied)."
    page = client.get(url(shop, f"/{model_id}"))
    assert b"Showing first 12 rows (tier limit applied)." in page.data


def test_copy_suffix_and_tier_limit(shop, login, database):
    model_id = saved(database, shop, sql="select * from orders")
    client = login(shop.editor)
    resp = client.post(url(shop, f"/{model_id}/copy"))
    assert resp.status_code == 302
    with database.system_session() as s:
        names = sorted(s.scalars(select(DataModel.name)))
        assert names == ["Revenue", "Revenue (Copy)"]
        s.execute(
            update(SubscriptionTier)
            .where(SubscriptionTier.name == "Enterprise")
            .values(max_models_per_source=2)
        )
    refused = client.post(url(shop, f"/{model_id}/copy"))
    assert refused.status_code == 403 and b"Upgrade your plan" in refused.data
    missing = client.post(url(shop, "/99999/copy"))  # ALT-DM05B
    assert missing.status_code == 400 and b"The data model could not be copied." in missing.data


def test_delete_names_dashboards_then_their_widgets_lose_the_model(
    shop, login, database, materialize
):
    from assets.data_models import data_model_tables

    model_id = saved(database, shop, sql="select * from orders")
    materialize(
        [data_model_tables],
        partition_key=str(model_id),
        dynamic_partitions={"data_models": [model_id]},
    )
    with database.system_session() as s:
        board = Dashboard(project_id=shop.project_id, name="Weekly sales")
        s.add(board)
        s.flush()
        s.add(DashboardWidget(dashboard_id=board.id, data_model_id=model_id, chart_type="bar"))
    reader = saved(database, shop, sql=f"select count(*) as n from model_{model_id}")
    with database.system_session() as s:
        s.execute(update(DataModel).where(DataModel.id == reader).values(name="Order count"))
    assert login(shop.editor).get(url(shop, f"/{model_id}/delete")).status_code == 403
    owner = login(shop.owner)
    confirm = owner.get(url(shop, f"/{model_id}/delete"))
    assert b"Weekly sales" in confirm.data and b"Data model not found." in confirm.data
    assert b'id="dependent-models"' in confirm.data and b"Order count" in confirm.data
    assert owner.post(url(shop, f"/{model_id}/delete")).status_code == 302
    with database.system_session() as s:
        assert s.get(DataModel, model_id) is None
        assert s.scalar(select(DashboardWidget.data_model_id)) is None
        assert (
            s.scalar(text(f"select to_regclass('models_p{shop.project_id}.model_{model_id}')"))
            is None
        )


def test_refresh_queues_once_and_page_shows_the_last_error(shop, login, database):
    model_id = saved(database, shop, sql="select * from orders")
    with database.system_session() as s:
        s.execute(
            update(DataModel)
            .where(DataModel.id == model_id)
            .values(last_error='column "amount" does not exist', status="failed")
        )
    client = login(shop.editor)
    assert client.post(url(shop, f"/{model_id}/refresh")).status_code == 302
    assert client.post(url(shop, f"/{model_id}/refresh")).status_code == 302
    with database.system_session() as s:
        assert (
            len(
                s.scalars(
                    select(PipelineRequest).where(PipelineRequest.target_id == model_id)
                ).all()
            )
            == 1
        )  # the open request is reused
    page = client.get(url(shop, f"/{model_id}")).data
    assert b"The last build failed" in page and b"column &#34;amount&#34; does not exist" in page
    assert f"/models/{model_id}/quality".encode() in page  # links to its quality page


def test_dbt_export_tables_and_builder_pages(shop, login, database, materialize):
    from assets.data_models import data_model_tables

    model_id = saved(database, shop, query_json=JOIN_QUERY)
    materialize(
        [data_model_tables],
        partition_key=str(model_id),
        dynamic_partitions={"data_models": [model_id]},
    )
    client = login(shop.viewer)
    dbt = client.get(url(shop, f"/{model_id}/dbt"))
    assert dbt.status_code == 200 and "revenue.sql" in dbt.headers["Content-Disposition"]
    body = dbt.data.decode()
    assert f"{{{{ source('raw_p{shop.project_id}', 'orders') }}}}" in body
    assert "raw_p" not in body.split("{{ config")[1].replace(f"'raw_p{shop.project_id}'", "")
    tables = client.get(url(shop, "/tables")).json["tables"]
    assert tables[0]["table"] == f"model_{model_id}"
    assert [c["name"] for c in tables[0]["columns"]] == ["country", "revenue", "orders"]
    catalog = client.get(url(shop, "/catalog")).json["tables"]
    assert {t["name"] for t in catalog} == {"orders", "customers", f"model_{model_id}"}
    assert client.get(url(shop, "/new")).status_code == 403
    editor = login(shop.editor)
    assert editor.get(url(shop, "/new")).status_code == 200
    assert editor.get(url(shop, f"/{model_id}/edit")).status_code == 200


def test_update_rebuilds_and_bumps_the_version(shop, login, database):
    model_id = saved(database, shop, sql="select * from orders")
    with database.system_session() as s:
        before = s.get(DataModel, model_id).version
    client = login(shop.editor)
    resp = client.post(
        url(shop, f"/{model_id}"),
        json={"name": "Paid orders", "sql": "select * from orders where status = 'paid'"},
    )
    assert resp.status_code == 200 and "rebuilt" in resp.json["message"]
    with database.system_session() as s:
        model = s.get(DataModel, model_id)
        assert (model.name, model.version) == ("Paid orders", before + 1)
        assert model.query_json["sql"].endswith("'paid'")
    bad = client.post(url(shop, f"/{model_id}"), json={"name": "x", "sql": "delete from orders"})
    assert bad.status_code == 400
    with database.system_session() as s:
        assert s.get(DataModel, model_id).name == "Paid orders"
    assert (
        login(shop.viewer)
        .post(url(shop, f"/{model_id}"), json={"name": "v", "sql": "select 1"})
        .status_code
        == 403
    )
