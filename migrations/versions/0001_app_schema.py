"""Create every table of schema app, attribution partitioning and reference data.

Revision ID: 0001_app_schema
Revises:
Create Date: 2026-11-25

Generated with ``alembic revision --autogenerate`` from ``dra.models`` and reviewed
by hand; the parts autogenerate cannot express are below ``create_tables``:

* the DEFAULT partition of ``attribution_events`` and the function
  ``app.ensure_attribution_partition(ts)`` that adds monthly partitions;
* the five subscription tiers and the default platform settings.

Roles, grants and row-level security follow in ``0002_roles_rls``.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_app_schema"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES_IN_CREATION_ORDER = (
    "article_categories",
    "subscription_tiers",
    "users",
    "account_cancellation_requests",
    "ai_usage",
    "alerts",
    "api_tokens",
    "articles",
    "backup_schedules",
    "beta_allowlist",
    "email_outbox",
    "email_preferences",
    "email_verification_tokens",
    "notifications",
    "password_reset_tokens",
    "platform_settings",
    "projects",
    "user_subscriptions",
    "attribution_event_ids",
    "attribution_events",
    "attribution_reports",
    "attribution_tracking_keys",
    "backups",
    "dashboards",
    "data_sources",
    "pipeline_requests",
    "project_invitations",
    "project_members",
    "ai_sessions",
    "dashboard_public_links",
    "data_models",
    "data_source_tables",
    "ai_conversations",
    "dashboard_widgets",
    "data_model_sources",
    "insights",
    "quality_reports",
    "quality_rules",
    "ai_messages",
)


def upgrade() -> None:
    create_tables()
    create_attribution_partitioning()
    seed_reference_data()


def downgrade() -> None:
    op.execute("DROP FUNCTION app.ensure_attribution_partition(timestamptz)")
    # Dropping the partitioned parent drops every partition with it.
    for table in reversed(TABLES_IN_CREATION_ORDER):
        op.drop_table(table, schema="app")


def create_tables() -> None:
    op.create_table(
        "article_categories",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_categories")),
        sa.UniqueConstraint("name", name=op.f("uq_article_categories_name")),
        sa.UniqueConstraint("slug", name=op.f("uq_article_categories_slug")),
        schema="app",
    )
    op.create_table(
        "subscription_tiers",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("monthly_price", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("sort_order", sa.Integer(), server_default="0", nullable=False),
        sa.Column("is_default", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "attribution_enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False
        ),
        sa.Column("max_rows_per_model", sa.BigInteger(), nullable=False),
        sa.Column("max_projects", sa.BigInteger(), nullable=False),
        sa.Column("max_sources_per_project", sa.BigInteger(), nullable=False),
        sa.Column("max_dashboards", sa.BigInteger(), nullable=False),
        sa.Column("max_models_per_source", sa.BigInteger(), nullable=False),
        sa.Column("max_members_per_project", sa.BigInteger(), nullable=False),
        sa.Column("max_ai_generations_per_month", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "max_ai_generations_per_month >= -1",
            name=op.f("ck_subscription_tiers_max_ai_generations_per_month_min"),
        ),
        sa.CheckConstraint(
            "max_dashboards >= -1", name=op.f("ck_subscription_tiers_max_dashboards_min")
        ),
        sa.CheckConstraint(
            "max_members_per_project >= -1",
            name=op.f("ck_subscription_tiers_max_members_per_project_min"),
        ),
        sa.CheckConstraint(
            "max_models_per_source >= -1",
            name=op.f("ck_subscription_tiers_max_models_per_source_min"),
        ),
        sa.CheckConstraint(
            "max_projects >= -1", name=op.f("ck_subscription_tiers_max_projects_min")
        ),
        sa.CheckConstraint(
            "max_rows_per_model >= -1", name=op.f("ck_subscription_tiers_max_rows_per_model_min")
        ),
        sa.CheckConstraint(
            "max_sources_per_project >= -1",
            name=op.f("ck_subscription_tiers_max_sources_per_project_min"),
        ),
        sa.CheckConstraint(
            "monthly_price >= 0", name=op.f("ck_subscription_tiers_monthly_price_min")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_tiers")),
        sa.UniqueConstraint("name", name=op.f("uq_subscription_tiers_name")),
        schema="app",
    )
    op.create_index(
        "uq_subscription_tiers_is_default",
        "subscription_tiers",
        ["is_default"],
        unique=True,
        schema="app",
        postgresql_where=sa.text("is_default"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("google_sub", sa.String(length=255), nullable=True),
        sa.Column("first_name", sa.String(length=100), server_default="", nullable=False),
        sa.Column("last_name", sa.String(length=100), server_default="", nullable=False),
        sa.Column("is_verified", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "is_platform_admin", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("is_db_admin", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("email LIKE '%%_@_%%'", name=op.f("ck_users_email_shape")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("google_sub", name=op.f("uq_users_google_sub")),
        schema="app",
    )
    op.create_index(
        "uq_users_lower_email",
        "users",
        [sa.literal_column("lower(email)")],
        unique=True,
        schema="app",
    )
    op.create_table(
        "account_cancellation_requests",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("processed_by", sa.BigInteger(), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("admin_note", sa.Text(), nullable=True),
        sa.Column("deletion_scheduled_for", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'withdrawn', 'approved', 'rejected')",
            name=op.f("ck_account_cancellation_requests_status"),
        ),
        sa.ForeignKeyConstraint(
            ["processed_by"],
            ["app.users.id"],
            name=op.f("fk_account_cancellation_requests_processed_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app.users.id"],
            name=op.f("fk_account_cancellation_requests_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_cancellation_requests")),
        schema="app",
    )
    op.create_index(
        op.f("ix_account_cancellation_requests_user_id"),
        "account_cancellation_requests",
        ["user_id"],
        unique=False,
        schema="app",
    )
    op.create_index(
        "uq_account_cancellation_requests_pending_user",
        "account_cancellation_requests",
        ["user_id"],
        unique=True,
        schema="app",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "ai_usage",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint("count >= 0", name=op.f("ck_ai_usage_count_min")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app.users.id"],
            name=op.f("fk_ai_usage_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "month", name=op.f("pk_ai_usage")),
        schema="app",
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "severity IN ('info', 'warning', 'error', 'critical')", name=op.f("ck_alerts_severity")
        ),
        sa.ForeignKeyConstraint(
            ["acknowledged_by"],
            ["app.users.id"],
            name=op.f("fk_alerts_acknowledged_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        schema="app",
    )
    op.create_index(
        "ix_alerts_acknowledged_at_created_at",
        "alerts",
        ["acknowledged_at", "created_at"],
        unique=False,
        schema="app",
    )
    op.create_index(op.f("ix_alerts_source"), "alerts", ["source"], unique=False, schema="app")
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app.users.id"],
            name=op.f("fk_api_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
        schema="app",
    )
    op.create_index(
        op.f("ix_api_tokens_user_id"), "api_tokens", ["user_id"], unique=False, schema="app"
    )
    op.create_table(
        "articles",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("category_id", sa.BigInteger(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("slug", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), server_default="", nullable=False),
        sa.Column("cover_image_url", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="draft", nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'archived')", name=op.f("ck_articles_status")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["app.users.id"],
            name=op.f("fk_articles_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["app.article_categories.id"],
            name=op.f("fk_articles_category_id_article_categories"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_articles")),
        sa.UniqueConstraint("slug", name=op.f("uq_articles_slug")),
        schema="app",
    )
    op.create_index(
        op.f("ix_articles_category_id"), "articles", ["category_id"], unique=False, schema="app"
    )
    op.create_index(
        "ix_articles_status_published_at",
        "articles",
        ["status", "published_at"],
        unique=False,
        schema="app",
    )
    op.create_table(
        "backup_schedules",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.String(length=100), server_default="default", nullable=False),
        sa.Column("cron", sa.String(length=100), nullable=False),
        sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False),
        sa.Column("retention_count", sa.Integer(), server_default="7", nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "retention_count >= 1", name=op.f("ck_backup_schedules_retention_count_min")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["app.users.id"],
            name=op.f("fk_backup_schedules_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backup_schedules")),
        schema="app",
    )
    op.create_table(
        "beta_allowlist",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("added_by", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["added_by"],
            ["app.users.id"],
            name=op.f("fk_beta_allowlist_added_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_beta_allowlist")),
        schema="app",
    )
    op.create_index(
        "uq_beta_allowlist_lower_email",
        "beta_allowlist",
        [sa.literal_column("lower(email)")],
        unique=True,
        schema="app",
    )
    op.create_table(
        "email_outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app.users.id"],
            name=op.f("fk_email_outbox_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_outbox")),
        schema="app",
    )
    op.create_index(
        op.f("ix_email_outbox_to_address"),
        "email_outbox",
        ["to_address"],
        unique=False,
        schema="app",
    )
    op.create_index(
        "ix_email_outbox_unsent",
        "email_outbox",
        ["created_at"],
        unique=False,
        schema="app",
        postgresql_where=sa.text("sent_at IS NULL"),
    )
    op.create_index(
        op.f("ix_email_outbox_user_id"), "email_outbox", ["user_id"], unique=False, schema="app"
    )
    op.create_table(
        "email_preferences",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("marketing", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("product_updates", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("notifications", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app.users.id"],
            name=op.f("fk_email_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_email_preferences")),
        schema="app",
    )
    op.create_table(
        "email_verification_tokens",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app.users.id"],
            name=op.f("fk_email_verification_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_verification_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_email_verification_tokens_token_hash")),
        schema="app",
    )
    op.create_index(
        op.f("ix_email_verification_tokens_user_id"),
        "email_verification_tokens",
        ["user_id"],
        unique=False,
        schema="app",
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("message", sa.Text(), server_default="", nullable=False),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app.users.id"],
            name=op.f("fk_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        schema="app",
    )
    op.create_index(
        "ix_notifications_user_id_read_at_created_at",
        "notifications",
        ["user_id", "read_at", sa.literal_column("created_at DESC")],
        unique=False,
        schema="app",
    )
    op.create_table(
        "password_reset_tokens",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app.users.id"],
            name=op.f("fk_password_reset_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_reset_tokens_token_hash")),
        schema="app",
    )
    op.create_index(
        op.f("ix_password_reset_tokens_user_id"),
        "password_reset_tokens",
        ["user_id"],
        unique=False,
        schema="app",
    )
    op.create_table(
        "platform_settings",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["app.users.id"],
            name=op.f("fk_platform_settings_updated_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_platform_settings")),
        schema="app",
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "attribution_tab_visible", sa.Boolean(), server_default=sa.text("true"), nullable=False
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["app.users.id"],
            name=op.f("fk_projects_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("owner_id", "name", name=op.f("uq_projects_owner_id_name")),
        schema="app",
    )
    op.create_table(
        "user_subscriptions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("tier_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tier_id"],
            ["app.subscription_tiers.id"],
            name=op.f("fk_user_subscriptions_tier_id_subscription_tiers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app.users.id"],
            name=op.f("fk_user_subscriptions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_subscriptions")),
        sa.UniqueConstraint("user_id", name=op.f("uq_user_subscriptions_user_id")),
        schema="app",
    )
    op.create_index(
        op.f("ix_user_subscriptions_tier_id"),
        "user_subscriptions",
        ["tier_id"],
        unique=False,
        schema="app",
    )
    op.create_table(
        "attribution_event_ids",
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("client_event_id", sa.String(length=128), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["app.projects.id"],
            name=op.f("fk_attribution_event_ids_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "project_id", "client_event_id", name=op.f("pk_attribution_event_ids")
        ),
        schema="app",
    )
    op.create_table(
        "attribution_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("client_event_id", sa.String(length=128), nullable=True),
        sa.Column("user_identifier", sa.String(length=255), nullable=False),
        sa.Column("session_id", sa.String(length=255), nullable=True),
        sa.Column("event_type", sa.String(length=32), nullable=False),
        sa.Column("event_name", sa.String(length=255), nullable=True),
        sa.Column("page_url", sa.Text(), nullable=True),
        sa.Column("referrer", sa.Text(), nullable=True),
        sa.Column("utm_source", sa.String(length=255), nullable=True),
        sa.Column("utm_medium", sa.String(length=255), nullable=True),
        sa.Column("utm_campaign", sa.String(length=255), nullable=True),
        sa.Column("utm_term", sa.String(length=255), nullable=True),
        sa.Column("utm_content", sa.String(length=255), nullable=True),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("value", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column(
            "properties",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "event_type IN ('page_view', 'click', 'form_submit', 'signup', 'purchase',"
            " 'conversion', 'custom')",
            name=op.f("ck_attribution_events_event_type"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["app.projects.id"],
            name=op.f("fk_attribution_events_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", "occurred_at", name=op.f("pk_attribution_events")),
        sa.UniqueConstraint(
            "project_id",
            "client_event_id",
            "occurred_at",
            name=op.f("uq_attribution_events_project_id_client_event_id_occurred_at"),
        ),
        schema="app",
        postgresql_partition_by="RANGE (occurred_at)",
    )
    op.create_index(
        "ix_attribution_events_project_id_occurred_at",
        "attribution_events",
        ["project_id", "occurred_at"],
        unique=False,
        schema="app",
    )
    op.create_index(
        "ix_attribution_events_project_id_user_identifier_occurred_at",
        "attribution_events",
        ["project_id", "user_identifier", "occurred_at"],
        unique=False,
        schema="app",
    )
    op.create_table(
        "attribution_reports",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), server_default="attribution", nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("model", sa.String(length=32), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column(
            "params",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="queued", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind <> 'attribution' OR model IS NOT NULL",
            name=op.f("ck_attribution_reports_model_required"),
        ),
        sa.CheckConstraint(
            "kind IN ('attribution', 'funnel', 'journey')", name=op.f("ck_attribution_reports_kind")
        ),
        sa.CheckConstraint(
            "model IN ('first_touch', 'last_touch', 'linear', 'time_decay', 'position_based')",
            name=op.f("ck_attribution_reports_model"),
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed')",
            name=op.f("ck_attribution_reports_status"),
        ),
        sa.CheckConstraint(
            "end_date >= start_date", name=op.f("ck_attribution_reports_date_range")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["app.users.id"],
            name=op.f("fk_attribution_reports_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["app.projects.id"],
            name=op.f("fk_attribution_reports_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attribution_reports")),
        schema="app",
    )
    op.create_index(
        "ix_attribution_reports_project_id_created_at",
        "attribution_reports",
        ["project_id", "created_at"],
        unique=False,
        schema="app",
    )
    op.create_table(
        "attribution_tracking_keys",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column(
            "allowed_origins",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["app.users.id"],
            name=op.f("fk_attribution_tracking_keys_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["app.projects.id"],
            name=op.f("fk_attribution_tracking_keys_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attribution_tracking_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_attribution_tracking_keys_key_hash")),
        schema="app",
    )
    op.create_index(
        op.f("ix_attribution_tracking_keys_project_id"),
        "attribution_tracking_keys",
        ["project_id"],
        unique=False,
        schema="app",
    )
    op.create_table(
        "backups",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), server_default="manual", nullable=False),
        sa.Column("status", sa.String(length=16), server_default="queued", nullable=False),
        sa.Column("phase", sa.String(length=64), nullable=True),
        sa.Column("progress", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column(
            "metadata",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("drill_status", sa.String(length=16), nullable=True),
        sa.Column("drill_seconds", sa.Float(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempt", sa.Integer(), server_default="1", nullable=False),
        sa.Column("next_retry_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("schedule_id", sa.BigInteger(), nullable=True),
        sa.Column("requested_by", sa.BigInteger(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "drill_status IN ('pending', 'passed', 'failed')", name=op.f("ck_backups_drill_status")
        ),
        sa.CheckConstraint(
            "kind IN ('manual', 'scheduled', 'uploaded')", name=op.f("ck_backups_kind")
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed')", name=op.f("ck_backups_status")
        ),
        sa.CheckConstraint("attempt >= 1", name=op.f("ck_backups_attempt_min")),
        sa.CheckConstraint(
            "progress >= 0 AND progress <= 100", name=op.f("ck_backups_progress_range")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["app.users.id"],
            name=op.f("fk_backups_requested_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["app.backup_schedules.id"],
            name=op.f("fk_backups_schedule_id_backup_schedules"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backups")),
        sa.UniqueConstraint("file_name", name=op.f("uq_backups_file_name")),
        schema="app",
    )
    op.create_index(
        "ix_backups_next_retry_at",
        "backups",
        ["next_retry_at"],
        unique=False,
        schema="app",
        postgresql_where=sa.text("next_retry_at IS NOT NULL"),
    )
    op.create_index(
        "ix_backups_status_created_at",
        "backups",
        ["status", "created_at"],
        unique=False,
        schema="app",
    )
    op.create_table(
        "dashboards",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "layout",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "filters",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_dashboards_version_min")),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["app.users.id"],
            name=op.f("fk_dashboards_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["app.projects.id"],
            name=op.f("fk_dashboards_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboards")),
        schema="app",
    )
    op.create_index(
        op.f("ix_dashboards_project_id"), "dashboards", ["project_id"], unique=False, schema="app"
    )
    op.create_table(
        "data_sources",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("connection_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column(
            "settings",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("file_path", sa.Text(), nullable=True),
        sa.Column("original_filename", sa.String(length=255), nullable=True),
        sa.Column("file_size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("schema_cache", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("schema_cached_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "selected_tables",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("incremental_cursor_column", sa.String(length=255), nullable=True),
        sa.Column("incremental_cursor_value", sa.Text(), nullable=True),
        sa.Column("row_count", sa.BigInteger(), nullable=True),
        sa.Column("last_refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'ingesting', 'ready', 'failed')",
            name=op.f("ck_data_sources_status"),
        ),
        sa.CheckConstraint(
            "type IN ('postgresql', 'mysql', 'mariadb', 'mongodb', 'csv', 'excel', 'pdf',"
            " 'google_analytics', 'google_ads', 'google_ad_manager', 'linkedin_ads', 'meta_ads')",
            name=op.f("ck_data_sources_type"),
        ),
        sa.CheckConstraint("row_count >= 0", name=op.f("ck_data_sources_row_count_min")),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["app.users.id"],
            name=op.f("fk_data_sources_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["app.projects.id"],
            name=op.f("fk_data_sources_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_sources")),
        schema="app",
    )
    op.create_index(
        op.f("ix_data_sources_project_id"),
        "data_sources",
        ["project_id"],
        unique=False,
        schema="app",
    )
    op.create_table(
        "pipeline_requests",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=True),
        sa.Column("target_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "payload",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="queued", nullable=False),
        sa.Column("dagster_run_id", sa.String(length=64), nullable=True),
        sa.Column("progress", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.BigInteger(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')",
            name=op.f("ck_pipeline_requests_status"),
        ),
        sa.CheckConstraint(
            "progress >= 0 AND progress <= 100", name=op.f("ck_pipeline_requests_progress_range")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["app.projects.id"],
            name=op.f("fk_pipeline_requests_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["app.users.id"],
            name=op.f("fk_pipeline_requests_requested_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline_requests")),
        schema="app",
    )
    op.create_index(
        op.f("ix_pipeline_requests_dagster_run_id"),
        "pipeline_requests",
        ["dagster_run_id"],
        unique=False,
        schema="app",
    )
    op.create_index(
        "ix_pipeline_requests_kind_target_id",
        "pipeline_requests",
        ["kind", "target_id"],
        unique=False,
        schema="app",
    )
    op.create_index(
        "ix_pipeline_requests_project_id_created_at",
        "pipeline_requests",
        ["project_id", "created_at"],
        unique=False,
        schema="app",
    )
    op.create_index(
        "ix_pipeline_requests_status_created_at",
        "pipeline_requests",
        ["status", "created_at"],
        unique=False,
        schema="app",
    )
    op.create_index(
        "uq_pipeline_requests_active_dedupe_key",
        "pipeline_requests",
        ["dedupe_key"],
        unique=True,
        schema="app",
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )
    op.create_table(
        "project_invitations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("invited_by", sa.BigInteger(), nullable=True),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "role IN ('admin', 'editor', 'viewer')", name=op.f("ck_project_invitations_role")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'declined', 'cancelled', 'expired')",
            name=op.f("ck_project_invitations_status"),
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"],
            ["app.users.id"],
            name=op.f("fk_project_invitations_invited_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["app.projects.id"],
            name=op.f("fk_project_invitations_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_project_invitations_token_hash")),
        schema="app",
    )
    op.create_index(
        "ix_project_invitations_lower_email",
        "project_invitations",
        [sa.literal_column("lower(email)")],
        unique=False,
        schema="app",
    )
    op.create_index(
        op.f("ix_project_invitations_project_id"),
        "project_invitations",
        ["project_id"],
        unique=False,
        schema="app",
    )
    op.create_index(
        "uq_project_invitations_pending_email",
        "project_invitations",
        ["project_id", sa.literal_column("lower(email)")],
        unique=True,
        schema="app",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "project_members",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("added_by", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "role IN ('owner', 'admin', 'editor', 'viewer')", name=op.f("ck_project_members_role")
        ),
        sa.ForeignKeyConstraint(
            ["added_by"],
            ["app.users.id"],
            name=op.f("fk_project_members_added_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["app.projects.id"],
            name=op.f("fk_project_members_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app.users.id"],
            name=op.f("fk_project_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_members")),
        sa.UniqueConstraint(
            "project_id", "user_id", name=op.f("uq_project_members_project_id_user_id")
        ),
        schema="app",
    )
    op.create_index(
        op.f("ix_project_members_user_id"),
        "project_members",
        ["user_id"],
        unique=False,
        schema="app",
    )
    op.create_table(
        "ai_sessions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("data_source_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "data_source_ids",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), server_default="active", nullable=False),
        sa.Column("schema_context", sa.Text(), nullable=True),
        sa.Column(
            "history",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "draft",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('active', 'saved', 'discarded', 'expired')",
            name=op.f("ck_ai_sessions_status"),
        ),
        sa.ForeignKeyConstraint(
            ["data_source_id"],
            ["app.data_sources.id"],
            name=op.f("fk_ai_sessions_data_source_id_data_sources"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["app.projects.id"],
            name=op.f("fk_ai_sessions_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app.users.id"],
            name=op.f("fk_ai_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_sessions")),
        schema="app",
    )
    op.create_index(
        op.f("ix_ai_sessions_data_source_id"),
        "ai_sessions",
        ["data_source_id"],
        unique=False,
        schema="app",
    )
    op.create_index(
        op.f("ix_ai_sessions_project_id"), "ai_sessions", ["project_id"], unique=False, schema="app"
    )
    op.create_index(
        "ix_ai_sessions_status_expires_at",
        "ai_sessions",
        ["status", "expires_at"],
        unique=False,
        schema="app",
    )
    op.create_index(
        op.f("ix_ai_sessions_user_id"), "ai_sessions", ["user_id"], unique=False, schema="app"
    )
    op.create_index(
        "uq_ai_sessions_active_user_source",
        "ai_sessions",
        ["user_id", "data_source_id"],
        unique=True,
        schema="app",
        postgresql_where=sa.text("status = 'active' AND data_source_id IS NOT NULL"),
    )
    op.create_table(
        "dashboard_public_links",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("dashboard_id", sa.BigInteger(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_accessed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["app.users.id"],
            name=op.f("fk_dashboard_public_links_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["dashboard_id"],
            ["app.dashboards.id"],
            name=op.f("fk_dashboard_public_links_dashboard_id_dashboards"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_public_links")),
        sa.UniqueConstraint("token", name=op.f("uq_dashboard_public_links_token")),
        schema="app",
    )
    op.create_index(
        op.f("ix_dashboard_public_links_dashboard_id"),
        "dashboard_public_links",
        ["dashboard_id"],
        unique=False,
        schema="app",
    )
    op.create_table(
        "data_models",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("data_source_id", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("query", sa.Text(), server_default="", nullable=False),
        sa.Column("query_json", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="draft", nullable=False),
        sa.Column("materialized_table", sa.String(length=63), nullable=True),
        sa.Column("last_materialized_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("row_count", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'active', 'broken', 'failed')", name=op.f("ck_data_models_status")
        ),
        sa.CheckConstraint("row_count >= 0", name=op.f("ck_data_models_row_count_min")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_data_models_version_min")),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["app.users.id"],
            name=op.f("fk_data_models_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["data_source_id"],
            ["app.data_sources.id"],
            name=op.f("fk_data_models_data_source_id_data_sources"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["app.projects.id"],
            name=op.f("fk_data_models_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_models")),
        sa.UniqueConstraint(
            "project_id",
            "materialized_table",
            name=op.f("uq_data_models_project_id_materialized_table"),
        ),
        schema="app",
    )
    op.create_index(
        op.f("ix_data_models_data_source_id"),
        "data_models",
        ["data_source_id"],
        unique=False,
        schema="app",
    )
    op.create_table(
        "data_source_tables",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("data_source_id", sa.BigInteger(), nullable=False),
        sa.Column("source_table", sa.String(length=512), nullable=False),
        sa.Column("raw_table", sa.String(length=63), nullable=False),
        sa.Column(
            "columns",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("row_count", sa.BigInteger(), nullable=True),
        sa.Column("cursor_column", sa.String(length=255), nullable=True),
        sa.Column("cursor_value", sa.Text(), nullable=True),
        sa.Column("last_loaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("row_count >= 0", name=op.f("ck_data_source_tables_row_count_min")),
        sa.ForeignKeyConstraint(
            ["data_source_id"],
            ["app.data_sources.id"],
            name=op.f("fk_data_source_tables_data_source_id_data_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_source_tables")),
        sa.UniqueConstraint(
            "data_source_id",
            "raw_table",
            name=op.f("uq_data_source_tables_data_source_id_raw_table"),
        ),
        sa.UniqueConstraint(
            "data_source_id",
            "source_table",
            name=op.f("uq_data_source_tables_data_source_id_source_table"),
        ),
        schema="app",
    )
    op.create_table(
        "ai_conversations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("data_model_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "data_source_ids",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["data_model_id"],
            ["app.data_models.id"],
            name=op.f("fk_ai_conversations_data_model_id_data_models"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["app.projects.id"],
            name=op.f("fk_ai_conversations_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app.users.id"],
            name=op.f("fk_ai_conversations_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_conversations")),
        schema="app",
    )
    op.create_index(
        op.f("ix_ai_conversations_data_model_id"),
        "ai_conversations",
        ["data_model_id"],
        unique=False,
        schema="app",
    )
    op.create_index(
        op.f("ix_ai_conversations_project_id"),
        "ai_conversations",
        ["project_id"],
        unique=False,
        schema="app",
    )
    op.create_index(
        op.f("ix_ai_conversations_user_id"),
        "ai_conversations",
        ["user_id"],
        unique=False,
        schema="app",
    )
    op.create_table(
        "dashboard_widgets",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("dashboard_id", sa.BigInteger(), nullable=False),
        sa.Column("data_model_id", sa.BigInteger(), nullable=True),
        sa.Column("title", sa.String(length=200), server_default="", nullable=False),
        sa.Column("chart_type", sa.String(length=32), nullable=False),
        sa.Column(
            "binding",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "options",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("x", sa.Integer(), server_default="0", nullable=False),
        sa.Column("y", sa.Integer(), server_default="0", nullable=False),
        sa.Column("w", sa.Integer(), server_default="4", nullable=False),
        sa.Column("h", sa.Integer(), server_default="3", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "x >= 0 AND y >= 0 AND w > 0 AND h > 0", name=op.f("ck_dashboard_widgets_position")
        ),
        sa.ForeignKeyConstraint(
            ["dashboard_id"],
            ["app.dashboards.id"],
            name=op.f("fk_dashboard_widgets_dashboard_id_dashboards"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["data_model_id"],
            ["app.data_models.id"],
            name=op.f("fk_dashboard_widgets_data_model_id_data_models"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_widgets")),
        schema="app",
    )
    op.create_index(
        op.f("ix_dashboard_widgets_dashboard_id"),
        "dashboard_widgets",
        ["dashboard_id"],
        unique=False,
        schema="app",
    )
    op.create_index(
        op.f("ix_dashboard_widgets_data_model_id"),
        "dashboard_widgets",
        ["data_model_id"],
        unique=False,
        schema="app",
    )
    op.create_table(
        "data_model_sources",
        sa.Column("data_model_id", sa.BigInteger(), nullable=False),
        sa.Column("data_source_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["data_model_id"],
            ["app.data_models.id"],
            name=op.f("fk_data_model_sources_data_model_id_data_models"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["data_source_id"],
            ["app.data_sources.id"],
            name=op.f("fk_data_model_sources_data_source_id_data_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "data_model_id", "data_source_id", name=op.f("pk_data_model_sources")
        ),
        schema="app",
    )
    op.create_index(
        op.f("ix_data_model_sources_data_source_id"),
        "data_model_sources",
        ["data_source_id"],
        unique=False,
        schema="app",
    )
    op.create_table(
        "insights",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("data_model_id", sa.BigInteger(), nullable=True),
        sa.Column("data_source_id", sa.BigInteger(), nullable=True),
        sa.Column("dashboard_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "content",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("ai_model", sa.String(length=100), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["app.users.id"],
            name=op.f("fk_insights_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["dashboard_id"],
            ["app.dashboards.id"],
            name=op.f("fk_insights_dashboard_id_dashboards"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["data_model_id"],
            ["app.data_models.id"],
            name=op.f("fk_insights_data_model_id_data_models"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["data_source_id"],
            ["app.data_sources.id"],
            name=op.f("fk_insights_data_source_id_data_sources"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["app.projects.id"],
            name=op.f("fk_insights_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insights")),
        schema="app",
    )
    op.create_index(
        op.f("ix_insights_dashboard_id"), "insights", ["dashboard_id"], unique=False, schema="app"
    )
    op.create_index(
        "ix_insights_data_model_id_created_at",
        "insights",
        ["data_model_id", "created_at"],
        unique=False,
        schema="app",
    )
    op.create_index(
        op.f("ix_insights_data_source_id"),
        "insights",
        ["data_source_id"],
        unique=False,
        schema="app",
    )
    op.create_index(
        op.f("ix_insights_project_id"), "insights", ["project_id"], unique=False, schema="app"
    )
    op.create_table(
        "quality_reports",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("data_model_id", sa.BigInteger(), nullable=False),
        sa.Column("score", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("row_count", sa.BigInteger(), nullable=True),
        sa.Column(
            "report",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "score >= 0 AND score <= 100", name=op.f("ck_quality_reports_score_range")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["app.users.id"],
            name=op.f("fk_quality_reports_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["data_model_id"],
            ["app.data_models.id"],
            name=op.f("fk_quality_reports_data_model_id_data_models"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_reports")),
        schema="app",
    )
    op.create_index(
        "ix_quality_reports_data_model_id_created_at",
        "quality_reports",
        ["data_model_id", sa.literal_column("created_at DESC")],
        unique=False,
        schema="app",
    )
    op.create_table(
        "quality_rules",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("data_model_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), server_default="cleaning", nullable=False),
        sa.Column(
            "rule",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("kind IN ('cleaning', 'check')", name=op.f("ck_quality_rules_kind")),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["app.users.id"],
            name=op.f("fk_quality_rules_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["data_model_id"],
            ["app.data_models.id"],
            name=op.f("fk_quality_rules_data_model_id_data_models"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_rules")),
        schema="app",
    )
    op.create_index(
        "ix_quality_rules_data_model_id_position",
        "quality_rules",
        ["data_model_id", "position"],
        unique=False,
        schema="app",
    )
    op.create_table(
        "ai_messages",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("conversation_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "role IN ('user', 'assistant', 'system')", name=op.f("ck_ai_messages_role")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["app.ai_conversations.id"],
            name=op.f("fk_ai_messages_conversation_id_ai_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_messages")),
        schema="app",
    )
    op.create_index(
        "ix_ai_messages_conversation_id_created_at",
        "ai_messages",
        ["conversation_id", "created_at"],
        unique=False,
        schema="app",
    )


ENSURE_ATTRIBUTION_PARTITION = r"""
CREATE FUNCTION app.ensure_attribution_partition(ts timestamptz)
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = app, pg_temp
AS $function$
-- Create the partition of app.attribution_events for the calendar month (UTC) of ts,
-- unless it exists, and return its name. Rows of that month already caught by the
-- DEFAULT partition are moved into the new partition before it is attached.
DECLARE
    month_start timestamp := date_trunc('month', ts AT TIME ZONE 'UTC');
    lower_bound text := to_char(month_start, 'YYYY-MM-DD') || ' 00:00:00+00';
    upper_bound text := to_char(month_start + interval '1 month', 'YYYY-MM-DD') || ' 00:00:00+00';
    partition_name text := 'attribution_events_' || to_char(month_start, '"y"YYYY"m"MM');
    column_list text;
