"""An analyst's whole journey through the REST API only (issue 17), with an API token:
create a project, upload a CSV, wait for its ingestion, create a model, wait for its
build, create a dashboard and a widget, read the widget's data (JSON and CSV), share the
dashboard and read the public link signed out.

The pipeline runs as it does in production, minus the Dagster daemon: the test ticks
``pipeline_request_sensor`` and executes the runs it asks for (with the requests' tags
and the jobs' own executor: each run writes its request's status), while the analyst
polls the 202's ``Location``.
"""

from __future__ import annotations

import io

import dagster as dg
import pytest

from dra.accounts.api_tokens import create_api_token
from tests.support.factories import create_user

ORDERS_CSV = b"order_id,country,amount\n1,FR,10.5\n2,FR,4.5\n3,DE,7\n4,US,=1+2\n5,US,3\n"


def _ingest_source_job():
    from orchestration.definitions import defs

    return defs.resolve_job_def("ingest_source_job")


def _refresh_model_job():
    from orchestration.definitions import defs

    return defs.resolve_job_def("refresh_model_job")


JOBS = {"ingest_source_job": _ingest_source_job, "refresh_model_job": _refresh_model_job}
"""The jobs a request launches, for dg.reconstructable: each runs with the job's own
executor, the one that writes the request's status (as in production)."""


@pytest.fixture
def pipeline(database, settings, monkeypatch):
    """tick(): one tick of the request sensor, then the runs it launched, in process."""
    from orchestration.definitions import defs
    from orchestration.resources import PlatformResource

    monkeypatch.setenv("DRA_DATABASE_URL", database.url)
    monkeypatch.setenv("DRA_DATA_DIR", str(settings.data_dir))
    instance = dg.DagsterInstance.ephemeral()
    resources = {
        "platform": PlatformResource(database_url=database.url, data_dir=str(settings.data_dir))
    }
    sensor = defs.get_sensor_def("pipeline_request_sensor")

    def tick() -> list[str]:
        asked = sensor(
            dg.build_sensor_context(instance=instance, resources=resources, definitions=defs)
        )
        for added in asked.dynamic_partitions_requests:
            instance.add_dynamic_partitions(added.partitions_def_name, added.partition_keys)
        ran = []
        for run in asked.run_requests:
            tags = {**run.tags, "dagster/partition": run.partition_key}
            job = dg.reconstructable(JOBS[run.job_name])
            with dg.execute_job(job, instance=instance, tags=tags) as result:
                assert result.success, run.job_name
            ran.append(run.job_name)
        return ran

    return tick


def _wait(api, location: str, tick) -> dict:
    """Poll a queued request as a client would, ticking the pipeline meanwhile."""
    for _ in range(3):
        polled = api.get(location)
        assert polled.status_code == 200, polled.get_data(as_text=True)
        if polled.get_json()["status"] in ("succeeded", "failed"):
            return polled.get_json()
        tick()
    raise AssertionError(f"{location} still {polled.get_json()['status']}")


class Api:
    def __init__(self, client, token: str):
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def __getattr__(self, method: str):
        def call(path: str, **kwargs):
            kwargs["headers"] = {**self.headers, **kwargs.get("headers", {})}
            return getattr(self.client, method)(path, **kwargs)

        return call


def test_an_analyst_journey_through_the_api_only(app, database, pipeline):
    with database.system_session() as s:
        analyst = create_user(s)
        token = create_api_token(s, analyst.id, "journey").secret
    api = Api(app.test_client(), token)

    # a project
    created = api.post("/api/v1/projects", json={"name": "Shop analytics"})
    assert created.status_code == 201, created.get_data(as_text=True)
    base = f"/api/v1/projects/{created.get_json()['id']}"

    # a CSV, ingested
    upload = api.post(
        f"{base}/sources/files",
        data={"file": (io.BytesIO(ORDERS_CSV), "orders.csv"), "kind": "csv"},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 202, upload.get_data(as_text=True)
    source_id = upload.get_json()["source"]["id"]
    ingested = _wait(api, upload.headers["Location"], pipeline)
    assert (ingested["status"], ingested["kind"]) == ("succeeded", "ingest_source")
    source = api.get(f"{base}/sources/{source_id}").get_json()
    assert (source["status"], source["rows"]) == ("ready", 5)
    [table] = source["tables"]
    preview = api.get(f"{base}/sources/{source_id}/preview").get_json()
    assert preview["columns"] == ["order_id", "country", "amount"] and len(preview["rows"]) == 5

    # a model over it, built
    sql = (
        f"select country, count(*) as orders from {table['raw_table']} group by country"
        " order by country"
    )
    model = api.post(f"{base}/models", json={"name": "Orders by country", "sql": sql})
    assert model.status_code == 202, model.get_data(as_text=True)
    model_id = model.get_json()["model"]["id"]
    built = _wait(api, model.headers["Location"], pipeline)
    assert (built["status"], built["kind"]) == ("succeeded", "refresh_model")
    assert api.get(f"{base}/models/{model_id}").get_json()["row_count"] == 3

    # a dashboard with a widget, its data as JSON and CSV
    board = api.post(f"{base}/dashboards", json={"name": "Orders"})
    assert board.status_code == 201, board.get_data(as_text=True)
    board_url = board.headers["Location"]
    widget = api.post(
        f"{board_url}/widgets",
        json={
            "version": board.get_json()["version"],
            "data_model_id": model_id,
            "chart_type": "bar",
            "title": "Orders by country",
            "binding": {"x": "country", "y": "orders"},
        },
    )
    assert widget.status_code == 201, widget.get_data(as_text=True)
    data_url = f"{board_url}/widgets/{widget.get_json()['widget']['id']}/data"
    data = api.get(data_url).get_json()
    assert data["error"] is None and data["figure"]["data"][0]["type"] == "bar"
    assert sorted(tuple(r) for r in data["rows"]) == [("DE", 1), ("FR", 2), ("US", 2)]
    csv = api.get(f"{data_url}.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert sorted(csv.get_data(as_text=True).splitlines()[1:]) == ["DE,1", "FR,2", "US,2"]

    # shared: the public link reads signed out
    link = api.post(f"{board_url}/public-link", json={})
    assert link.status_code == 201, link.get_data(as_text=True)
    public = app.test_client().get(link.get_json()["url"])
    assert public.status_code == 200
    assert "Orders by country" in public.get_data(as_text=True)
