"""The demo project and the ingestion assets, against the real database."""

import dagster as dg
from sqlalchemy import select, text

from assets.ingestion import all_sources_refreshed, data_sources_partitions, raw_source_tables
from dra.demo.load import load_demo
from dra.models import DataSource, PipelineRequest, Project


def test_demo_load_is_idempotent(database, settings):
    first = load_demo(database.url, settings)
    second = load_demo(database.url, settings)
    assert "4 ingestion request(s) queued" in first
    assert "0 ingestion request(s) queued" in second
    with database.system_session() as s:
        assert s.scalar(select(text("count(*)")).select_from(Project)) == 1
        assert len(s.scalars(select(DataSource)).all()) == 4
        assert len(s.scalars(select(PipelineRequest)).all()) == 4


def test_source_partition_materializes_typed_raw_table(database, settings, materialize):
    load_demo(database.url, settings)
    with database.system_session() as s:
        orders = s.scalar(select(DataSource).where(DataSource.name == "Orders"))
        source_id, project_id = orders.id, orders.project_id
    result = materialize(
        [raw_source_tables],
        partition_key=str(source_id),
        dynamic_partitions={data_sources_partitions.name: [source_id]},
    )
    assert result.success
    with database.system_engine.connect() as conn:
        count = conn.execute(text(f"select count(*) from raw_p{project_id}.orders")).scalar()
        types = dict(
            conn.execute(
                text(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = :s and table_name = 'orders'"
                ),
                {"s": f"raw_p{project_id}"},
            ).all()
        )
    assert count == 2500
    assert types["amount"] == "numeric" and types["ordered_at"] == "timestamp with time zone"
    with database.system_session() as s:
        source = s.get(DataSource, source_id)
        assert source.status == "ready" and source.row_count == 2500
        assert [t.raw_table for t in source.tables] == ["orders"]


def test_failed_load_keeps_last_good_table(database, settings, materialize):
    load_demo(database.url, settings)
    with database.system_session() as s:
        source = s.scalar(select(DataSource).where(DataSource.name == "Products"))
        source_id, project_id = source.id, source.project_id
        path = settings.data_dir / source.file_path
    parts = {data_sources_partitions.name: [source_id]}
    assert materialize(
        [raw_source_tables], partition_key=str(source_id), dynamic_partitions=parts
    ).success
    path.write_bytes(b"\x00\x00binary junk\x00")
    result = materialize(
        [raw_source_tables],
        partition_key=str(source_id),
        dynamic_partitions=parts,
        raise_on_error=False,
    )
    assert not result.success
    with database.system_engine.connect() as conn:
        assert conn.execute(text(f"select count(*) from raw_p{project_id}.products")).scalar() == 16
        leftovers = conn.execute(
            text("select count(*) from pg_tables where tablename like '\\_load\\_%'")
        ).scalar()
    assert leftovers == 0
    with database.system_session() as s:
        failed = s.get(DataSource, source_id)
        assert failed.status == "failed" and "binary" in failed.last_error


def test_daily_ingest_logs_processed_and_completed(database, settings, materialize):
    load_demo(database.url, settings)
    result = materialize([all_sources_refreshed])
    assert result.success
    messages = [r.user_message for r in materialize.instance.all_logs(result.run_id)]
    assert any("processed" in m for m in messages)
    assert any("daily_ingest completed: 4 of 4 sources" in m for m in messages)
    records = materialize.instance.get_latest_materialization_events([raw_source_tables.key])
    assert records[raw_source_tables.key] is not None


def test_request_sensor_launches_each_request_once(database, settings):
    from orchestration.definitions import defs
    from orchestration.resources import PlatformResource

    load_demo(database.url, settings)
    sensor = defs.get_sensor_def("pipeline_request_sensor")
    instance = dg.DagsterInstance.ephemeral()
    resources = {
        "platform": PlatformResource(database_url=database.url, data_dir=str(settings.data_dir))
    }
    ctx = dg.build_sensor_context(instance=instance, resources=resources, definitions=defs)
    first = sensor(ctx)
    assert len(first.run_requests) == 4
    assert {r.job_name for r in first.run_requests} == {"ingest_source_job"}
    assert all(r.run_key.startswith("request-") for r in first.run_requests)
    assert len(first.dynamic_partitions_requests[0].partition_keys) == 4
    # Until a run starts, the request is offered again with the same run key, which the
    # daemon skips: a request runs once.
    again = sensor(
        dg.build_sensor_context(instance=instance, resources=resources, definitions=defs)
    )
    assert {r.run_key for r in again.run_requests} == {r.run_key for r in first.run_requests}
    with database.system_session() as s:  # queued until their runs start
        assert {r.status for r in s.scalars(select(PipelineRequest))} == {"queued"}
