"""Data source pages through the web app, against the real database (UC-DS-01..06, 12..15)."""

from __future__ import annotations

import dataclasses
import io
import re

import pytest
from sqlalchemy import select, text, update

from dra.ingestion.service import ingest_source
from dra.models import DataModel, DataSource, DataSourceTable, PipelineRequest
from tests.integration.test_connectors_postgres import details_for, source_db  # noqa: F401
from tests.support.factories import add_member, create_project, set_tier
from tests.unit.test_ingestion_files import make_xlsx


@pytest.fixture
def owner_project(database, make_user):
    owner = make_user()
    with database.system_session() as s:
        project_id = create_project(s, owner)
    return owner, project_id


def _url(project_id, tail=""):
    return f"/projects/{project_id}/sources{tail}"


def _upload(client, project_id, name, data, kind="csv", **extra):
    return client.post(
        _url(project_id, "/new/file"),
        data={"kind": kind, "file": (io.BytesIO(data), name), **extra},
        content_type="multipart/form-data",
    )


def _uploads(settings, project_id):
    folder = settings.data_dir / "uploads" / f"p{project_id}"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _count(database, model):
    with database.system_session() as s:
        return len(s.scalars(select(model)).all())


def test_roles_and_strangers(database, owner_project, make_user, login):
    owner, project_id = owner_project
    viewer, editor, stranger = make_user(), make_user(), make_user()
    with database.system_session() as s:
        add_member(s, project_id, viewer, "viewer")
        add_member(s, project_id, editor, "editor")
    assert login(owner).get(_url(project_id, "/")).status_code == 200
    assert login(viewer).get(_url(project_id, "/")).status_code == 200
    assert login(viewer).get(_url(project_id, "/new/file")).status_code == 403
    assert login(editor).get(_url(project_id, "/new/database")).status_code == 200
    assert login(stranger).get(_url(project_id, "/")).status_code == 404
    assert login(stranger).get(_url(project_id, "/status.json")).status_code == 404


def test_upload_csv_creates_source_and_request(database, settings, owner_project, login):
    owner, project_id = owner_project
    client = login(owner)
    resp = _upload(client, project_id, "../../Sales 2026.csv", b"id,amount\n1,2.5\n2,3\n")
    assert resp.status_code == 302
    with database.system_session() as s:
        source = s.scalar(select(DataSource))
        assert (source.name, source.type, source.original_filename) == (
            "Sales 2026",
            "csv",
            "Sales 2026.csv",
        )
        assert source.file_path.startswith(f"uploads/p{project_id}/")
        assert ".." not in source.file_path
        request = s.scalar(select(PipelineRequest))
        assert (request.kind, request.target_id, request.status) == (
            "ingest_source",
            source.id,
            "queued",
        )
    page = client.get(resp.headers["Location"])
    assert page.status_code == 200 and b"Sales 2026" in page.data
    listing = client.get(_url(project_id, "/"))
    assert b"queued" in listing.data
    status = client.get(_url(project_id, "/status.json")).get_json()
    assert status["sources"][0]["busy"] is True


@pytest.mark.parametrize(
    "name,data,kind,message",
    [
        (
            "notes.txt",
            b"hello",
            "csv",
            "Invalid file type. Only Excel (.xlsx, .xls) and CSV files are allowed.",
        ),
        ("report.csv", b"a,b\n1,2\n", "pdf", "Invalid file type. Only PDF files are allowed."),
        ("ragged.csv", b"a,b\n1,2\n3,4,5\n", "csv", "Row 3 has 3 value(s)"),
        ("empty.csv", b"", "csv", "The file is empty."),
        ("junk.xlsx", b"\x00\x01junk", "excel", "not a readable Excel workbook"),
    ],
)
def test_bad_uploads_answer_400_and_leave_nothing(
    database, settings, owner_project, login, name, data, kind, message
):
    owner, project_id = owner_project
    resp = _upload(login(owner), project_id, name, data, kind=kind)
    assert resp.status_code == 400
    assert message.encode() in resp.data.replace(b"&#39;", b"'")
    assert _count(database, DataSource) == 0 and _count(database, PipelineRequest) == 0
    assert _uploads(settings, project_id) == []


