"""Projects: whether the AI data modeler may see a few sample values (off by default).

Revision ID: 0005_ai_sample_values
Revises: 0004_project_roles
Create Date: 2026-12-02

``projects.ai_sample_values``: when true (set by the project's owner), the schema sent to
the AI data modeler lists a few distinct values of low-cardinality text columns; otherwise
no data value leaves the platform, only names, types and counts.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_ai_sample_values"
down_revision: str | Sequence[str] | None = "0004_project_roles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "projects",
        sa.Column(
            "ai_sample_values", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        schema="app",
    )


def downgrade() -> None:
    op.drop_column("projects", "ai_sample_values", schema="app")
