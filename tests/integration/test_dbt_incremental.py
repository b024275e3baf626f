"""int_touchpoints is built by (options, project, month): a build recomputes only the
partitions whose events changed, a report's build only its project's, and a full refresh
gives the same credits. Real dbt runs against the test database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from dra.attribution.dbt_env import build_args, run_dbt
from dra.attribution.events import load_events
from dra.attribution.options import ReportOptions
from dra.attribution.reference import SQL_MODELS, credits, touchpoints
from dra.models import AttributionEvent
from tests.support.attribution import tracked_event as event
from tests.support.factories import create_project, create_user

pytestmark = pytest.mark.slow

DEFAULTS = ReportOptions()
AUG, SEP, OCT = (datetime(2026, m, 1).date() for m in (8, 9, 10))


def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def journeys(project_id: int, channels: tuple[str, str, str]) -> list[AttributionEvent]:
    """A conversion in each of August, September and October (and a signup in October)."""
    first, second, third = channels
    return [
        event(project_id, "v1", "page_view", at(8, 3), first),
        event(project_id, "v1", "click", at(8, 20), second),
        event(project_id, "v1", "purchase", at(8, 25), value="10"),
        event(project_id, "v2", "page_view", at(9, 1), third),
        event(project_id, "v2", "purchase", at(9, 10), value="20"),
        event(project_id, "v3", "page_view", at(10, 1), first),
        event(project_id, "v3", "page_view", at(10, 3, 20), second),
        event(project_id, "v3", "signup", at(10, 3, 21), third),
        event(project_id, "v3", "conversion", at(10, 4)),
    ]


@pytest.fixture
def two_projects(database):
    with database.system_session() as s:
        owner = create_user(s)
        a, b = create_project(s, owner), create_project(s, owner)
        s.add_all(journeys(a, ("paid", "email", "social")))
        s.add_all(journeys(b, ("organic", "referral", "direct")))
    return a, b


def build(database, tmp_path, build_vars=None, *, full_refresh=False) -> None:
    run_dbt(database.url, build_args(build_vars, full_refresh=full_refresh), target_path=tmp_path)


def rows(database, projects) -> dict[tuple, set[tuple]]:
    """(project, lookback, types, month) -> {(ctid, built_at, conversion, touchpoint)}."""
    found: dict[tuple, set[tuple]] = {}
    with database.system_session() as s:
        for r in s.execute(
            text(
                "SELECT project_id, lookback_days, conversion_types, conversion_month,"
                " ctid::text AS ctid, built_at, conversion_id, touchpoint_id"
                " FROM intermediate.int_touchpoints WHERE project_id = ANY(:p)"
            ),
            {"p": list(projects)},
        ):
            key = (r.project_id, r.lookback_days, r.conversion_types, r.conversion_month)
            found.setdefault(key, set()).add((r.ctid, r.built_at, r.conversion_id, r.touchpoint_id))
    return found


def mart_credits(database, project_id: int, options: ReportOptions) -> dict[tuple, tuple]:
    with database.system_session() as s:
        return {
            (r.conversion_id, r.touchpoint_id, r.model): (r.channel, r.weight, r.attributed_value)
            for r in s.execute(
                text(
                    "SELECT conversion_id, touchpoint_id, model, channel, weight, attributed_value"
                    " FROM marts.fct_attribution_credits WHERE project_id = :p"
                    " AND lookback_days = :l AND conversion_types = :t"
                ),
                {
                    "p": project_id,
                    "l": options.lookback_days,
                    "t": ",".join(options.conversion_types),
                },
            )
        }


def assert_equals_reference(database, project_id: int, options: ReportOptions = DEFAULTS):
    with database.system_session() as s:
        tps = touchpoints(
            load_events(s, project_id),
            conversion_types=options.conversion_types,
            lookback_days=options.lookback_days,
        )
    expected = {(c.conversion_id, c.touchpoint_id, c.model): c for c in credits(tps, SQL_MODELS)}
    got = mart_credits(database, project_id, options)
    assert got.keys() == expected.keys()
    for key, want in expected.items():
        channel, weight, value = got[key]
        assert channel == want.channel
        assert weight == pytest.approx(want.weight, abs=1e-9)
        assert value == pytest.approx(want.attributed_value, abs=1e-9)
    return got


def test_new_events_rebuild_only_their_project_and_months(database, two_projects, tmp_path):
    a, b = two_projects
    build(database, tmp_path, full_refresh=True)
    first = rows(database, (a, b))
    options = (DEFAULTS.lookback_days, "conversion,purchase")
    assert set(first) == {(p, *options, m) for p in (a, b) for m in (AUG, SEP, OCT)}

    # nothing changed: nothing is rebuilt
    build(database, tmp_path)
    assert rows(database, (a, b)) == first

    # a new October journey of project A, built as a report of A builds it
    with database.system_session() as s:
        s.add_all(
            [
                event(a, "v4", "page_view", at(10, 20), "referral"),
                event(a, "v4", "purchase", at(10, 21), value="5"),
            ]
        )
    build(database, tmp_path, DEFAULTS.dbt_vars(a))
    second = rows(database, (a, b))
    for key in first:
        if key == (a, *options, OCT):
            assert not first[key] & second[key]  # every row of the partition is new
        else:
            assert second[key] == first[key], key  # same rows, same place, same build
    assert len(second[(a, *options, OCT)]) == len(first[(a, *options, OCT)]) + 1

    # a late August visit of project A: August and September (its 30-day reach) only
    with database.system_session() as s:
        s.add(event(a, "v2", "page_view", at(8, 31, 20), "other"))
    build(database, tmp_path)
    third = rows(database, (a, b))
    rebuilt = {key for key in second if not second[key] & third[key]}
    kept = {key for key in second if second[key] == third[key]}
    assert rebuilt == {(a, *options, AUG), (a, *options, SEP)}
    assert kept == set(second) - rebuilt
    assert len(third[(a, *options, SEP)]) == 2  # v2's September purchase: two visits now

    incremental = {p: assert_equals_reference(database, p) for p in (a, b)}
    build(database, tmp_path, full_refresh=True)
    assert {p: mart_credits(database, p, DEFAULTS) for p in (a, b)} == incremental


def test_each_options_are_built_and_read_apart(database, two_projects, tmp_path):
    a, b = two_projects
    build(database, tmp_path, full_refresh=True)
    short = ReportOptions(lookback_days=1)
    signups = ReportOptions(conversion_types=("signup",))
    build(database, tmp_path, short.dbt_vars(a))
    build(database, tmp_path, signups.dbt_vars(a))

    built = {key[1:3] for key in rows(database, (a,))}
    assert built == {(30, "conversion,purchase"), (1, "conversion,purchase"), (30, "signup")}
    assert {key[1:3] for key in rows(database, (b,))} == {(30, "conversion,purchase")}
    default = assert_equals_reference(database, a)
    one_day = assert_equals_reference(database, a, short)
    signup = assert_equals_reference(database, a, signups)
    assert 0 < len(one_day) < len(default)  # visits 1 to 22 days before are out of reach
    assert {key[0] for key in signup} != {key[0] for key in default}
    with database.system_session() as s:
        signup_id = s.scalar(
            text(
                "SELECT id FROM app.attribution_events"
                " WHERE project_id = :p AND event_type = 'signup'"
            ),
            {"p": a},
        )
    assert {key[0] for key in signup} == {signup_id}

    # project A deleted (its events with it): any build of every project drops its rows
    # of every options, and leaves B's alone
    before_b = rows(database, (b,))
    with database.system_session() as s:
        s.execute(text("DELETE FROM app.projects WHERE id = :p"), {"p": a})
    build(database, tmp_path)
    assert rows(database, (a,)) == {} and rows(database, (b,)) == before_b
    with database.system_session() as s:
        state = "SELECT count(*) FROM intermediate.int_touchpoints_state WHERE project_id = :p"
        assert s.scalar(text(state), {"p": a}) == 0
