"""Steps for features/attribution.feature: the tracking endpoint of the web app with a
real write key, the report request the attribution page records, and the report job
(dbt build of the attribution models, then the report asset) run as Dagster runs it."""

from __future__ import annotations

import os
from datetime import date

import dagster as dg
from behave import given, then, when
from sqlalchemy import select

from dra.models import AttributionEvent, AttributionReport, PipelineRequest

DAY = date(2026, 10, 6)


def _client(context):
    if getattr(context, "app", None) is None:
        from webapp import create_app

        context.app = create_app(
            context.settings, config={"TESTING": True, "RATELIMIT_ENABLED": False}
        )
        context.cleanups.append(lambda: context.app.extensions["dra_database"].dispose())
    return context.app.test_client()


def _send(context, events: list[dict]):
    context.response = _client(context).post(
        "/api/track/batch",
        json={"events": events},
        headers={"Authorization": f"Bearer {context.write_key}"},
    )
    return context.response


def _events(context) -> list[AttributionEvent]:
    with context.database.system_session() as s:
        rows = list(
            s.scalars(
                select(AttributionEvent)
                .where(AttributionEvent.project_id == context.project_id)
                .order_by(AttributionEvent.occurred_at)
            )
        )
        s.expunge_all()
        return rows


def _ask(context, day: date) -> None:
    from dra.attribution.reports import ReportError, ReportRequest, request_report

    try:
        with context.database.system_session() as s:
            report = request_report(
                s, context.project_id, context.owner_id, ReportRequest("Day", "linear", day, day)
            )
            context.report_id = report.id
        context.refusal = None
    except ReportError as exc:
        context.refusal = exc


@given("a project with a tracking write key")
def step_key(context):
    from dra.attribution.keys import create_key
    from tests.support.factories import create_project, create_user

    with context.database.system_session() as s:
        owner = create_user(s, email="marketer@example.test")
        context.owner_id = owner.id
        context.project_id = create_project(s, owner, name="Shop")
        context.write_key = create_key(s, context.project_id, "Website", created_by=owner.id).secret


@when(
    'the website sends a batch for visitor "{visitor}": a "{first}" visit, '
    'a "{second}" visit and a purchase worth {value:d}'
)
def step_batch(context, visitor, first, second, value):
    at = f"{DAY.isoformat()}T"
    context.batch = [
        {
            "userIdentifier": visitor,
            "eventType": "page_view",
            "clientEventId": f"{visitor}-1",
            "pageUrl": f"https://shop.example.com/?utm_source=ads&utm_medium={first}",
            "eventTimestamp": at + "09:00:00Z",
        },
        {
            "userIdentifier": visitor,
            "eventType": "page_view",
            "clientEventId": f"{visitor}-2",
            "pageUrl": f"https://shop.example.com/?utm_source=news&utm_medium={second}",
            "eventTimestamp": at + "12:00:00Z",
        },
        {
            "userIdentifier": visitor,
            "eventType": "purchase",
            "clientEventId": f"{visitor}-3",
            "eventValue": value,
            "eventTimestamp": at + "12:30:00Z",
        },
    ]
    assert _send(context, context.batch).status_code == 201, context.response.get_json()


@when("the website sends the same batch again")
def step_again(context):
    answer = _send(context, context.batch).get_json()
    assert answer["stored"] == 0 and answer["duplicates"] == len(context.batch), answer


@then('{count:d} events are stored with the channels "{first}", "{second}" and none')
def step_stored(context, count, first, second):
    events = _events(context)
    assert len(events) == count, len(events)
    assert [e.channel for e in events[:2]] == [first, second]
    assert events[2].event_type == "purchase"


@when('an analyst asks for a "{model}" attribution report of the day')
def step_ask(context, model):
    assert model == "linear"
    _ask(context, DAY)
    assert context.refusal is None, context.refusal


@when("the pipeline produces the report")
def step_produce(context):
    from dra.attribution.dbt_env import dbt_connection_env
    from orchestration.definitions import defs
    from orchestration.resources import PlatformResource

    saved = {}
    env = {
        "DRA_DATABASE_URL": context.database_url,
        "DRA_DATA_DIR": str(context.data_dir),
        **dbt_connection_env(context.database_url),
    }
    for name, value in env.items():
        saved[name] = os.environ.get(name)
        os.environ[name] = value

    def restore():
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    context.cleanups.append(restore)
    instance = dg.DagsterInstance.ephemeral()
    context.cleanups.append(instance.dispose)
    platform = PlatformResource(database_url=context.database_url, data_dir=str(context.data_dir))
    result = defs.get_sensor_def("pipeline_request_sensor")(
        dg.build_sensor_context(
            instance=instance, resources={"platform": platform}, definitions=defs
        )
    )
    [run] = [r for r in result.run_requests if r.job_name == "attribution_report_job"]
    outcome = defs.resolve_job_def(run.job_name).execute_in_process(
        instance=instance, tags=run.tags
    )
    assert outcome.success


@then('the report credits "{first}" with {a:g} and "{second}" with {b:g} of {total:g}')
def step_credits(context, first, a, second, b, total):
    with context.database.system_session() as s:
        report = s.get(AttributionReport, context.report_id)
        assert report.status == "succeeded", report.status
        result = report.result
    linear = result["models"]["linear"]
    assert result["total_value"] == total, result["total_value"]
    assert abs(linear[first]["value"] - a) < 1e-9 and abs(linear[second]["value"] - b) < 1e-9


@when("the website sends a batch whose second event has no event type")
def step_bad(context):
    _send(
        context,
        [
            {"userIdentifier": "v2", "eventType": "page_view"},
            {"userIdentifier": "v2"},
        ],
    )


@then('the answer is 400 and names "{field}" of "{where}"')
def step_400(context, field, where):
    assert context.response.status_code == 400, context.response.status_code
    error = context.response.get_json()["error"]
    assert where in error and field in error, error


@then("no event is stored")
def step_none(context):
    assert _events(context) == []


@when('an analyst asks for a "{model}" attribution report of a day without events')
def step_ask_empty(context, model):
    _ask(context, date(2025, 1, 1))


@then('the request is refused with "{message}"')
def step_refused(context, message):
    assert context.refusal is not None and context.refusal.message == message
    with context.database.system_session() as s:
        assert s.scalar(select(PipelineRequest.id)) is None
