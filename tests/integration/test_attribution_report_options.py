"""Per-report options (lookback window, conversion event types): parsed with errors that
name the field, stored with the report, built by the report's own dbt run and reflected
in its numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text

from dra.attribution.dbt_env import dbt_connection_env
from dra.attribution.events import load_events
from dra.attribution.options import ReportOptions, dbt_build_args, parse_options
from dra.attribution.reference import SQL_MODELS, channel_totals, credits, touchpoints
from dra.attribution.reports import ReportRequest, parse_request, request_report
from dra.errors import DraError
from dra.models import AttributionReport, PipelineRequest
from tests.support.attribution import produce_report, tracked_event
from tests.support.factories import create_project, create_user

T0 = datetime(2026, 10, 1, 9, tzinfo=UTC)
FORM = {"model": "linear", "start_date": "2026-10-01", "end_date": "2026-10-31"}


def test_options_default_and_parse():
    assert parse_options({}) == ReportOptions(30, ("conversion", "purchase"))
    assert parse_options({"lookback_days": " 7 ", "conversion_types": "signup, purchase"}) == (
        ReportOptions(7, ("purchase", "signup"))
    )
    # a list (form checkboxes, JSON), repeats merged, blanks (the form's marker) ignored
    assert parse_options({"lookback_days": 365, "conversion_types": ["", "signup", "signup"]}) == (
        ReportOptions(365, ("signup",))
    )
    assert parse_request(FORM).options == ReportOptions()


@pytest.mark.parametrize(
    ("options", "field", "message"),
    [
        ({"lookback_days": "0"}, "lookback_days", "from 1 to 365"),
        ({"lookback_days": "366"}, "lookback_days", "from 1 to 365"),
        ({"lookback_days": "7.5"}, "lookback_days", "whole number"),
        ({"lookback_days": True}, "lookback_days", "whole number"),
        ({"lookback_days": "1e3"}, "lookback_days", "whole number"),
        ({"conversion_types": ""}, "conversion_types", "at least one"),
        ({"conversion_types": [""]}, "conversion_types", "at least one"),
        ({"conversion_types": ["signup", "bought"]}, "conversion_types", "“bought” is not"),
        ({"conversion_types": "x" * 5000}, "conversion_types", "“" + "x" * 40 + "” is not"),
        ({"conversion_types": [3]}, "conversion_types", "must be a name"),
        ({"conversion_types": {"a": 1}}, "conversion_types", "as a list"),
        ({"conversion_types": ["signup"] * 100}, "conversion_types", "at most 7"),
    ],
)
def test_bad_options_are_refused_naming_the_field(options, field, message):
    with pytest.raises(DraError) as err:
        parse_request({**FORM, **options})
    assert err.value.field == field and err.value.status == 400
    assert message in err.value.message


@pytest.fixture
def shop(database):
    """Visitor a: paid 20 days, a signup (social) 12.5 days and email 12 hours before a
    purchase worth 40; visitor b: organic 3 days before a conversion."""
    steps = [
        ("a", -480, "page_view", "paid", None),
        ("a", -300, "signup", "social", None),
        ("a", -12, "click", "email", None),
        ("a", 0, "purchase", None, 40),
        ("b", -72, "page_view", "organic", None),
        ("b", 0, "conversion", None, None),
    ]
    with database.system_session() as s:
        owner = create_user(s)
        project_id = create_project(s, owner)
        s.add_all(
            tracked_event(project_id, user, kind, T0 + timedelta(days=20, hours=h), ch, value)
            for user, h, kind, ch, value in steps
        )
    return owner, project_id


def test_a_report_stores_its_options(database, shop):
    owner, project_id = shop
    with database.system_session() as s:
        req = parse_request({**FORM, "lookback_days": "1", "conversion_types": ["signup"]})
        report_id = request_report(s, project_id, owner.id, req).id
    with database.system_session() as s:
        report = s.get(AttributionReport, report_id)
        assert (report.lookback_days, report.conversion_types) == (1, ["signup"])
        assert dbt_build_args(s, report_id)[-2:] == [
            "--vars",
            '{"conversion_event_types": ["signup"], "lookback_days": 1, '
            f'"project_ids": [{project_id}]}}',
        ]


def run_report(database, settings, owner, project_id, options: ReportOptions) -> dict:
    with database.system_session() as s:
        report = request_report(
            s,
            project_id,
            owner.id,
            ReportRequest("October", "linear", date(2026, 10, 1), date(2026, 10, 31), options),
        )
        request_id = s.scalar(
            select(PipelineRequest.id).where(PipelineRequest.target_id == report.id)
        )
        report_id = report.id
    produce_report(database, settings, request_id)
    with database.system_session() as s:
        report = s.get(AttributionReport, report_id)
        assert report.status == "succeeded", report.error
        tps = touchpoints(
            load_events(s, project_id),
            conversion_types=options.conversion_types,
            lookback_days=options.lookback_days,
        )
    expected = channel_totals(credits(tps, SQL_MODELS))
    for model in SQL_MODELS:
        got = report.result["models"][model]
        assert got.keys() == expected.get(model, {}).keys(), model
        for channel, cell in expected[model].items():
            assert got[channel]["credits"] == pytest.approx(cell["credits"], abs=1e-9)
            assert got[channel]["value"] == pytest.approx(cell["value"], abs=1e-9)
    return report.result


@pytest.mark.slow
def test_the_report_numbers_follow_its_options(database, settings, shop, monkeypatch):
    owner, project_id = shop
    for name, value in dbt_connection_env(database.url).items():
        monkeypatch.setenv(name, value)
    with database.system_session() as s:  # a platform built before, without a report's options
        s.execute(text("DROP TABLE IF EXISTS intermediate.int_touchpoints_state"))

    month = run_report(database, settings, owner, project_id, ReportOptions(30))
    day = run_report(database, settings, owner, project_id, ReportOptions(1))
    signups = run_report(database, settings, owner, project_id, ReportOptions(30, ("signup",)))

    assert (month["lookback_days"], month["conversion_types"]) == (30, ["conversion", "purchase"])
    assert month["conversions"] == 2 and month["attributed_conversions"] == 2
    # a's paid visit, signup and email click share the purchase (the signup is a touchpoint)
    assert month["models"]["linear"]["email"]["credits"] == pytest.approx(1 / 3)
    assert set(month["models"]["linear"]) == {"paid", "social", "email", "organic"}
    # one day back: the paid visit (20 days before) and organic (3 days) are out of reach
    assert (day["lookback_days"], day["conversions"]) == (1, 2)
    assert day["models"]["linear"] == {"email": {"credits": 1.0, "value": 40.0}}
    assert day["unattributed_conversions"] == 1
    # signups are the conversions: one, whose touchpoint is the paid visit
    assert (signups["conversion_types"], signups["conversions"]) == (["signup"], 1)
    assert signups["models"]["linear"] == {"paid": {"credits": 1.0, "value": 1.0}}
    with database.system_session() as s:
        built = set(
            s.execute(
                text(
                    "SELECT DISTINCT lookback_days, conversion_types"
                    " FROM intermediate.int_touchpoints WHERE project_id = :p"
                ),
                {"p": project_id},
            ).all()
        )
    assert built == {(30, "conversion,purchase"), (1, "conversion,purchase"), (30, "signup")}


def test_what_each_run_builds(database, shop):
    from orchestration.definitions import defs

    owner, project_id = shop
    state = "intermediate.int_touchpoints_state"
    with database.system_session() as s:
        req = parse_request({**FORM, "lookback_days": "3"})
        report_id = request_report(s, project_id, owner.id, req).id
        existed = bool(s.scalar(text(f"SELECT to_regclass('{state}') IS NOT NULL")))
        if not existed:  # as a first build leaves it
            s.execute(text("CREATE SCHEMA IF NOT EXISTS intermediate"))
            s.execute(text(f"CREATE TABLE {state} (x integer)"))
    with database.system_session() as s:
        assert dbt_build_args(s, None) == ["build"]  # every project, default options
        assert dbt_build_args(s, None, full_refresh=True) == ["build", "--full-refresh"]
        report_args = dbt_build_args(s, report_id)
        assert report_args[:2] == ["build", "--vars"] and '"lookback_days": 3' in report_args[2]
        # not built by partitions yet (a new platform, or one from before): a full refresh
        s.execute(text(f"ALTER TABLE {state} RENAME TO int_touchpoints_state_away"))
        assert dbt_build_args(s, None) == ["build", "--full-refresh"]
        assert dbt_build_args(s, report_id)[:3] == ["build", "--full-refresh", "--vars"]
        s.execute(text(f"{state}_away".join(["ALTER TABLE ", " RENAME TO int_touchpoints_state"])))
        if not existed:
            s.execute(text(f"DROP TABLE {state}"))
    nightly = defs.resolve_job_def("attribution_daily_job")
    ops = nightly.run_config_schema.config_type.fields["ops"].config_type.fields
    assert ops["dbt_models"].default_value["config"]["full_refresh"] is True


def test_a_report_run_leaves_the_whole_mart_checks_to_the_nightly_job():
    from orchestration.definitions import defs

    def checks(job: str) -> set[str]:
        graph = defs.resolve_job_def(job).asset_layer.asset_graph
        return {f"{k.asset_key.to_user_string()}:{k.name}" for k in graph.asset_check_keys}

    report, nightly = checks("attribution_report_job"), checks("attribution_daily_job")
    assert "marts/fct_attribution_credits:soda_contract" in nightly - report
    assert "marts/fct_attribution_credits:assert_credit_weights_sum_to_one" in report
    assert (
        "intermediate/int_touchpoints:is_an_event_of_its_project_int_touchpoints_conversion_id"
        in report
    )
