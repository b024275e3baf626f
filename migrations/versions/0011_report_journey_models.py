"""Attribution reports may feature the journey models (Markov, Shapley).

Revision ID: 0011_report_journey_models
Revises: 0010_event_visitor_index
Create Date: 2026-12-06

Every report computes all models side by side since the journey models came; the report
form and the API offer ``markov`` and ``shapley`` as the model shown first, but the
column's check still listed the five rule-based models only, so choosing one of them
failed with a database error. The check now lists all seven. Downgrade: reports that
feature a journey model feature ``linear`` instead (they hold every model's result), then
the check lists the five again.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011_report_journey_models"
down_revision: str | Sequence[str] | None = "0010_event_visitor_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ck_attribution_reports_model"
RULE_BASED = ("first_touch", "last_touch", "linear", "time_decay", "position_based")
JOURNEY = ("markov", "shapley")


def _check(models: tuple[str, ...]) -> None:
    op.drop_constraint(op.f(NAME), "attribution_reports", schema="app", type_="check")
    listed = ", ".join(f"'{m}'" for m in models)
    op.create_check_constraint(
        op.f(NAME), "attribution_reports", f"model IN ({listed})", schema="app"
    )


def upgrade() -> None:
    _check(RULE_BASED + JOURNEY)


def downgrade() -> None:
    op.execute(
        "UPDATE app.attribution_reports SET model = 'linear' WHERE model IN ('markov', 'shapley')"
    )
    _check(RULE_BASED)
