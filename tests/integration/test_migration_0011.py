"""Migration 0011: attribution reports may feature the journey models (Markov, Shapley)."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from tests.integration.test_migrations import alembic_config

INSERT = (
    "INSERT INTO app.attribution_reports (project_id, name, model, start_date, end_date)"
    " VALUES (:p, 'r', :m, '2026-10-01', '2026-10-31')"
)


def test_reports_featuring_markov_or_shapley_are_stored_and_go_linear_on_downgrade(
    empty_database_url: str,
):
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0010_event_visitor_index")
    engine = create_engine(empty_database_url)
    try:
        with engine.begin() as conn:
            user = conn.scalar(text("INSERT INTO app.users (email) VALUES ('m@x.io') RETURNING id"))
            project = conn.scalar(
                text("INSERT INTO app.projects (owner_id, name) VALUES (:u, 'p') RETURNING id"),
                {"u": user},
            )
        refused = pytest.raises(IntegrityError, match="ck_attribution_reports_model")
        with refused, engine.begin() as conn:
            conn.execute(text(INSERT), {"p": project, "m": "markov"})

        command.upgrade(config, "0011_report_journey_models")
        with engine.begin() as conn:
            for model in ("markov", "shapley", "time_decay"):
                conn.execute(text(INSERT), {"p": project, "m": model})
        refused = pytest.raises(IntegrityError, match="ck_attribution_reports_model")
        with refused, engine.begin() as conn:
            conn.execute(text(INSERT), {"p": project, "m": "data_driven"})

        command.downgrade(config, "0010_event_visitor_index")
        with engine.connect() as conn:
            models = conn.scalars(text("SELECT model FROM app.attribution_reports ORDER BY id"))
            assert list(models) == ["linear", "linear", "time_decay"]
    finally:
        engine.dispose()
