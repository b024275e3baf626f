"""The report pipeline: dbt build + report asset, against the reference implementation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pytest
from sqlalchemy import select, text

from dra.attribution.dbt_env import dbt_connection_env
from dra.attribution.events import load_events
from dra.attribution.journeys import Journey
from dra.attribution.markov import markov_credits
from dra.attribution.reference import (
    MODEL_ASSUMPTIONS,
    MODELS,
    SQL_MODELS,
    channel_totals,
    credits,
    grouped_journeys,
    touchpoints,
)
from dra.attribution.reports import ReportError, ReportRequest, parse_request, request_report
from dra.attribution.shapley import shapley_credits
from dra.models import AttributionReport, PipelineRequest
from orchestration.requests import REQUEST_TAG
from orchestration.resources import PlatformResource
from tests.support.attribution import produce_report, tracked_event
from tests.support.factories import create_project, create_user

pytestmark = pytest.mark.slow
T0 = datetime(2026, 10, 1, 9, tzinfo=UTC)


def _journey(project_id, user, steps):
    return [
        tracked_event(project_id, user, kind, T0 + timedelta(hours=h), channel, value)
        for h, kind, channel, value in steps
    ]


@pytest.fixture
def shop(database):
    with database.system_session() as s:
        owner = create_user(s)
        project_id = create_project(s, owner)
        other = create_project(s, owner)
        s.add_all(
            _journey(
                project_id,
                "a",
                [
                    (0, "page_view", "paid", None),
                    (30, "page_view", "email", None),
                    (50, "click", "social", None),
                    (60, "purchase", None, 40),
                ],
            )
        )
        s.add_all(
            _journey(
                project_id, "b", [(1, "page_view", "organic", None), (2, "conversion", None, None)]
            )
        )
        s.add_all(_journey(project_id, "c", [(3, "page_view", "paid", None)]))
        s.add_all(
            _journey(other, "a", [(0, "page_view", "referral", None), (1, "purchase", None, 999)])
        )
    return owner, project_id


def test_parse_request_names_the_bad_field():
    ok = parse_request({"model": "linear", "start_date": "2026-10-01", "end_date": "2026-10-31"})
    assert ok == ReportRequest(
        "linear 2026-10-01 – 2026-10-31", "linear", date(2026, 10, 1), date(2026, 10, 31)
    )
    for form, field, message in [
        (
            {"model": "magic", "start_date": "2026-10-01", "end_date": "2026-10-02"},
            "model",
            "Invalid attribution model.",
        ),
        (
            {"model": "linear", "start_date": "01/10/2026", "end_date": "2026-10-02"},
            "start_date",
            "Enter the start date as a date (YYYY-MM-DD).",
        ),
        (
            {"model": "linear", "start_date": "2026-10-02", "end_date": "2026-10-01"},
            "end_date",
            "The end date is before the start date.",
        ),
    ]:
        with pytest.raises(ReportError) as err:
            parse_request(form)
        assert (err.value.field, err.value.message) == (field, message)


def test_empty_range_is_refused_and_nothing_is_recorded(database, shop):
    owner, project_id = shop
    with database.system_session() as s:
        with pytest.raises(ReportError) as err:
            request_report(
                s,
                project_id,
                owner.id,
                ReportRequest("x", "linear", date(2025, 1, 1), date(2025, 1, 31)),
            )
        assert err.value.message == "No event data found for the specified date range."
        assert s.scalar(select(AttributionReport.id)) is None


def test_report_asset_matches_the_reference(database, settings, shop, monkeypatch, tmp_path):
    owner, project_id = shop
    for name, value in dbt_connection_env(database.url).items():
        monkeypatch.setenv(name, value)
    with database.system_session() as s:
        report = request_report(
            s,
            project_id,
            owner.id,
            ReportRequest("October", "time_decay", date(2026, 10, 1), date(2026, 10, 31)),
        )
        request = s.scalar(select(PipelineRequest).where(PipelineRequest.target_id == report.id))
        assert request.kind == "attribution_report" and request.status == "queued"
        report_id, request_id = report.id, request.id

    # a new platform: the partitioned events table was never analyzed (autovacuum never
    # analyzes a partitioned parent); the touchpoints model analyzes it before its join
    stats = (
        "SELECT count(*) FROM pg_stats WHERE schemaname = 'app'"
        " AND tablename = 'attribution_events' AND inherited"
    )
    with database.system_session() as s:
        s.execute(
            text("DELETE FROM pg_statistic WHERE starelid = 'app.attribution_events'::regclass")
        )
        assert s.scalar(text(stats)) == 0
    produce_report(database, settings, request_id)
    with database.system_session() as s:
        assert s.scalar(text(stats)) > 0
        report = s.get(AttributionReport, report_id)
        events = load_events(s, project_id)
        expected = channel_totals(credits(touchpoints(events), SQL_MODELS))
        lo, hi = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
        journeys = [Journey(k, *v) for k, v in grouped_journeys(events, lo, hi).items()]
        expected["markov"] = markov_credits(journeys)
        expected["shapley"] = shapley_credits(journeys)
    assert report.status == "succeeded" and report.completed_at is not None
    got = report.result
    assert got["conversions"] == 2 and got["attributed_conversions"] == 2
    assert got["total_value"] == 41.0  # 40 + a conversion without value counts 1
    assert got["channels"] == ["email", "organic", "paid", "social"]  # not the other project
    for model in MODELS:
        assert got["models"][model].keys() == expected[model].keys(), model
        for channel, cell in expected[model].items():
            assert got["models"][model][channel]["credits"] == pytest.approx(
                cell["credits"], abs=1e-9
            )
            assert got["models"][model][channel]["value"] == pytest.approx(cell["value"], abs=1e-9)
    assert got["models"]["first_touch"]["paid"] == {"credits": 1.0, "value": 40.0}
    # the data-driven models see c, who clicked a paid ad and never converted:
    # paid > email > social converted once (40), organic once (1), paid alone never
    assert got["journeys"] == {"converting": 2, "non_converting": 1, "distinct_paths": 3}
    assert got["models"]["shapley"]["paid"]["credits"] == pytest.approx(1 / 3)
    assert got["models"]["shapley"]["organic"]["credits"] == pytest.approx(1.0)
    # Markov: each of the four channels' removal loses 1/3 of P(conversion) = 2/3
    assert {c: cell["credits"] for c, cell in got["models"]["markov"].items()} == {
        c: pytest.approx(0.5) for c in ("email", "organic", "paid", "social")
    }
    assert got["models"]["markov"]["organic"]["value"] == pytest.approx(41 * (1 / 3) / (40 + 1 / 3))
    assert got["markov_order"] == 1
    assert got["assumptions"] == {m: MODEL_ASSUMPTIONS[m] for m in MODELS}
    assert "data_driven" not in got["models"]
    assert got["paths"][0]["conversions"] == 1
    assert {p["path"] for p in got["paths"]} == {"paid > email > social", "organic"}


def test_request_sensor_launches_the_report_job(database, settings, shop):
    from orchestration.definitions import defs

    owner, project_id = shop
    with database.system_session() as s:
        report = request_report(
            s,
            project_id,
            owner.id,
            ReportRequest("Oct", "linear", date(2026, 10, 1), date(2026, 10, 31)),
        )
        request_id = s.scalar(
            select(PipelineRequest.id).where(PipelineRequest.target_id == report.id)
        )
    job = defs.get_job_def("attribution_report_job")
    selected = {k.to_user_string() for k in job.asset_layer.selected_asset_keys}
    assert selected == {
        "attribution_report",
        "staging/stg_attribution_events",
        "intermediate/int_touchpoints",
        "marts/fct_attribution_credits",
        "marts/fct_ad_spend_daily",  # read beside the credits: built with them
        "marts/fct_ga4_sessions_daily",
    }
    sensor = defs.get_sensor_def("pipeline_request_sensor")
    resources = {
        "platform": PlatformResource(database_url=database.url, data_dir=str(settings.data_dir))
    }
    result = sensor(
        dg.build_sensor_context(
            instance=dg.DagsterInstance.ephemeral(), resources=resources, definitions=defs
        )
    )
    [run] = [r for r in result.run_requests if r.tags.get(REQUEST_TAG) == str(request_id)]
    assert run.job_name == "attribution_report_job" and run.partition_key is None


def test_daily_job_keeps_monthly_partitions(database, materialize):
    from assets.attribution import attribution_event_partitions
    from orchestration.definitions import defs

    with database.system_session() as s:
        s.execute(text("DROP TABLE app.attribution_events_" + datetime.now(UTC).strftime("y%Ym%m")))
    result = materialize([attribution_event_partitions])
    assert result.success
    with database.system_session() as s:
        names = set(
            s.scalars(
                text(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                    " WHERE i.inhparent = 'app.attribution_events'::regclass"
                )
            )
        )
    assert "attribution_events_" + datetime.now(UTC).strftime("y%Ym%m") in names
    schedule = defs.get_schedule_def("attribution_daily")
    assert schedule.job_name == "attribution_daily_job"
    selected = {
        k.to_user_string()
        for k in defs.get_job_def("attribution_daily_job").asset_layer.selected_asset_keys
    }
    assert "attribution_event_partitions" in selected
    assert "marts/fct_attribution_credits" in selected and "attribution_report" not in selected
