"""The data-model asset: atomic builds, version bumps, kept tables on failure, requests."""

from __future__ import annotations

import time

import dagster as dg
import pytest
from sqlalchemy import select, text

from assets.data_models import data_model_tables
from dra.modeling import service
from dra.models import DataModel, PipelineRequest
from dra.project_roles import project_role_name
from tests.support.factories import project_with_roles
from tests.support.modeling import JOIN_QUERY, seed_shop


@pytest.fixture
def shop(database):
    with database.system_session() as s:
        roles = project_with_roles(s)
    seed_shop(database, roles.project_id)
    return roles


def project_role(database, project_id: int) -> str:
    return project_role_name(database.system_engine.url.database, project_id)


def saved_model(database, shop, **definition):
    with database.system_session() as s:
        return service.save_model(
            s, database, shop.project_id, shop.owner.id, name="Revenue", **definition
        ).model.id


def test_asset_builds_the_table_and_bumps_the_version(database, shop, materialize):
    model_id = saved_model(database, shop, query_json=JOIN_QUERY)
    with database.system_session() as s:
        version = s.get(DataModel, model_id).version
    result = materialize(
        [data_model_tables],
        partition_key=str(model_id),
        dynamic_partitions={"data_models": [model_id]},
    )
    assert result.success
    with database.system_session() as s:
        model = s.get(DataModel, model_id)
        assert (model.status, model.materialized_table, model.row_count) == (
            "active",
            f"model_{model_id}",
            2,
        )
        assert model.version == version + 1 and model.last_materialized_at is not None
        rows = s.execute(
            text(
                f"select country, revenue from models_p{shop.project_id}."
                f"model_{model_id} order by country"
            )
        ).all()
        assert [r[0] for r in rows] == ["FR", "US"]
        # the project's role can read it (dashboards do), not write it; dra_readonly cannot
        table = {"t": f"models_p{shop.project_id}.model_{model_id}"}
        privilege = "select has_table_privilege(:r, :t, :p)"
        role = project_role(database, shop.project_id)
        assert s.scalar(text(privilege), {**table, "r": role, "p": "select"})
        assert not s.scalar(text(privilege), {**table, "r": role, "p": "insert"})
        assert not s.scalar(text(privilege), {**table, "r": "dra_readonly", "p": "select"})
    events = materialize.instance.get_latest_materialization_events([data_model_tables.key])
    assert events[data_model_tables.key] is not None


def test_failed_build_keeps_the_last_good_table_and_records_the_error(database, shop, materialize):
    model_id = saved_model(database, shop, sql="select id, amount from orders")
    assert materialize(
        [data_model_tables],
        partition_key=str(model_id),
        dynamic_partitions={"data_models": [model_id]},
    ).success
    with database.system_session() as s:
        s.execute(text(f"alter table raw_p{shop.project_id}.orders rename column amount to total"))
    result = materialize([data_model_tables], partition_key=str(model_id), raise_on_error=False)
    assert not result.success
    with database.system_session() as s:
        model = s.get(DataModel, model_id)
        assert model.status == "failed" and "amount" in model.last_error
        kept = s.scalar(text(f"select count(*) from models_p{shop.project_id}.model_{model_id}"))
        assert kept == 30