def test_upload_over_the_limit_answers_413(database, settings, owner_project, make_user):
    from webapp import create_app

    owner, project_id = owner_project
    small = create_app(
        dataclasses.replace(settings, upload_max_bytes=1024),
        config={
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "SERVER_NAME": "localhost",
        },
    )
    try:
        client = small.test_client()
        client.post("/auth/login", data={"email": owner.email, "password": "correct-horse-9"})
        resp = _upload(client, project_id, "big.csv", b"a\n" + b"1\n" * 5000)
        assert resp.status_code == 413
    finally:
        small.extensions["dra_database"].dispose()
    assert _count(database, DataSource) == 0 and _uploads(settings, project_id) == []


def test_tier_limit_is_enforced_before_creating(database, settings, owner_project, login):
    owner, project_id = owner_project
    with database.system_session() as s:
        for n in range(5):  # the Free tier allows 5 sources per project
            s.add(DataSource(project_id=project_id, name=f"s{n}", type="csv"))
    resp = _upload(login(owner), project_id, "six.csv", b"a\n1\n")
    assert resp.status_code == 403
    assert b"allows 5 data sources in this project" in resp.data
    assert _count(database, DataSource) == 5 and _uploads(settings, project_id) == []


def test_an_editor_adds_a_source_within_the_owners_tier(
    database, settings, owner_project, make_user, login
):
    """UC-DS-04 "Project Owner / Editor": an editor uploads a file; what counts is the
    project owner's tier, not the editor's own (the editor is on the Free tier's 5)."""
    owner, project_id = owner_project
    editor = make_user()
    with database.system_session() as s:
        set_tier(s, owner, "Enterprise")
        add_member(s, project_id, editor, "editor")
        for n in range(5):
            s.add(DataSource(project_id=project_id, name=f"s{n}", type="csv"))
    resp = _upload(login(editor), project_id, "six.csv", b"a\n1\n")
    assert resp.status_code == 302, resp.data
    assert _count(database, DataSource) == 6
    source_id = int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    assert login(editor).post(_url(project_id, f"/{source_id}/refresh")).status_code == 302
    assert login(editor).post(_url(project_id, f"/{source_id}/delete")).status_code == 403
    assert _count(database, DataSource) == 6


def test_an_editor_is_held_to_the_owners_tier(database, settings, owner_project, make_user, login):
    owner, project_id = owner_project
    editor = make_user()
    with database.system_session() as s:
        set_tier(s, editor, "Enterprise")  # the editor's own tier does not count here
        add_member(s, project_id, editor, "editor")
        for n in range(5):  # the owner is on the Free tier: 5 sources per project
            s.add(DataSource(project_id=project_id, name=f"s{n}", type="csv"))
    resp = _upload(login(editor), project_id, "six.csv", b"a\n1\n")
    assert resp.status_code == 403
    assert b"allows 5 data sources in this project" in resp.data
    assert _count(database, DataSource) == 5 and _uploads(settings, project_id) == []


def test_connect_database_test_then_save(database, settings, owner_project, login, source_db):  # noqa: F811
    owner, project_id = owner_project
    client = login(owner)
    details = {**details_for(source_db), "password": "pw-never-shown"}
    missing = client.post(
        _url(project_id, "/new/database"),
        data={"type": "postgresql", "host": "x", "action": "test"},
    )
    assert missing.status_code == 400
    assert b"Please provide all connection fields" in missing.data
    tested = client.post(
        _url(project_id, "/new/database"), data={"type": "postgresql", "action": "test", **details}
    )
    assert tested.status_code == 200
    assert b"public.orders" in tested.data and b"sales.orders" in tested.data
    assert b"pw-never-shown" not in tested.data
    assert _count(database, DataSource) == 0  # a test saves nothing
    saved = client.post(
        _url(project_id, "/new/database"),
        data={
            "type": "postgresql",
            "action": "save",
            "name": "Shop",
            "tables": ["public.orders"],
            "cursor__public.orders": "id",
            **{k: v for k, v in details.items() if k != "password"},
        },
    )
    assert saved.status_code == 302
    with database.system_session() as s:
        source = s.scalar(select(DataSource))
        assert source.selected_tables == ["public.orders"]
        assert source.settings == {"incremental": {"public.orders": "id"}}
        assert s.scalar(select(PipelineRequest)).target_id == source.id
    page = client.get(saved.headers["Location"])
    assert b"pw-never-shown" not in page.data and b"Read live from the source" in page.data
    ingest_source(database, settings, source.id)
    loaded = client.get(saved.headers["Location"])
    assert b"incremental on id, last value 250" in loaded.data
    assert b"pw-never-shown" not in loaded.data


