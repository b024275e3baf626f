"""Attribution reports: their own lookback window and conversion event types.

Revision ID: 0007_report_options
Revises: 0006_insight_versions
Create Date: 2026-12-06

``attribution_reports.lookback_days`` (1 to 365, default 30) and
``attribution_reports.conversion_types`` (a JSON list of 1 to 7 event types, default
``["conversion", "purchase"]``): the options a report is computed with, chosen on the
report form. Existing reports take the values their ``params`` recorded (the defaults).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007_report_options"
down_revision: str | Sequence[str] | None = "0006_insight_versions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECKS = {
    "lookback_days_range": "lookback_days BETWEEN 1 AND 365",
    "conversion_types_list": "jsonb_typeof(conversion_types) = 'array'"
    " AND jsonb_array_length(conversion_types) BETWEEN 1 AND 7",
}


def upgrade() -> None:
    op.add_column(
        "attribution_reports",
        sa.Column("lookback_days", sa.Integer(), server_default=sa.text("30"), nullable=False),
        schema="app",
    )
    op.add_column(
        "attribution_reports",
        sa.Column(
            "conversion_types",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("""'["conversion", "purchase"]'::jsonb"""),
            nullable=False,
        ),
        schema="app",
    )
    # what the reports recorded in params (always the defaults until now), when valid
    op.execute(
        """
        UPDATE app.attribution_reports
        SET lookback_days = (params ->> 'lookback_days')::integer
        WHERE params ->> 'lookback_days' ~ '^[0-9]{1,3}$'
          AND (params ->> 'lookback_days')::integer BETWEEN 1 AND 365
        """
    )
    op.execute(
        """
        UPDATE app.attribution_reports
        SET conversion_types = params -> 'conversion_types'
        WHERE jsonb_typeof(params -> 'conversion_types') = 'array'
          AND jsonb_array_length(params -> 'conversion_types') BETWEEN 1 AND 7
        """
    )
    for name, condition in CHECKS.items():
        op.create_check_constraint(
            op.f(f"ck_attribution_reports_{name}"), "attribution_reports", condition, schema="app"
        )


def downgrade() -> None:
    for name in CHECKS:
        op.drop_constraint(
            op.f(f"ck_attribution_reports_{name}"),
            "attribution_reports",
            schema="app",
            type_="check",
        )
    op.drop_column("attribution_reports", "conversion_types", schema="app")
    op.drop_column("attribution_reports", "lookback_days", schema="app")