BEGIN
    -- One creator at a time; the others wait here and then find the table.
    PERFORM pg_advisory_xact_lock(hashtext('app.ensure_attribution_partition'));
    IF to_regclass(format('app.%I', partition_name)) IS NOT NULL THEN
        RETURN partition_name;
    END IF;

    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO column_list
    FROM pg_attribute
    WHERE attrelid = 'app.attribution_events'::regclass AND attnum > 0 AND NOT attisdropped;

    EXECUTE format(
        'CREATE TABLE app.%I'
        ' (LIKE app.attribution_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
        partition_name);
    EXECUTE format(
        'WITH moved AS (DELETE FROM app.attribution_events_default'
        ' WHERE occurred_at >= %L AND occurred_at < %L RETURNING %s)'
        ' INSERT INTO app.%I (%s) SELECT %s FROM moved',
        lower_bound, upper_bound, column_list, partition_name, column_list, column_list);
    EXECUTE format(
        'ALTER TABLE app.attribution_events ATTACH PARTITION app.%I FOR VALUES FROM (%L) TO (%L)',
        partition_name, lower_bound, upper_bound);
    RETURN partition_name;
END
$function$
"""


def create_attribution_partitioning() -> None:
    """DEFAULT partition, the monthly-partition function, this month and the next."""
    op.execute(
        "CREATE TABLE app.attribution_events_default PARTITION OF app.attribution_events DEFAULT"
    )
    op.execute(ENSURE_ATTRIBUTION_PARTITION)
    op.execute("REVOKE ALL ON FUNCTION app.ensure_attribution_partition(timestamptz) FROM PUBLIC")
    op.execute("SELECT app.ensure_attribution_partition(now())")
    op.execute("SELECT app.ensure_attribution_partition(now() + interval '1 month')")


LIMIT_COLUMNS = (
    "max_rows_per_model",
    "max_projects",
    "max_sources_per_project",
    "max_dashboards",
    "max_models_per_source",
    "max_members_per_project",
    "max_ai_generations_per_month",
)

# name: limits in LIMIT_COLUMNS order; -1 means unlimited.
SUBSCRIPTION_TIERS = {
    "Free": (50_000, 3, 5, 5, 3, 0, 10),
    "Starter": (500_000, 10, 15, 15, -1, 0, 100),
    "Professional": (5_000_000, -1, -1, -1, -1, 5, 500),
    "Professional Plus": (100_000_000, -1, -1, -1, -1, 100, -1),
    "Enterprise": (-1, -1, -1, -1, -1, -1, -1),
}
DEFAULT_TIER = "Free"

PLATFORM_SETTINGS = {"registration_open": True, "private_beta": False}


def seed_reference_data() -> None:
    """The subscription tiers and the default platform settings."""
    tiers = sa.table(
        "subscription_tiers",
        sa.column("name", sa.String),
        sa.column("sort_order", sa.Integer),
        sa.column("is_default", sa.Boolean),
        *(sa.column(name, sa.BigInteger) for name in LIMIT_COLUMNS),
        schema="app",
    )
    op.bulk_insert(
        tiers,
        [
            {
                "name": name,
                "sort_order": position,
                "is_default": name == DEFAULT_TIER,
                **dict(zip(LIMIT_COLUMNS, limits, strict=True)),
            }
            for position, (name, limits) in enumerate(SUBSCRIPTION_TIERS.items(), start=1)
        ],
    )
    # Raw SQL: offline mode (--sql) cannot render JSONB bind values.
    values = ", ".join(
        f"('{key}', '{json.dumps(value)}'::jsonb)" for key, value in PLATFORM_SETTINGS.items()
    )
    op.execute(f"INSERT INTO app.platform_settings (key, value) VALUES {values}")
