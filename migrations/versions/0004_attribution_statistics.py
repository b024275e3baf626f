"""Finer planner statistics on attribution events' visitor column.

Revision ID: 0004_attribution_statistics
Revises: 0003_model_inputs
Create Date: 2026-11-25

The touchpoints model (dbt_project/models/intermediate/int_touchpoints.sql) joins each
conversion to its visitor's other events on (project_id, user_identifier). With the
default statistics target, ANALYZE's 30,000-row sample sees a few visitors two or three
times and takes them for frequent values; the planner then expects skew, hashes the
million touchpoint candidates instead of the conversions, and the build takes twice as
long, depending on which sample ANALYZE drew. A target of 300 (a 90,000-row sample)
made the plan stable in every trial on a million events, for an ANALYZE of under a
second. The setting recurses to the existing monthly partitions; what the join's plan
reads are the partitioned parent's statistics, which the daily attribution job gathers
(autovacuum never analyzes a partitioned parent).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004_attribution_statistics"
down_revision: str | Sequence[str] | None = "0003_model_inputs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE app.attribution_events ALTER COLUMN user_identifier SET STATISTICS 300")


def downgrade() -> None:
    op.execute("ALTER TABLE app.attribution_events ALTER COLUMN user_identifier SET STATISTICS -1")
