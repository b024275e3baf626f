"""The report page shows every model side by side with what each assumes, the Markov and
Shapley models among them; reports stored before them (with ``data_driven``) still show."""

from __future__ import annotations

import html
import json
import re
from datetime import date

import pytest

from dra.attribution.reference import MODEL_ASSUMPTIONS, MODEL_LABELS, MODELS
from dra.models import AttributionReport
from tests.support.factories import create_project, create_user

CELL = {"credits": 1.0, "value": 2.0}


@pytest.fixture
def project(database, login):
    with database.system_session() as s:
        owner = create_user(s)
        project_id = create_project(s, owner)
    return project_id, login(owner)


def _report(database, project_id: int, result: dict) -> int:
    with database.system_session() as s:
        row = AttributionReport(
            project_id=project_id,
            name="October",
            model="linear",
            start_date=date(2026, 10, 1),
            end_date=date(2026, 10, 31),
            status="succeeded",
            result=result,
        )
        s.add(row)
        s.flush()
        return row.id


def _result(models: dict, **extra) -> dict:
    return {
        "channels": ["paid", "social"],
        "conversions": 3,
        "attributed_conversions": 3,
        "unattributed_conversions": 0,
        "total_value": 6.0,
        "lookback_days": 30,
        "conversion_types": ["purchase"],
        "paths": [],
        "models": models,
        **extra,
    }


def _traces(page: str) -> list[str]:
    figures = re.findall(r'data-figure="([^"]*)"', page)
    return [t["name"] for t in json.loads(html.unescape(figures[0]))["data"]]


def test_every_model_side_by_side_with_its_assumption(database, project):
    project_id, client = project
    stored = {**MODEL_ASSUMPTIONS, "markov": "Second-order <chains>."}  # stored one wins
    report_id = _report(
        database,
        project_id,
        _result(
            {m: {"paid": CELL} for m in MODELS},
            journeys={"converting": 3, "non_converting": 1234, "distinct_paths": 17},
            assumptions={m: stored[m] for m in MODELS},
        ),
    )
    page = client.get(f"/projects/{project_id}/attribution/reports/{report_id}").get_data(
        as_text=True
    )
    table = page[
        page.index('<table class="models">') : page.index(
            "</table>", page.index('<table class="models">')
        )
    ]
    assert [html.unescape(h) for h in re.findall(r"<th>([^<]*)</th>", table)[1:]] == [
        MODEL_LABELS[m] for m in MODELS
    ]
    notes = dict(re.findall(r'<dd data-model="([a-z_]+)">([^<]*)</dd>', page))
    assert list(notes) == list(MODELS)
    assert notes["markov"] == "Second-order &lt;chains&gt;."  # escaped
    assert html.unescape(notes["shapley"]) == MODEL_ASSUMPTIONS["shapley"]
    assert "1,234 that did not convert (17 distinct paths)" in page
    assert _traces(page) == [MODEL_LABELS[m] for m in MODELS]


def test_a_report_stored_with_the_old_data_driven_model_still_shows(database, project):
    project_id, client = project
    old = {m: {"paid": CELL} for m in ("first_touch", "last_touch", "linear", "time_decay")}
    old["position_based"] = {"paid": CELL}
    old["data_driven"] = {"paid": {"credits": 2.5, "value": 5.0}, "social": CELL}
    report_id = _report(database, project_id, _result(old))
    resp = client.get(f"/projects/{project_id}/attribution/reports/{report_id}")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Popularity split (earlier reports)" in page
    assert '<td>2.5 <span class="muted">(5.00)</span>' in page
    assert MODEL_LABELS["markov"] not in page and "did not convert (" not in page
    notes = dict(re.findall(r'<dd data-model="([a-z_]+)">([^<]*)</dd>', page))
    assert html.unescape(notes["data_driven"]) == MODEL_ASSUMPTIONS["data_driven"]
    assert _traces(page)[-1] == "Popularity split (earlier reports)"


def test_a_report_can_feature_a_journey_model(database, project):
    project_id, client = project
    page = client.get(f"/projects/{project_id}/attribution").get_data(as_text=True)
    assert '<option value="markov"' in page and '<option value="shapley"' in page
