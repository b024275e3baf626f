"""Insights: the data model version they were computed on, and facts-only rows.

Revision ID: 0006_insight_versions
Revises: 0005_ai_sample_values
Create Date: 2026-12-03

``insights.model_version``: the ``data_models.version`` whose table the facts were
computed on (an insight is out of date once the model was rebuilt since).
``insights.kind``: ``narrative`` (a generated insight set: the insights and the facts
they cite) or ``facts`` (the facts the pipeline recomputed after a build of a model that
has insights, without asking the model again; one such row per model).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_insight_versions"
down_revision: str | Sequence[str] | None = "0005_ai_sample_values"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("insights", sa.Column("model_version", sa.Integer(), nullable=True), schema="app")
    op.add_column(
        "insights",
        sa.Column("kind", sa.String(length=16), server_default="narrative", nullable=False),
        schema="app",
    )
    op.create_check_constraint(
        op.f("ck_insights_kind"), "insights", "kind IN ('narrative', 'facts')", schema="app"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_insights_kind"), "insights", schema="app", type_="check")
    op.drop_column("insights", "kind", schema="app")
    op.drop_column("insights", "model_version", schema="app")
