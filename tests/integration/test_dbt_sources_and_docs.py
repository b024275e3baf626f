"""The dbt project documents what it builds and says when the tracking feed goes stale.

Every column of a model (staging, intermediate, mart), as built in the database, has a
description in the models' YAML (Dagster's dbt assets show them in their column schema),
and ``dbt source freshness`` judges the tracked events by when the platform received
them: fresh within 2 days, a warning after 2 days, an error after 7.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from assets.dbt import FolderGroups
from dra.attribution.dbt_env import run_dbt
from dra.models import AttributionEvent
from tests.support.factories import create_project, create_user

pytestmark = pytest.mark.slow

DOCUMENTED_FOLDERS = ("staging", "intermediate", "marts")


def test_every_model_column_is_described_as_built(database, tmp_path):
    run_dbt(
        database.url,
        [
            "run",
            "--select",
            "+fct_attribution_credits",
            "+fct_ad_spend_daily",
            "+fct_ga4_sessions_daily",
        ],
        target_path=tmp_path,
    )
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    models = {
        unique_id: node
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["fqn"][1] in DOCUMENTED_FOLDERS
    }
    assert {n["name"] for n in models.values()} >= {
        "stg_attribution_events",
        "int_touchpoints",
        "fct_attribution_credits",
        "fct_ad_spend_daily",
        "fct_ga4_sessions_daily",
    }
    with database.system_session() as s:
        for unique_id, node in models.items():
            assert node["description"].strip(), node["name"]
            if node["config"]["materialized"] == "ephemeral":  # a CTE of the model using it
                continue
            built = s.execute(
                text(
                    "SELECT column_name FROM information_schema.columns"
                    " WHERE table_schema = :schema AND table_name = :name"
                ),
                {"schema": node["schema"], "name": node["alias"]},
            ).scalars()
            assert set(node["columns"]) == set(built), node["name"]
            assert node["description"].strip(), node["name"]
            undescribed = [c for c, info in node["columns"].items() if not info["description"]]
            assert undescribed == [], node["name"]
            # what the Dagster UI shows for the asset
            spec = FolderGroups().get_asset_spec(manifest, unique_id, None)
            schema = spec.metadata["dagster/column_schema"]
            assert {c.name: c.description for c in schema.columns} == {
                c: info["description"] for c, info in node["columns"].items()
            }


def test_the_tracking_feed_warns_after_two_days_and_errors_after_seven(database, tmp_path):
    now = datetime.now(UTC)
    with database.system_session() as s:
        project_id = create_project(s, create_user(s))
        # it happened long ago, but the platform received it just now: the feed is fresh
        s.add(
            AttributionEvent(
                project_id=project_id,
                user_identifier="visitor",
                event_type="page_view",
                occurred_at=now - timedelta(days=30),
                received_at=now - timedelta(hours=1),
            )
        )
    statuses = {}
    for days, expected in ((0, "pass"), (3, "warn"), (8, "error")):
        if days:
            with database.system_session() as s:
                s.execute(
                    text(
                        "UPDATE app.attribution_events"
                        " SET received_at = now() - make_interval(days => :days)"
                    ),
                    {"days": days},
                )
        target = tmp_path / f"after_{days}_days"
        args = ["source", "freshness", "--select", "source:app.attribution_events"]
        try:
            run_dbt(database.url, args, target_path=target)
        except RuntimeError:  # dbt exits 1 when a source is past its error threshold
            assert expected == "error"
        (result,) = json.loads((target / "sources.json").read_text())["results"]
        statuses[days] = result["status"]
        assert result["criteria"]["warn_after"] == {"count": 2, "period": "day"}
        assert result["criteria"]["error_after"] == {"count": 7, "period": "day"}
    assert statuses == {0: "pass", 3: "warn", 8: "error"}