def test_unreachable_database_answers_400_and_saves_nothing(database, owner_project, login):
    owner, project_id = owner_project
    resp = login(owner).post(
        _url(project_id, "/new/database"),
        data={
            "type": "mysql",
            "action": "test",
            "host": "127.0.0.1",
            "port": "1",
            "database_name": "x",
            "username": "u",
            "password": "p",
        },
    )
    assert resp.status_code == 400
    assert b"The data source could not be connected" in resp.data
    assert _count(database, DataSource) == 0


def test_schema_preview_and_stale_cache(
    database,
    settings,
    owner_project,
    login,
    pg_cluster,
    source_db,  # noqa: F811 - a fixture imported from test_connectors_postgres
):
    owner, project_id = owner_project
    client = login(owner)
    source_id = _connect_shop_source(client, database, project_id, source_db)
    ingest_source(database, settings, source_id)
    page = client.get(_url(project_id, f"/{source_id}?table=shop_sales_orders"))
    assert page.status_code == 200
    assert b"north" in page.data and b"region" in page.data
    pg_cluster.drop_database(source_db.rsplit("/", 1)[1].split("?")[0])
    stale = client.get(_url(project_id, f"/{source_id}"))
    assert stale.status_code == 200
    assert b"Stale:" in stale.data and b"public.orders" in stale.data
    bogus = client.get(_url(project_id, f"/{source_id}?table=pg_authid"))
    assert b"does not belong to the data source" in bogus.data


def test_refresh_queues_once(database, owner_project, login):
    owner, project_id = owner_project
    with database.system_session() as s:
        source = DataSource(project_id=project_id, name="s", type="csv", status="ready")
        s.add(source)
        s.flush()
        source_id = source.id
    client = login(owner)
    assert client.post(_url(project_id, f"/{source_id}/refresh")).status_code == 302
    again = client.post(
        _url(project_id, f"/{source_id}/refresh"), headers={"Accept": "application/json"}
    )
    assert again.status_code == 202 and again.get_json()["queued"] is False
    assert _count(database, PipelineRequest) == 1


def test_delete_warns_then_breaks_models_and_removes_data(
    database, settings, owner_project, login, make_user
):
    owner, project_id = owner_project
    client = login(owner)
    _upload(client, project_id, "gone.csv", b"a,b\n1,2\n")
    with database.system_session() as s:
        source_id = s.scalar(select(DataSource.id))
        s.add(
            DataModel(
                project_id=project_id,
                data_source_id=source_id,
                name="Revenue model",
                status="active",
            )
        )
    ingest_source(database, settings, source_id)
    admin = make_user()
    with database.system_session() as s:
        add_member(s, project_id, admin, "admin")
    assert (
        login(admin)
        .post(_url(project_id, f"/{source_id}/delete"), data={"confirm": "yes"})
        .status_code
        == 403
    )
    warning = client.get(_url(project_id, f"/{source_id}/delete"))
    assert b"Revenue model" in warning.data and b"marked broken" in warning.data
    assert client.post(_url(project_id, f"/{source_id}/delete")).status_code == 400
    done = client.post(_url(project_id, f"/{source_id}/delete"), data={"confirm": "yes"})
    assert done.status_code == 302
    with database.system_session() as s:
        assert s.get(DataSource, source_id) is None
        assert s.scalar(select(DataModel.status)) == "broken"
    with database.system_engine.connect() as conn:
        assert (
            conn.exec_driver_sql(
                "select count(*) from pg_tables where schemaname = %s", (f"raw_p{project_id}",)
            ).scalar()
            == 0
        )
    assert _uploads(settings, project_id) == []


