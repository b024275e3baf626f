"""AI modeler sessions: the conversation as rows, appended each turn, not one JSON array.

Revision ID: 0008_ai_session_messages
Revises: 0007_report_options
Create Date: 2026-12-06

``app.ai_session_messages`` holds a live session's messages, one row each in
``position`` order (``role``; ``content``: the analyst's text or the model's raw answer;
``payload``: the checked answer; ``seen``: what the assistant was sent; ``created_at``).
A chat turn inserts its two rows; before, it rewrote ``ai_sessions.history``, a JSON
array that reached about 1 MB after 34 turns (each answer keeps the prompt it was
sent). The rows go with their session (ON DELETE CASCADE: discarding, the expiry purge,
deleting the project or the user). Owned by dra_owner, written by dra_app under the
session's row-level security: a member of the session's project.

Upgrade moves every stored history into rows (an entry's ``at`` becomes
``created_at``; without a readable one, the session's creation time) and drops the
column; downgrade puts the rows back into ``history`` in order.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008_ai_session_messages"
down_revision: str | Sequence[str] | None = "0007_report_options"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "ai_session_messages"
MEMBER = """(EXISTS (SELECT 1 FROM app.ai_sessions p
                      WHERE p.id = ai_session_messages.session_id
                        AND p.project_id IN (SELECT app.user_project_ids()))
            OR (SELECT app.is_platform_admin()))"""
ISO_TIME = r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d{1,6})?)?(Z|[+-]\d\d(:?\d\d)?)?$"
MOVE_HISTORIES = f"""
INSERT INTO app.{TABLE} (session_id, position, role, content, payload, seen, created_at)
SELECT s.id, e.n - 1, e.entry->>'role', coalesce(e.entry->>'content', ''),
       e.entry->'payload', e.entry->'seen',
       CASE WHEN e.entry->>'at' !~ '{ISO_TIME}' THEN s.created_at
            WHEN e.entry->>'at' ~ '(Z|[+-]\\d\\d(:?\\d\\d)?)$' THEN (e.entry->>'at')::timestamptz
            ELSE (e.entry->>'at')::timestamp AT TIME ZONE 'UTC' END
FROM app.ai_sessions s
CROSS JOIN LATERAL jsonb_array_elements(
    CASE WHEN jsonb_typeof(s.history) = 'array' THEN s.history ELSE '[]'::jsonb END
) WITH ORDINALITY AS e(entry, n)
WHERE jsonb_typeof(e.entry) = 'object' AND e.entry->>'role' IN ('user', 'assistant', 'system')
"""
RESTORE_HISTORIES = f"""
UPDATE app.ai_sessions s SET history = m.history
FROM (
    SELECT session_id, jsonb_agg(
        jsonb_build_object(
            'role', role,
            'content', content,
            'at', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')
        )
        || CASE WHEN payload IS NULL THEN '{{}}'::jsonb
                ELSE jsonb_build_object('payload', payload) END
        || CASE WHEN seen IS NULL THEN '{{}}'::jsonb ELSE jsonb_build_object('seen', seen) END
        ORDER BY position
    ) AS history
    FROM app.{TABLE} GROUP BY session_id
) AS m
WHERE m.session_id = s.id
"""


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("session_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("seen", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "role IN ('user', 'assistant', 'system')", name=op.f("ck_ai_session_messages_role")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["app.ai_sessions.id"],
            name=op.f("fk_ai_session_messages_session_id_ai_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "position", name=op.f("pk_ai_session_messages")),
        schema="app",
    )
    op.execute(f"ALTER TABLE app.{TABLE} OWNER TO dra_owner")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON app.{TABLE} TO dra_app")
    op.execute(f"ALTER TABLE app.{TABLE} ENABLE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY {TABLE}_member_access ON app.{TABLE} AS PERMISSIVE FOR ALL TO dra_app"
        f"\n    USING ({MEMBER})"
        f"\n    WITH CHECK ({MEMBER})"
    )
    op.execute(MOVE_HISTORIES)
    op.drop_column("ai_sessions", "history", schema="app")


def downgrade() -> None:
    op.add_column(
        "ai_sessions",
        sa.Column(
            "history",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        schema="app",
    )
    op.execute(RESTORE_HISTORIES)
    op.drop_table(TABLE, schema="app")
