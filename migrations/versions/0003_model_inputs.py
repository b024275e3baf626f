"""Data models that read other data models (lineage and refresh order between models).

Revision ID: 0003_model_inputs
Revises: 0002_roles_rls
Create Date: 2026-11-25

``app.data_model_inputs`` links a model to each model whose table it reads. The refresh
sensor rebuilds a model's readers after it is rebuilt; saving a model that would read
itself, directly or through others, is refused. Owned by dra_owner, written by dra_app
under the same row-level security as ``data_model_sources``: a member of the model's
project, and the upstream model must belong to the same project.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_model_inputs"
down_revision: str | Sequence[str] | None = "0002_roles_rls"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "data_model_inputs"
MEMBER = """(EXISTS (SELECT 1 FROM app.data_models p
                      WHERE p.id = data_model_inputs.data_model_id
                        AND p.project_id IN (SELECT app.user_project_ids()))
            OR (SELECT app.is_platform_admin()))"""
SAME_PROJECT = """EXISTS (SELECT 1 FROM app.data_models p
                          JOIN app.data_models u ON u.project_id = p.project_id
                         WHERE p.id = data_model_inputs.data_model_id
                           AND u.id = data_model_inputs.upstream_model_id)"""


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("data_model_id", sa.BigInteger(), nullable=False),
        sa.Column("upstream_model_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["data_model_id"],
            ["app.data_models.id"],
            name=op.f("fk_data_model_inputs_data_model_id_data_models"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["upstream_model_id"],
            ["app.data_models.id"],
            name=op.f("fk_data_model_inputs_upstream_model_id_data_models"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "data_model_id", "upstream_model_id", name=op.f("pk_data_model_inputs")
        ),
        schema="app",
    )
    op.create_index(
        op.f("ix_data_model_inputs_upstream_model_id"),
        TABLE,
        ["upstream_model_id"],
        unique=False,
        schema="app",
    )
    op.execute(f"ALTER TABLE app.{TABLE} OWNER TO dra_owner")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON app.{TABLE} TO dra_app")
    op.execute(f"ALTER TABLE app.{TABLE} ENABLE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY {TABLE}_member_access ON app.{TABLE} AS PERMISSIVE FOR ALL TO dra_app"
        f"\n    USING ({MEMBER})"
        f"\n    WITH CHECK ({MEMBER} AND {SAME_PROJECT})"
    )


def downgrade() -> None:
    op.drop_table(TABLE, schema="app")
