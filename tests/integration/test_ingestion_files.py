"""Uploaded files through the ingestion asset, and a source deleted while it loads."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from assets.ingestion import data_sources_partitions, raw_source_tables
from dra.ingestion.csv_files import FileFormatError
from dra.ingestion.service import ingest_source
from dra.models import DataModel, DataSource
from dra.sources.service import create_file_source, delete_source, remove_source_data
from dra.sources.uploads import store_upload
from tests.support.factories import create_project, create_user
from tests.unit.test_ingestion_files import make_pdf, make_xlsx


def _file_source(database, settings, name: str, data: bytes) -> tuple[int, int]:
    with database.system_session() as s:
        owner = create_user(s)
        project_id = create_project(s, owner)
        stored = store_upload(
            io.BytesIO(data), name, data_dir=settings.data_dir, project_id=project_id
        )
        source = create_file_source(
            s, database, project_id=project_id, user_id=owner.id, name=None, upload=stored
        )
        return source.id, project_id


def _run(materialize, source_id, raise_on_error=True):
    return materialize(
        [raw_source_tables],
        partition_key=str(source_id),
        dynamic_partitions={data_sources_partitions.name: [source_id]},
        raise_on_error=raise_on_error,
    )


def _tables(database, schema):
    with database.system_engine.connect() as conn:
        return set(
            conn.exec_driver_sql(
                "select tablename from pg_tables where schemaname = %s", (schema,)
            ).scalars()
        )


def test_excel_sheets_become_tables(database, settings, materialize, tmp_path):
    data = make_xlsx(tmp_path / "book.xlsx").read_bytes()
    source_id, project_id = _file_source(database, settings, "Shop Book.xlsx", data)
    result = _run(materialize, source_id)
    messages = [r.user_message for r in materialize.instance.all_logs(result.run_id)]
    assert any("Sheet 'Empty' is empty and was skipped" in m for m in messages)
    assert _tables(database, f"raw_p{project_id}") == {"shop_book_sales", "shop_book_stock"}
    with database.system_session() as s:
        source = s.get(DataSource, source_id)
        assert source.status == "ready" and source.row_count == 52
        assert {t.source_table for t in source.tables} == {"Sales", "Stock"}


def test_pdf_tables_and_text_become_tables(database, settings, materialize, tmp_path):
    source_id, project_id = _file_source(
        database, settings, "report.pdf", make_pdf(tmp_path / "r.pdf").read_bytes()
    )
    _run(materialize, source_id)
    schema = f"raw_p{project_id}"
    assert _tables(database, schema) == {"report_table_1", "report_text"}
    with database.system_engine.connect() as conn:
        rows = conn.exec_driver_sql(
            f"select region, sales from {schema}.report_table_1 order by region"
        ).all()
        first = conn.exec_driver_sql(
            f"select page, line, text from {schema}.report_text order by page, line limit 1"
        ).one()
    assert [tuple(r) for r in rows] == [("north", "120"), ("south", "80")]
    assert tuple(first) == (1, 1, "Quarterly report")


def test_ragged_row_past_the_sample_fails_cleanly(database, settings, materialize):
    body = b"id,name\n" + b"".join(b"%d,n%d\n" % (i, i) for i in range(30000)) + b"1,2,3\n"
    source_id, project_id = _file_source(database, settings, "long.csv", body)
    result = _run(materialize, source_id, raise_on_error=False)
    assert not result.success
    with database.system_session() as s:
        source = s.get(DataSource, source_id)
        assert source.status == "failed"
        assert "extra data after last expected column" in source.last_error
        assert "line 30002 of the file" in source.last_error
    assert not any(t.startswith("_load_") for t in _tables(database, f"raw_p{project_id}"))


def test_source_deleted_while_it_loads_ends_cleanly(database, settings):
    source_id, project_id = _file_source(database, settings, "gone.csv", b"a,b\n1,2\n3,4\n")
    with database.system_session() as s:
        s.add(
            DataModel(
                project_id=project_id, data_source_id=source_id, name="Uses gone", status="active"
            )
        )

    def delete_meanwhile(message: str) -> None:
        if "loaded" in message:  # the table is loaded; the run has not recorded it yet
            with database.system_session() as s:
                deleted = delete_source(s, s.get(DataSource, source_id))
            remove_source_data(database, settings, deleted)

    outcome = ingest_source(database, settings, source_id, log=delete_meanwhile)
    assert outcome.skipped and outcome.error == "deleted"
    assert _tables(database, f"raw_p{project_id}") == set()
    with database.system_session() as s:
        assert s.get(DataSource, source_id) is None
        model = s.scalar(select(DataModel).where(DataModel.name == "Uses gone"))
        assert model.status == "broken" and "gone" in model.last_error


def test_partition_of_a_deleted_source_materializes_nothing(database, settings, materialize):
    source_id, project_id = _file_source(database, settings, "x.csv", b"a\n1\n")
    with database.system_session() as s:
        deleted = delete_source(s, s.get(DataSource, source_id))
    remove_source_data(database, settings, deleted)
    result = _run(materialize, source_id)
    assert result.success
    messages = [r.user_message for r in materialize.instance.all_logs(result.run_id)]
    assert any("no longer exists" in m for m in messages)
    assert _tables(database, f"raw_p{project_id}") == set()


def test_latin1_file_with_duplicate_and_empty_names_loads(database, settings):
    data = "Ville;ville;;Prix\nMontréal;a;1;3,5\nZürich;b;2;4\n".encode("latin-1")
    source_id, project_id = _file_source(database, settings, "villes.csv", data)
    assert ingest_source(database, settings, source_id).rows == 2
    with database.system_engine.connect() as conn:
        rows = conn.exec_driver_sql(
            f"select ville, ville_2, col_3, prix from raw_p{project_id}.villes order by col_3"
        ).all()
    assert [tuple(r) for r in rows] == [("Montréal", "a", 1, "3,5"), ("Zürich", "b", 2, "4")]


def test_blank_lines_past_the_sample_are_not_rows(database, settings):
    """The sample (256 KB) ends long before the blank lines: the streaming load skips them."""
    body = b"id,name\r\n" + b"".join(b"%d,n%d\r\n" % (i, i) for i in range(30000))
    body = body.replace(b"\r\n1000,", b"\r\n\r\n1000,") + b"\r\n\r\n"
    source_id, project_id = _file_source(database, settings, "blank.csv", body)
    assert ingest_source(database, settings, source_id).rows == 30000
    with database.system_engine.connect() as conn:
        count = conn.exec_driver_sql(f"select count(*), max(id) from raw_p{project_id}.blank")
        assert tuple(count.one()) == (30000, 29999)


def test_a_defect_after_blank_lines_names_the_line_of_the_file(database, settings):
    body = b"id,name\n\n\n" + b"".join(b"%d,n%d\n" % (i, i) for i in range(30000)) + b"1,2,3\n"
    source_id, _ = _file_source(database, settings, "ragged.csv", body)
    with pytest.raises(FileFormatError):
        ingest_source(database, settings, source_id)
    with database.system_session() as s:
        source = s.get(DataSource, source_id)
        assert source.status == "failed"
        assert "line 30004 of the file" in source.last_error


def test_a_later_byte_that_is_not_utf8_fails_with_its_line(database, settings):
    """UTF-8 in the first 256 KB, a Latin-1 byte further on: a clear failure, no table."""
    body = b"id,name\n" + b"".join(b"%d,n%d\n" % (i, i) for i in range(30000))
    source_id, project_id = _file_source(database, settings, "mixed.csv", body + b"7,Z\xfcrich\n")
    with pytest.raises(FileFormatError):
        ingest_source(database, settings, source_id)
    with database.system_session() as s:
        error = s.get(DataSource, source_id).last_error
    assert "not UTF-8 text throughout" in error and "line 30002 of the file" in error
    assert _tables(database, f"raw_p{project_id}") == set()


def test_a_new_table_never_replaces_one_it_does_not_own(database, settings):
    """Another source's table swapped in but not yet recorded (its run still finishing)
    keeps its name and rows: the new source's table takes the next free name."""
    source_id, project_id = _file_source(database, settings, "spend.csv", b"a\n1\n2\n")
    schema = f"raw_p{project_id}"
    with database.system_engine.begin() as conn:
        conn.exec_driver_sql(f"create schema if not exists {schema}")
        conn.exec_driver_sql(f"create table {schema}.spend as select 'theirs' as owner")
    outcome = ingest_source(database, settings, source_id)
    assert outcome.tables == {"spend_2": 2}
    with database.system_engine.connect() as conn:
        assert conn.exec_driver_sql(f"select owner from {schema}.spend").scalar() == "theirs"
    with database.system_session() as s:
        [table] = s.get(DataSource, source_id).tables
        assert (table.source_table, table.raw_table) == ("spend_2", "spend_2")
