"""The pipeline recomputes a model's insight facts after each build, when it has insights:
SQL only (no AI model asked), stored with the new version; the narrative stays as it was,
marked out of date."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from assets.data_models import data_model_tables
from dra.insights import service as insights
from dra.modeling import service
from dra.models import DataModel, Insight
from tests.support.factories import project_with_roles
from tests.support.modeling import seed_shop


@pytest.fixture
def shop(database):
    with database.system_session() as s:
        roles = project_with_roles(s)
    seed_shop(database, roles.project_id)
    return roles


def build(materialize, model_id: int):
    result = materialize(
        [data_model_tables],
        partition_key=str(model_id),
        dynamic_partitions={"data_models": [model_id]},
    )
    assert result.success
    (event,) = result.get_asset_materialization_events()
    return event.materialization.metadata


def test_a_build_recomputes_the_facts_of_a_model_with_insights(database, shop, materialize):
    with database.system_session() as s:
        model_id = service.save_model(
            s,
            database,
            shop.project_id,
            shop.owner.id,
            name="Orders",
            sql="select id, amount, status, ordered_on from orders",
        ).model.id
    metadata = build(materialize, model_id)
    assert "insight_facts" not in metadata  # no insights: nothing computed
    with database.system_session() as s:
        assert s.scalars(select(Insight)).all() == []
        first = insights.generate_for_model(
            s, database, None, user_id=shop.editor.id, project_id=shop.project_id,
            model_id=model_id,
        )  # fmt: skip
    metadata = build(materialize, model_id)
    with database.system_session() as s:
        version = s.get(DataModel, model_id).version
        facts_row = s.scalar(select(Insight).where(Insight.kind == "facts"))
        listed = insights.list_for_model(s, shop.project_id, model_id)
    assert facts_row.model_version == version == first.model_version + 1
    assert metadata["insight_facts"].value == len(facts_row.content["facts"]["facts"]) > 2
    assert listed.latest.id == first.id and listed.latest.stale
    assert listed.current_facts.model_version == version
    assert listed.current_facts.get("change:amount:day") is not None
