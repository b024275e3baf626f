"""Report options on the report form and in the JSON API: chosen, stored, shown, and
refused with the field named and nothing recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from dra.models import AttributionEvent, AttributionReport, PipelineRequest
from tests.support.factories import add_member, create_project, create_user

RANGE = {"model": "linear", "start_date": "2026-10-01", "end_date": "2026-10-31"}


@pytest.fixture
def shop(database, login):
    with database.system_session() as s:
        owner, viewer = create_user(s), create_user(s)
        project_id = create_project(s, owner)
        add_member(s, project_id, viewer, "viewer")
        t0 = datetime(2026, 10, 5, tzinfo=UTC)
        s.add_all(
            AttributionEvent(
                project_id=project_id,
                user_identifier="u1",
                event_type=kind,
                channel="paid",
                occurred_at=t0 + timedelta(hours=h),
            )
            for h, kind in ((0, "page_view"), (1, "signup"), (2, "purchase"))
        )
    return project_id, login(owner), login(viewer)


def counts(database) -> tuple[int, int]:
    with database.system_session() as s:
        return (
            s.scalar(select(func.count()).select_from(AttributionReport)),
            s.scalar(select(func.count()).select_from(PipelineRequest)),
        )


def test_the_form_offers_the_options_and_stores_them(database, shop):
    project_id, owner, _viewer = shop
    page = owner.get(f"/projects/{project_id}/attribution").get_data(as_text=True)
    assert 'name="lookback_days" value="30"' in page
    assert 'value="purchase" checked' in page and 'value="conversion" checked' in page
    assert 'value="signup" >' in page or 'value="signup">' in page  # offered, not ticked
    resp = owner.post(
        f"/projects/{project_id}/attribution/reports",
        data={**RANGE, "lookback_days": "14", "conversion_types": ["", "signup", "purchase"]},
    )
    assert resp.status_code == 302
    with database.system_session() as s:
        report = s.scalar(select(AttributionReport))
        assert (report.lookback_days, report.conversion_types) == (14, ["purchase", "signup"])
    page = owner.get(resp.headers["Location"]).get_data(as_text=True)
    assert "purchase, signup within 14 days" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"lookback_days": "0"}, "from 1 to 365"),
        ({"lookback_days": "<b>9</b>"}, "whole number"),
        ({"conversion_types": [""]}, "Choose at least one conversion event type."),
        ({"conversion_types": ["", "<script>x</script>"]}, "is not an event type"),
    ],
)
def test_bad_options_on_the_form_answer_400_and_record_nothing(database, shop, data, message):
    project_id, owner, _viewer = shop
    resp = owner.post(f"/projects/{project_id}/attribution/reports", data={**RANGE, **data})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and message in page
    if "<script>" in str(data):  # the name is echoed, escaped
        assert "<script>x" not in page and "&lt;script&gt;x" in page
    field = next(iter(data))
    assert f'name="{field}"' in page and 'aria-invalid="true"' in page
    assert counts(database) == (0, 0)


def test_the_api_takes_the_same_options(database, shop):
    project_id, owner, viewer = shop
    base = f"/api/v1/projects/{project_id}/attribution/reports"
    resp = owner.post(base, json={**RANGE, "lookback_days": 7, "conversion_types": ["signup"]})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    report = resp.get_json()["report"]
    assert (report["lookback_days"], report["conversion_types"]) == (7, ["signup"])
    assert report["status"] == "queued" and report["result"] is None
    assert resp.headers["Location"] == report["url"] == f"{base}/{report['id']}"
    again = viewer.get(report["url"])
    assert again.status_code == 200 and again.get_json()["report"]["lookback_days"] == 7
    listed = viewer.get(base).get_json()["reports"]
    assert [r["id"] for r in listed] == [report["id"]]
    # defaults when the options are left out
    plain = owner.post(base, json=RANGE).get_json()["report"]
    assert (plain["lookback_days"], plain["conversion_types"]) == (30, ["conversion", "purchase"])
    assert viewer.post(base, json=RANGE).status_code == 403
    assert counts(database) == (2, 2)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lookback_days": 400}, "lookback_days"),
        ({"lookback_days": "7 days"}, "lookback_days"),
        ({"conversion_types": []}, "conversion_types"),
        ({"conversion_types": ["purchase", "refund"]}, "conversion_types"),
        ({"conversion_types": "purchase"}, None),  # one text is accepted
        ({"model": 5}, "model"),
    ],
)
def test_bad_options_in_the_api_are_problem_details(database, shop, body, field):
    project_id, owner, _viewer = shop
    resp = owner.post(f"/api/v1/projects/{project_id}/attribution/reports", json={**RANGE, **body})
    if field is None:
        assert resp.status_code == 201
        return
    assert resp.status_code == 400 and resp.mimetype == "application/problem+json"
    problem = resp.get_json()
    assert problem["field"] == field and problem["detail"]
    assert counts(database) == (0, 0)


def test_the_api_refuses_a_body_that_is_not_an_object(database, shop):
    project_id, owner, _viewer = shop
    resp = owner.post(f"/api/v1/projects/{project_id}/attribution/reports", json=[1])
    assert resp.status_code == 400 and resp.get_json()["field"] == "body"
    assert counts(database) == (0, 0)