def test_refresh_request_runs_through_the_request_sensor(database, shop, settings):
    from orchestration.definitions import defs
    from orchestration.resources import PlatformResource

    model_id = saved_model(database, shop, query_json=JOIN_QUERY)
    with database.system_session() as s:
        s.add(DataModel(project_id=shop.project_id, name="ghost", query="select 1"))
    instance = dg.DagsterInstance.ephemeral()
    resources = {
        "platform": PlatformResource(database_url=database.url, data_dir=str(settings.data_dir))
    }
    sensor = defs.get_sensor_def("pipeline_request_sensor")
    result = sensor(
        dg.build_sensor_context(instance=instance, resources=resources, definitions=defs)
    )
    [run] = [r for r in result.run_requests if r.job_name == "refresh_model_job"]
    assert run.partition_key == str(model_id)
    assert any(
        req.partitions_def_name == "data_models" and req.partition_keys == [str(model_id)]
        for req in result.dynamic_partitions_requests
    )
    # a request whose model was deleted fails with a message instead of launching a run
    with database.system_session() as s:
        service.delete_model(s, database, shop.project_id, model_id)
    sensor(dg.build_sensor_context(instance=instance, resources=resources, definitions=defs))
    with database.system_session() as s:
        request = s.scalar(select(PipelineRequest).where(PipelineRequest.target_id == model_id))
        assert (request.status, request.error) == ("failed", "The target no longer exists.")


def test_ingesting_a_source_queues_its_models(database, shop, settings, materialize):
    from orchestration.definitions import defs
    from orchestration.resources import PlatformResource

    model_id = saved_model(database, shop, sql="select * from customers")
    with database.system_session() as s:
        source_id = s.get(DataModel, model_id).data_source_id
    instance = materialize.instance
    instance.add_dynamic_partitions("data_sources", [str(source_id)])
    instance.report_runless_asset_event(
        dg.AssetMaterialization(asset_key="raw_source_tables", partition=str(source_id))
    )
    resources = {
        "platform": PlatformResource(database_url=database.url, data_dir=str(settings.data_dir))
    }
    sensor = defs.get_sensor_def("model_refresh_after_ingest_sensor")
    result = sensor(
        dg.build_sensor_context(instance=instance, resources=resources, definitions=defs)
    )
    assert [r.partition_key for r in result.run_requests] == [str(model_id)]


def test_the_models_query_runs_as_the_projects_role(database, shop, materialize):
    model_id = saved_model(database, shop, sql="select current_user as who, id from orders")
    assert materialize(
        [data_model_tables],
        partition_key=str(model_id),
        dynamic_partitions={"data_models": [model_id]},
    ).success
    with database.system_session() as s:
        who = s.scalars(
            text(f"select distinct who from models_p{shop.project_id}.model_{model_id}")
        ).all()
    assert who == [project_role(database, shop.project_id)]


def test_a_build_past_its_time_limit_fails_with_the_reason_and_keeps_the_table(
    database, shop, materialize, monkeypatch, login
):
    model_id = saved_model(database, shop, sql="select id from orders")
    build(database, shop, materialize, model_id)
    # saving validates on one row (0.2 s); the build would sleep 0.2 s for each of 30
    with database.system_session() as s:
        service.save_model(
            s,
            database,
            shop.project_id,
            shop.owner.id,
            name="Slow",
            sql="select id, pg_sleep(0.2)::text as nap from orders",
            model_id=model_id,
        )
    monkeypatch.setenv("DRA_MODEL_BUILD_TIMEOUT_SECONDS", "1")
    started = time.monotonic()
    result = materialize([data_model_tables], partition_key=str(model_id), raise_on_error=False)
    assert time.monotonic() - started < 5  # stopped at 1 s, not after the 6 s of sleeping
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "took longer than 1 second " in str(failure.event_specific_data.error)
    with database.system_session() as s:
        model = s.get(DataModel, model_id)
        assert model.status == "failed"
        assert model.last_error.startswith("The build took longer than 1 second and")
        kept = s.execute(
            text(f"select * from models_p{shop.project_id}.model_{model_id} order by id")
        ).all()
        assert len(kept) == 30 and len(kept[0]) == 1  # the last good table, as it was
    page = login(shop.owner).get(f"/projects/{shop.project_id}/models/{model_id}")
    assert "The build took longer than 1 second " in page.get_data(as_text=True)


def build(database, shop, materialize, model_id):
    assert materialize(
        [data_model_tables],
        partition_key=str(model_id),
        dynamic_partitions={"data_models": [model_id]},
    ).success