def test_refresh_of_an_unreachable_database_answers_400(
    database,
    settings,
    owner_project,
    login,
    pg_cluster,
    source_db,  # noqa: F811 - a fixture imported from test_connectors_postgres
):
    owner, project_id = owner_project
    client = login(owner)
    source_id = _connect_shop_source(client, database, project_id, source_db)
    with database.system_session() as s:
        s.execute(PipelineRequest.__table__.delete())
    pg_cluster.drop_database(source_db.rsplit("/", 1)[1].split("?")[0])
    resp = client.post(
        _url(project_id, f"/{source_id}/refresh"), headers={"Accept": "application/json"}
    )
    assert resp.status_code == 400
    assert "could not be connected" in resp.get_json()["message"]
    assert _count(database, PipelineRequest) == 0


def test_new_source_is_picked_up_by_the_request_sensor(database, settings, owner_project, login):
    import dagster as dg

    from orchestration.definitions import defs
    from orchestration.resources import PlatformResource

    owner, project_id = owner_project
    _upload(login(owner), project_id, "fresh.csv", b"a\n1\n")
    with database.system_session() as s:
        source_id = s.scalar(select(DataSource.id))
    sensor = defs.get_sensor_def("pipeline_request_sensor")
    resources = {
        "platform": PlatformResource(database_url=database.url, data_dir=str(settings.data_dir))
    }
    result = sensor(
        dg.build_sensor_context(
            instance=dg.DagsterInstance.ephemeral(), resources=resources, definitions=defs
        )
    )
    assert [(r.job_name, r.partition_key) for r in result.run_requests] == [
        ("ingest_source_job", str(source_id))
    ]
    assert result.dynamic_partitions_requests[0].partition_keys == [str(source_id)]


def test_save_needs_a_tested_connection_and_a_table(database, owner_project, login, source_db):  # noqa: F811
    owner, project_id = owner_project
    client = login(owner)
    fields = {k: v for k, v in details_for(source_db).items() if k != "password"}
    untested = client.post(
        _url(project_id, "/new/database"),
        data={
            "type": "postgresql",
            "action": "save",
            "name": "x",
            "tables": ["public.orders"],
            **fields,
        },
    )
    assert untested.status_code == 400 and b"Test the connection first" in untested.data
    client.post(
        _url(project_id, "/new/database"),
        data={"type": "postgresql", "action": "test", **details_for(source_db)},
    )
    none = client.post(
        _url(project_id, "/new/database"),
        data={"type": "postgresql", "action": "save", "name": "x", **fields},
    )
    assert none.status_code == 400 and b"Choose at least one table" in none.data
    assert b"public.orders" in none.data  # the tables are offered again
    assert _count(database, DataSource) == 0


def _connect_shop_source(client, database, project_id: int, db_url: str) -> int:
    """Test, then save, a PostgreSQL source over the shop database; return its id."""
    client.post(
        _url(project_id, "/new/database"),
        data={"type": "postgresql", "action": "test", **details_for(db_url)},
    )
    client.post(
        _url(project_id, "/new/database"),
        data={
            "type": "postgresql",
            "action": "save",
            "name": "Shop",
            "tables": ["sales.orders"],
            **details_for(db_url),
        },
    )
    with database.system_session() as s:
        return s.scalar(select(DataSource.id))


def _upload_and_ingest(client, database, settings, project_id, name, data, **extra) -> DataSource:
    """Upload through the page, then run the ingestion the request sensor would launch."""
    resp = _upload(client, project_id, name, data, **extra)
    assert resp.status_code == 302, resp.data[-2000:]
    source_id = int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    ingest_source(database, settings, source_id)
    with database.system_session() as s:
        source = s.get(DataSource, source_id)
        s.expunge(source)
        return source


def _rows(database, sql):
    with database.system_engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(sql).all()]


@pytest.mark.parametrize(
    "data",
    [
        b"id,amount\n1,2.5\n2,3\n\n",
        b"id,amount\r\n1,2.5\r\n2,3\r\n\r\n\r\n",
        b"id,amount\r\n1,2.5\r\n\r\n2,3\r\n",
    ],
)
def test_blank_lines_are_not_rows(database, settings, owner_project, login, data):
    owner, project_id = owner_project
    source = _upload_and_ingest(login(owner), database, settings, project_id, "spend.csv", data)
    assert (source.status, source.last_error, source.row_count) == ("ready", None, 2)
    rows = _rows(database, f"select id, amount from raw_p{project_id}.spend order by id")
    assert [(i, float(a)) for i, a in rows] == [(1, 2.5), (2, 3.0)]


