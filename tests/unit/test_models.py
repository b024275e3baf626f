"""The SQLAlchemy models of schema app, checked without a database."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import CheckConstraint, DateTime, Table
from sqlalchemy.orm import configure_mappers

from dra.models import (
    APP_SCHEMA,
    UNLIMITED,
    AttributionEvent,
    Base,
    Dashboard,
    SubscriptionTier,
    User,
)
from dra.models.attribution import EventType
from dra.models.billing import TIER_LIMIT_COLUMNS
from dra.models.projects import ProjectRole
from dra.models.sources import DataSourceType

TABLES = {
    "users", "email_verification_tokens", "password_reset_tokens", "api_tokens",
    "account_cancellation_requests", "projects", "project_members", "project_invitations",
    "data_sources", "data_source_tables", "data_models", "data_model_sources",
    "data_model_inputs", "ai_sessions", "ai_session_messages",
    "ai_conversations", "ai_messages", "ai_usage", "insights", "dashboards",
    "dashboard_widgets", "dashboard_public_links", "quality_reports", "quality_rules",
    "attribution_tracking_keys", "attribution_events", "attribution_event_ids",
    "attribution_reports", "subscription_tiers", "user_subscriptions", "article_categories",
    "articles", "notifications", "email_preferences", "email_outbox", "platform_settings",
    "beta_allowlist", "alerts", "backups", "backup_schedules", "pipeline_requests",
}  # fmt: skip

ALL_TABLES = list(Base.metadata.sorted_tables)


def table(name: str) -> Table:
    return Base.metadata.tables[f"{APP_SCHEMA}.{name}"]


def ondelete(table_name: str, column: str) -> str | None:
    (fk,) = table(table_name).c[column].foreign_keys
    return fk.ondelete


def test_mappers_configure():
    configure_mappers()


def test_metadata_holds_every_table_in_schema_app():
    assert {t.name for t in ALL_TABLES} == TABLES
    assert {t.schema for t in ALL_TABLES} == {APP_SCHEMA}


@pytest.mark.parametrize("tbl", ALL_TABLES, ids=lambda t: t.name)
def test_every_table_has_a_primary_key(tbl: Table):
    assert tbl.primary_key.columns


@pytest.mark.parametrize("tbl", ALL_TABLES, ids=lambda t: t.name)
def test_every_foreign_key_says_what_happens_on_delete(tbl: Table):
    for fk in tbl.foreign_keys:
        assert fk.ondelete in {"CASCADE", "SET NULL", "RESTRICT"}, fk.parent


@pytest.mark.parametrize("tbl", ALL_TABLES, ids=lambda t: t.name)
def test_project_scoped_rows_go_with_their_project(tbl: Table):
    for fk in tbl.foreign_keys:
        if fk.column.table.name == "projects":
            assert fk.ondelete == "CASCADE", fk.parent


@pytest.mark.parametrize("tbl", ALL_TABLES, ids=lambda t: t.name)
def test_a_users_own_rows_go_with_them_and_authorship_is_forgotten(tbl: Table):
    for fk in tbl.foreign_keys:
        if fk.column.table.name == "users":
            owned = fk.parent.name in {"user_id", "owner_id"}
            expected = "CASCADE" if owned and not fk.parent.nullable else "SET NULL"
            assert fk.ondelete == expected, fk.parent


def test_deleting_a_source_or_model_keeps_what_was_built_on_it():
    assert ondelete("data_models", "data_source_id") == "SET NULL"
    assert ondelete("dashboard_widgets", "data_model_id") == "SET NULL"
    assert ondelete("user_subscriptions", "tier_id") == "RESTRICT"
    assert ondelete("articles", "category_id") == "RESTRICT"


@pytest.mark.parametrize("tbl", ALL_TABLES, ids=lambda t: t.name)
def test_timestamps_are_timezone_aware(tbl: Table):
    for column in tbl.columns:
        if isinstance(column.type, DateTime):
            assert column.type.timezone, column


@pytest.mark.parametrize("tbl", ALL_TABLES, ids=lambda t: t.name)
def test_project_and_user_lookups_are_indexed(tbl: Table):
    leading = {
        idx.expressions[0].name for idx in tbl.indexes if hasattr(idx.expressions[0], "name")
    }
    leading |= {c.columns[0].name for c in tbl.constraints if getattr(c, "columns", None)}
    for column in ("project_id", "user_id", "data_source_id", "data_model_id", "dashboard_id"):
        if column in tbl.c and tbl.c[column].foreign_keys:
            assert column in leading, f"{tbl.name}.{column}"


@pytest.mark.parametrize("tbl", ALL_TABLES, ids=lambda t: t.name)
def test_constraint_and_index_names_fit_in_an_identifier(tbl: Table):
    names = [c.name for c in tbl.constraints] + [i.name for i in tbl.indexes]
    for name in names:
        assert name and len(name) <= 63, name


def test_vocabularies_follow_the_use_cases():
    assert [r.value for r in ProjectRole] == ["owner", "admin", "editor", "viewer"]
    assert [t.value for t in EventType] == [
        "page_view", "click", "form_submit", "signup", "purchase", "conversion", "custom",
    ]  # fmt: skip
    assert {t.value for t in DataSourceType} == {
        "postgresql", "mysql", "mariadb", "mongodb", "csv", "excel", "pdf", "google_analytics",
        "google_ads", "google_ad_manager", "linkedin_ads", "meta_ads",
    }  # fmt: skip
    role_check = next(
        c for c in table("project_members").constraints if isinstance(c, CheckConstraint)
    )
    assert str(role_check.sqltext) == "role IN ('owner', 'admin', 'editor', 'viewer')"


def test_emails_are_unique_case_insensitively():
    (index,) = [i for i in table("users").indexes if i.unique]
    assert [str(e) for e in index.expressions] == ["lower(email)"]
    assert table("users").c.password_hash.nullable  # accounts that only use Google


def test_attribution_events_are_partitioned_by_month_on_occurred_at():
    events = AttributionEvent.__table__
    assert events.dialect_options["postgresql"]["partition_by"] == "RANGE (occurred_at)"
    assert {c.name for c in events.primary_key.columns} == {"id", "occurred_at"}
    assert "occurred_at" in {c.name for c in table("attribution_event_ids").c}


def test_dashboards_use_optimistic_locking():
    assert Dashboard.__mapper__.version_id_col is Dashboard.__table__.c.version


def test_tier_limits_allow_counts_below_the_limit_or_anything_when_unlimited():
    tier = SubscriptionTier(name="t", max_projects=3, max_dashboards=UNLIMITED)
    assert tier.allows("max_projects", 2)
    assert not tier.allows("max_projects", 3)
    assert tier.allows("max_dashboards", 10**9)
    checks = {str(c.sqltext) for c in table("subscription_tiers").constraints
              if isinstance(c, CheckConstraint)}  # fmt: skip
    assert all(f"{column} >= -1" in checks for column in TIER_LIMIT_COLUMNS)


def test_full_name_falls_back_to_the_email():
    assert User(email="a@x.io", first_name="Ada", last_name="Lovelace").full_name == "Ada Lovelace"
    assert User(email="a@x.io", first_name="", last_name="").full_name == "a@x.io"


def test_models_import_neither_flask_nor_dagster():
    code = (
        "import sys, dra.models; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'flask', 'dagster'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
