"""Data-quality reports and the rules (cleaning transforms, checks) of a data model."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Index, Numeric, text
from sqlalchemy.orm import Mapped, mapped_column

from dra.models.base import Base, TimestampMixin
from dra.models.columns import (
    CreatedAtMixin,
    IdMixin,
    by_user,
    choice,
    flag,
    foreign_key,
    integer,
    json_object,
    one_of,
)


class QualityRuleKind(StrEnum):
    CLEANING = "cleaning"
    """A transform applied when the model is materialized (fill nulls, dedupe...)."""
    CHECK = "check"
    """An expectation verified after materialization (Soda check)."""


class QualityReport(IdMixin, CreatedAtMixin, Base):
    """A profiling run of a data model: overall score (0-100) and per-column metrics."""

    __tablename__ = "quality_reports"
    __table_args__ = (
        CheckConstraint("score >= 0 AND score <= 100", name="score_range"),
        Index(
            "ix_quality_reports_data_model_id_created_at",
            "data_model_id",
            text("created_at DESC"),
        ),
    )

    data_model_id: Mapped[int] = foreign_key("data_models.id", ondelete="CASCADE", index=False)
    score: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False)
    row_count: Mapped[int | None] = mapped_column(BigInteger)
    report: Mapped[dict[str, Any]] = json_object()
    created_by: Mapped[int | None] = by_user()


class QualityRule(IdMixin, TimestampMixin, Base):
    """One cleaning rule or check on a data model, applied in ``position`` order."""

    __tablename__ = "quality_rules"
    __table_args__ = (
        one_of("kind", QualityRuleKind),
        Index("ix_quality_rules_data_model_id_position", "data_model_id", "position"),
    )

    data_model_id: Mapped[int] = foreign_key("data_models.id", ondelete="CASCADE", index=False)
    kind: Mapped[str] = choice(QualityRuleKind.CLEANING)
    rule: Mapped[dict[str, Any]] = json_object()
    position: Mapped[int] = integer(0)
    enabled: Mapped[bool] = flag(True)
    created_by: Mapped[int | None] = by_user()