def test_windows_1252_file_is_stored_as_written(database, settings, owner_project, login):
    owner, project_id = owner_project
    text = "produit;prix;note\r\n“Crème brûlée”;€4,50;très bon\r\nCafé;€2;„gut“ – ok\r\n"
    source = _upload_and_ingest(
        login(owner), database, settings, project_id, "menu.csv", text.encode("cp1252")
    )
    assert source.status == "ready" and source.last_error is None
    assert source.settings["summary"] == "3 columns, windows-1252, delimiter ';'"
    rows = _rows(database, f"select produit, prix, note from raw_p{project_id}.menu")
    assert rows == [("“Crème brûlée”", "€4,50", "très bon"), ("Café", "€2", "„gut“ – ok")]


STORED_NAME = re.compile(rb"\d{14}_[0-9a-f]{6}_")  # the time prefix of an uploaded file


def test_uploaded_tables_are_named_as_the_user_named_the_files(
    database, settings, owner_project, login, tmp_path
):
    owner, project_id = owner_project
    client = login(owner)
    data = b"day,spend\n2026-11-01,12.5\n2026-11-02,3\n"
    first = _upload_and_ingest(client, database, settings, project_id, "ad_spend.csv", data)
    second = _upload_and_ingest(
        client, database, settings, project_id, "ad_spend.csv", data + b"2026-11-03,4\n"
    )
    book = make_xlsx(tmp_path / "Budget.xlsx").read_bytes()
    _upload_and_ingest(client, database, settings, project_id, "Budget.xlsx", book, kind="excel")
    assert STORED_NAME.search(first.file_path.encode())  # stored under a unique name...
    page = client.get(_url(project_id, f"/{first.id}"))
    assert page.status_code == 200
    assert not STORED_NAME.search(page.data)  # ...that nobody sees
    assert b"<strong>ad_spend</strong>" in page.data
    assert f"raw_p{project_id}.ad_spend ".encode() in page.data
    assert b"Preview: ad_spend " in page.data and b"2026-11-02" in page.data
    page = client.get(_url(project_id, f"/{second.id}"))
    assert b"<strong>ad_spend_2</strong>" in page.data and b"2026-11-03" in page.data
    catalog = client.get(f"/projects/{project_id}/models/catalog").get_json()["tables"]
    assert {t["name"]: t["label"] for t in catalog} == {
        "ad_spend": "ad_spend",
        "ad_spend_2": "ad_spend",
        "budget_sales": "Budget · Sales",
        "budget_stock": "Budget · Stock",
    }
    for sql, rows in (("select * from ad_spend", 2), ("select * from ad_spend_2", 3)):
        resp = client.post(f"/projects/{project_id}/models/preview", json={"sql": sql})
        assert resp.status_code == 200, resp.get_json()
        assert resp.get_json()["rowCount"] == rows


def test_a_source_named_by_its_stored_file_takes_its_table_name_when_refreshed(
    database, settings, owner_project, login
):
    """Sources loaded before keep their table (models' SQL reads it); only the name shown
    changes, at the next ingestion (the daily one at the latest)."""
    owner, project_id = owner_project
    client = login(owner)
    source = _upload_and_ingest(
        client, database, settings, project_id, "ad_spend.csv", b"a,b\n1,2\n"
    )
    old_table = f"ad_spend_s{source.id}"  # how a clash used to be named
    stored = source.file_path.rsplit("/", 1)[1]
    with database.system_session() as s:
        s.execute(text(f"alter table raw_p{project_id}.ad_spend rename to {old_table}"))
        s.execute(
            update(DataSourceTable)
            .where(DataSourceTable.data_source_id == source.id)
            .values(source_table=stored, raw_table=old_table)
        )
    assert stored.encode() in client.get(_url(project_id, f"/{source.id}")).data
    ingest_source(database, settings, source.id)
    with database.system_session() as s:
        tables = s.scalars(
            select(DataSourceTable).where(DataSourceTable.data_source_id == source.id)
        ).all()
        assert [(t.source_table, t.raw_table, t.row_count) for t in tables] == [
            (old_table, old_table, 1)
        ]
    page = client.get(_url(project_id, f"/{source.id}"))
    assert (
        not STORED_NAME.search(page.data) and f"<strong>{old_table}</strong>".encode() in page.data
    )