def test_models_reading_models_are_rebuilt_after_them_and_never_read_themselves(
    database, shop, settings, materialize
):
    from dra.modeling.errors import ModelingError
    from dra.models import DataModelInput
    from orchestration.definitions import defs
    from orchestration.resources import PlatformResource

    base = saved_model(database, shop, sql="select id, country from customers")
    build(database, shop, materialize, base)
    top = saved_model(database, shop, sql=f"select count(*) as n from model_{base}")
    mid = saved_model(
        database,
        shop,
        sql=f"select c.id, c.country from customers c join model_{base} b on b.id = c.id",
    )
    build(database, shop, materialize, top)
    with database.system_session() as s:
        links = s.execute(select(DataModelInput.data_model_id, DataModelInput.upstream_model_id))
        assert sorted(links) == [(top, base), (mid, base)]
        before = s.get(DataModel, base).version

    # base may not read top (which reads base), nor top itself
    for model_id, query in (
        (base, f"select * from model_{top}"),
        (top, f"select * from model_{top}"),
    ):
        with database.system_session() as s, pytest.raises(ModelingError) as refused:
            service.save_model(
                s,
                database,
                shop.project_id,
                shop.owner.id,
                name="Loop",
                sql=query,
                model_id=model_id,
            )
        assert refused.value.status == 400 and refused.value.field == "query"
        assert "cannot read its own table" in refused.value.message
    with database.system_session() as s:
        assert s.get(DataModel, base).version == before
        assert s.get(DataModel, base).name == "Revenue"

    instance = materialize.instance
    resources = {
        "platform": PlatformResource(database_url=database.url, data_dir=str(settings.data_dir))
    }

    def run(sensor_name: str) -> list[str]:
        sensor = defs.get_sensor_def(sensor_name)
        result = sensor(
            dg.build_sensor_context(instance=instance, resources=resources, definitions=defs)
        )
        return [r.partition_key for r in result.run_requests]

    # customers ingested: base and mid read it, but mid waits for base
    with database.system_session() as s:
        source_id = s.get(DataModel, base).data_source_id
    instance.add_dynamic_partitions("data_sources", [str(source_id)])
    instance.report_runless_asset_event(
        dg.AssetMaterialization(asset_key="raw_source_tables", partition=str(source_id))
    )
    assert run("model_refresh_after_ingest_sensor") == [str(base)]
    # base rebuilt: both models reading it follow
    instance.report_runless_asset_event(
        dg.AssetMaterialization(asset_key="data_model_tables", partition=str(base))
    )
    assert sorted(run("model_refresh_after_model_sensor")) == sorted([str(top), str(mid)])

    # a copy reads what the original reads
    with database.system_session() as s:
        copy = service.copy_model(s, database, shop.project_id, top, shop.owner.id)
        copy_id = copy.id
    with database.system_session() as s:
        assert s.scalars(
            select(DataModelInput.upstream_model_id).where(DataModelInput.data_model_id == copy_id)
        ).all() == [base]


def test_built_tables_keep_the_columns_precise_types(database, shop, materialize):
    schema = f"raw_p{shop.project_id}"
    with database.system_session() as s:
        s.execute(
            text(
                f'create table "{schema}".prices (sku varchar(12), price numeric(10,2),'
                " seen_at timestamp(0) with time zone, note text)"
            )
        )
        s.execute(text(f"insert into \"{schema}\".prices values ('A-1', 9.99, now(), 'x')"))
    model_id = saved_model(database, shop, sql="select * from prices")
    build(database, shop, materialize, model_id)
    with database.system_session() as s:
        types = s.execute(
            text(
                "select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a"
                " where a.attrelid = to_regclass(:t) and a.attnum > 0 order by a.attnum"
            ),
            {"t": f"models_p{shop.project_id}.model_{model_id}"},
        ).all()
    assert types == [
        ("sku", "character varying(12)"),
        ("price", "numeric(10,2)"),
        ("seen_at", "timestamp(0) with time zone"),
        ("note", "text"),
    ]


