"""Data sources (databases, files, ad platforms) and the tables ingested from them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dra.models.base import Base, TimestampMixin
from dra.models.columns import (
    SQL_IDENTIFIER_LENGTH,
    IdMixin,
    at_least,
    by_user,
    choice,
    foreign_key,
    json_array,
    json_object,
    one_of,
    timestamp,
)

if TYPE_CHECKING:
    from dra.models.projects import Project


class DataSourceType(StrEnum):
    POSTGRESQL = "postgresql"
    MYSQL = "mysql"
    MARIADB = "mariadb"
    MONGODB = "mongodb"
    CSV = "csv"
    EXCEL = "excel"
    PDF = "pdf"
    GOOGLE_ANALYTICS = "google_analytics"
    GOOGLE_ADS = "google_ads"
    GOOGLE_AD_MANAGER = "google_ad_manager"
    LINKEDIN_ADS = "linkedin_ads"
    META_ADS = "meta_ads"


FILE_SOURCE_TYPES = frozenset({DataSourceType.CSV, DataSourceType.EXCEL, DataSourceType.PDF})


class DataSourceStatus(StrEnum):
    PENDING = "pending"
    """Saved, nothing ingested yet."""
    INGESTING = "ingesting"
    READY = "ready"
    FAILED = "failed"
    """The last ingestion failed; ``last_error`` says why, earlier raw data is kept."""


class DataSource(IdMixin, TimestampMixin, Base):
    """A connection or uploaded file in a project.

    ``connection_encrypted`` holds the Fernet token of the JSON connection details
    (host, user, password, OAuth tokens...): never store secrets anywhere else.
    Non-secret choices (GA4 property, Ads customer id, CSV delimiter, sheet names)
    go in ``settings``. Deleting a source leaves its data models in place with
    ``data_source_id`` NULL; the app marks them ``broken``.
    """

    __tablename__ = "data_sources"
    __table_args__ = (
        one_of("type", DataSourceType),
        one_of("status", DataSourceStatus),
        at_least("row_count", 0),
    )

    project_id: Mapped[int] = foreign_key("projects.id", ondelete="CASCADE")
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    type: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[str] = choice(DataSourceStatus.PENDING)
    connection_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    settings: Mapped[dict[str, Any]] = json_object()
    file_path: Mapped[str | None] = mapped_column(Text, doc="uploaded file, relative to data dir")
    original_filename: Mapped[str | None] = mapped_column(String(255))
    file_size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    schema_cache: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    schema_cached_at: Mapped[datetime | None] = timestamp()
    selected_tables: Mapped[list[str]] = json_array()
    incremental_cursor_column: Mapped[str | None] = mapped_column(
        String(255), doc="source-wide cursor (e.g. report date for ad platforms)"
    )
    incremental_cursor_value: Mapped[str | None] = mapped_column(Text)
    row_count: Mapped[int | None] = mapped_column(BigInteger)
    last_refreshed_at: Mapped[datetime | None] = timestamp()
    last_error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = by_user()

    project: Mapped[Project] = relationship(back_populates="data_sources")
    tables: Mapped[list[DataSourceTable]] = relationship(
        back_populates="data_source", cascade="all, delete-orphan", passive_deletes=True
    )


class DataSourceTable(IdMixin, TimestampMixin, Base):
    """One ingested table, sheet or collection, and the raw table it lands in.

    ``raw_table`` lives in the project's raw schema (``raw_p<project id>``).
    ``cursor_column``/``cursor_value`` keep per-table incremental-load state.
    """

    __tablename__ = "data_source_tables"
    __table_args__ = (
        UniqueConstraint("data_source_id", "source_table"),
        UniqueConstraint("data_source_id", "raw_table"),
        at_least("row_count", 0),
    )

    data_source_id: Mapped[int] = foreign_key("data_sources.id", ondelete="CASCADE", index=False)
    source_table: Mapped[str] = mapped_column(
        String(512), nullable=False, doc="schema.table, sheet or collection name at the source"
    )
    raw_table: Mapped[str] = mapped_column(String(SQL_IDENTIFIER_LENGTH), nullable=False)
    columns: Mapped[list[dict[str, Any]]] = json_array()
    row_count: Mapped[int | None] = mapped_column(BigInteger)
    cursor_column: Mapped[str | None] = mapped_column(String(255))
    cursor_value: Mapped[str | None] = mapped_column(Text)
    last_loaded_at: Mapped[datetime | None] = timestamp()
    last_error: Mapped[str | None] = mapped_column(Text)

    data_source: Mapped[DataSource] = relationship(back_populates="tables")
