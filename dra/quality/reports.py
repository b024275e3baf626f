"""Quality reports of data models: generate (profile + store), latest, history."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dra.db import Database
from dra.errors import DraError
from dra.ingestion.naming import clean_schema, models_schema
from dra.models import DataModel, QualityReport
from dra.quality.profiling import TableNotFound, profile_table

LAYERS = ("model", "clean")


class QualityError(DraError):
    """A quality operation that cannot proceed; ``status`` is the HTTP answer."""


@dataclass(frozen=True)
class ModelTable:
    model_id: int
    project_id: int
    name: str
    schema: str
    table: str


def model_table(session: Session, model_id: int, layer: str = "model") -> ModelTable:
    """Where a model's table (or its cleaned copy) lives; QualityError when not built yet."""
    model = session.get(DataModel, model_id)
    if model is None:
        raise QualityError("The data model no longer exists.", status=404)
    if not model.materialized_table:
        raise QualityError(
            "The data model has not been materialized yet: build it first.", status=409
        )
    schema = clean_schema(model.project_id) if layer == "clean" else models_schema(model.project_id)
    return ModelTable(model.id, model.project_id, model.name, schema, model.materialized_table)


def profile_model(
    database: Database, target: ModelTable, mode: str | None = None
) -> dict[str, Any]:
    """Profile the table (system connection: the pipelines' identity).

    ``mode``: "exact", "sampled" or None (by the table's size, see profile_table).
    """
    try:
        with database.system_connection() as conn:
            try:
                report = profile_table(conn, target.schema, target.table, mode=mode)
                conn.commit()  # keeps the planner statistics a sampled profile may have gathered
                return report
            finally:
                conn.rollback()
    except TableNotFound:
        raise QualityError(
            f"The table {target.schema}.{target.table} does not exist yet.", status=409
        ) from None


def generate_report(
    database: Database,
    model_id: int,
    *,
    layer: str = "model",
    created_by: int | None = None,
    mode: str | None = None,
) -> QualityReport:
    """Profile the model's table (or cleaned table) and store the report."""
    if layer not in LAYERS:
        raise ValueError(f"unknown layer {layer!r}")
    with database.system_session() as s:
        target = model_table(s, model_id, layer)
    report = profile_model(database, target, mode)
    report["layer"] = layer
    with database.system_session() as s:
        row = QualityReport(
            data_model_id=model_id,
            score=Decimal(report["score"]),
            row_count=report["row_count"],
            report=report,
            created_by=created_by,
        )
        s.add(row)
        s.flush()
        s.refresh(row)  # created_at comes from the database
        s.expunge(row)
    return row


def latest_report(session: Session, model_id: int) -> QualityReport | None:
    return session.scalar(
        select(QualityReport)
        .where(QualityReport.data_model_id == model_id)
        .order_by(QualityReport.created_at.desc(), QualityReport.id.desc())
        .limit(1)
    )


def score_history(session: Session, model_id: int, limit: int = 100) -> list[QualityReport]:
    """The model's reports, oldest first (the last ``limit``)."""
    rows = session.scalars(
        select(QualityReport)
        .where(QualityReport.data_model_id == model_id)
        .order_by(QualityReport.created_at.desc(), QualityReport.id.desc())
        .limit(limit)
    )
    return list(reversed(list(rows)))