def _refresh_model_job():
    """The platform's refresh job, for dg.reconstructable (runs with the job's own executor)."""
    from orchestration.definitions import defs

    return defs.resolve_job_def("refresh_model_job")


def test_a_requested_run_writes_its_status_and_step_itself(database, shop, settings, monkeypatch):
    """No run-status sensor here: the run marks its request running on its first step,
    with the step, and succeeded (or failed, with the step's error) when it is done."""
    import assets.data_models
    from orchestration.requests import request_tags

    monkeypatch.setenv("DRA_DATABASE_URL", database.url)
    monkeypatch.setenv("DRA_DATA_DIR", str(settings.data_dir))
    seen = []
    build = assets.data_models.materialize_model

    def watched(db, model_id, **kwargs):
        with database.system_session() as s:
            request = s.scalar(select(PipelineRequest).where(PipelineRequest.target_id == model_id))
            seen.append((request.status, request.message, request.dagster_run_id))
        return build(db, model_id, **kwargs)

    monkeypatch.setattr(assets.data_models, "materialize_model", watched)
    instance = dg.DagsterInstance.ephemeral()

    def run(model_id):
        with database.system_session() as s:
            request_id = service.latest_refresh(s, model_id).id
        instance.add_dynamic_partitions("data_models", [str(model_id)])
        tags = {**request_tags(request_id), "dagster/partition": str(model_id)}
        with dg.execute_job(
            dg.reconstructable(_refresh_model_job), instance=instance, tags=tags
        ) as result:
            outcome = (result.success, result.run_id)
        with database.system_session() as s:
            return outcome, s.get(PipelineRequest, request_id)

    model_id = saved_model(database, shop, sql="select id, amount from orders")
    (ok, run_id), request = run(model_id)
    assert ok
    assert seen == [("running", "building the table", run_id)]  # step data_model_tables
    assert (request.status, request.dagster_run_id, request.error) == ("succeeded", run_id, None)
    assert request.started_at <= request.finished_at
    assert request.message == "verifying the Soda contract"  # the last step it ran

    broken = saved_model(database, shop, sql="select id, amount from orders")
    with database.system_session() as s:
        s.execute(text(f"alter table raw_p{shop.project_id}.orders rename column amount to total"))
    (ok, _), request = run(broken)
    assert not ok
    assert request.status == "failed"
    assert request.error.startswith(f"Data model #{broken}: ") and "amount" in request.error


def test_a_model_depends_on_the_sources_it_reads_only(database, shop, materialize):
    from assets.data_models import data_models_partitions
    from assets.ingestion import data_sources_partitions, raw_source_tables
    from dra.models import DataSource

    with database.system_session() as s:
        ids = dict(s.execute(select(DataSource.name, DataSource.id)).all())
    orders, customers = str(ids["Shop"]), str(ids["CRM"])
    model_id = saved_model(database, shop, sql="select id, amount from orders")
    instance = materialize.instance
    instance.add_dynamic_partitions("data_sources", [orders, customers])
    instance.add_dynamic_partitions("data_models", [str(model_id)])

    # in the asset graph, the model's partition needs no partition of a source it does not read
    mapping = data_model_tables.get_partition_mapping(raw_source_tables.key)
    upstream = mapping.get_upstream_mapped_partitions_result_for_partitions(
        data_models_partitions.empty_subset().with_partition_keys([str(model_id)]),
        data_models_partitions,
        data_sources_partitions,
        dynamic_partitions_store=instance,
    ).partitions_subset.get_partition_keys()
    assert set(upstream) <= {orders}
    # each build records the sources it read
    result = materialize([data_model_tables], partition_key=str(model_id))
    [built] = result.asset_materializations_for_node("data_model_tables")
    assert built.metadata["sources"].value == orders
    assert built.metadata["reads"].value == "orders"
