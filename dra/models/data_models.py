"""Data models: saved queries over a project's sources, materialized as tables."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dra.models.base import Base, TimestampMixin
from dra.models.columns import (
    SQL_IDENTIFIER_LENGTH,
    CreatedAtMixin,
    IdMixin,
    at_least,
    by_user,
    choice,
    foreign_key,
    integer,
    key_part,
    one_of,
    timestamp,
)

if TYPE_CHECKING:
    from dra.models.projects import Project
    from dra.models.sources import DataSource


class DataModelStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    BROKEN = "broken"
    """A source it reads from was deleted, or its query no longer runs."""
    FAILED = "failed"
    """The last materialization failed; the previous table is kept."""


class DataModel(IdMixin, TimestampMixin, Base):
    """A query (SQL in ``query``, builder state in ``query_json``) over raw tables.

    ``data_source_id`` is the single source it reads, or NULL for a cross-source
    model or once that source was deleted (``ON DELETE SET NULL``); every source a
    model reads is listed in ``data_model_sources``. ``version`` increases on each
    change or materialization so caches of widget results can be keyed on it.
    """

    __tablename__ = "data_models"
    __table_args__ = (
        UniqueConstraint("project_id", "materialized_table"),
        one_of("status", DataModelStatus),
        at_least("version", 1),
        at_least("row_count", 0),
    )

    project_id: Mapped[int] = foreign_key("projects.id", ondelete="CASCADE", index=False)
    data_source_id: Mapped[int | None] = foreign_key(
        "data_sources.id", ondelete="SET NULL", nullable=True
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    query: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    query_json: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    status: Mapped[str] = choice(DataModelStatus.DRAFT)
    materialized_table: Mapped[str | None] = mapped_column(
        String(SQL_IDENTIFIER_LENGTH), doc="table name in the project's models schema"
    )
    last_materialized_at: Mapped[datetime | None] = timestamp()
    row_count: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = integer(1)
    created_by: Mapped[int | None] = by_user()

    project: Mapped[Project] = relationship(back_populates="data_models")
    data_source: Mapped[DataSource | None] = relationship()
    sources: Mapped[list[DataSource]] = relationship(
        secondary="app.data_model_sources", viewonly=True
    )
    source_links: Mapped[list[DataModelSource]] = relationship(
        back_populates="data_model", cascade="all, delete-orphan", passive_deletes=True
    )
    input_links: Mapped[list[DataModelInput]] = relationship(
        foreign_keys="DataModelInput.data_model_id",
        cascade="all, delete-orphan",
        passive_deletes=True,
        viewonly=False,
    )


class DataModelSource(CreatedAtMixin, Base):
    """A data source that a data model reads (many-to-many)."""

    __tablename__ = "data_model_sources"

    data_model_id: Mapped[int] = key_part("data_models.id")
    data_source_id: Mapped[int] = key_part("data_sources.id", leading=False)

    data_model: Mapped[DataModel] = relationship(back_populates="source_links")
    data_source: Mapped[DataSource] = relationship()


class DataModelInput(CreatedAtMixin, Base):
    """Another data model whose table a data model reads (rebuilt after it, never a cycle)."""

    __tablename__ = "data_model_inputs"

    data_model_id: Mapped[int] = key_part("data_models.id")
    upstream_model_id: Mapped[int] = key_part("data_models.id", leading=False)
