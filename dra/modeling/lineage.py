"""Models that read other models: who reads whom, no cycles, and the refresh order.

A model may read another model's table (``models_p<project>.model_<id>``). Those links
are kept in ``app.data_model_inputs`` when the model is saved, so that a rebuilt model's
readers are rebuilt after it (sensors/data_models.py) and a model can never end up
reading itself through others.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dra.modeling.errors import ModelingError
from dra.models import DataModel, DataModelInput

CYCLE_MESSAGE = "A data model cannot read its own table, directly or through other models."


def upstream_models(session: Session, project_id: int, tables: Iterable[str]) -> list[int]:
    """The project's models whose tables are among ``tables`` (ids, ascending)."""
    names = sorted(set(tables))
    if not names:
        return []
    return list(
        session.scalars(
            select(DataModel.id)
            .where(DataModel.project_id == project_id, DataModel.materialized_table.in_(names))
            .order_by(DataModel.id)
        )
    )


def _inputs(session: Session, model_ids: Iterable[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    rows = session.execute(
        select(DataModelInput.data_model_id, DataModelInput.upstream_model_id).where(
            DataModelInput.data_model_id.in_(list(model_ids))
        )
    )
    for model_id, upstream_id in rows:
        found.setdefault(model_id, []).append(upstream_id)
    return found


def check_no_cycle(session: Session, model_id: int | None, upstream: list[int]) -> None:
    """ModelingError (400) when ``model_id`` would read itself through ``upstream``."""
    if model_id is None:  # a new model: nothing reads it yet
        return
    seen: set[int] = set()
    frontier = list(upstream)
    while frontier:
        if model_id in frontier:
            raise ModelingError(CYCLE_MESSAGE, field="query")
        seen.update(frontier)
        frontier = [u for ups in _inputs(session, frontier).values() for u in ups if u not in seen]


def link_inputs(session: Session, model_id: int, upstream: list[int]) -> None:
    session.execute(delete(DataModelInput).where(DataModelInput.data_model_id == model_id))
    for upstream_id in upstream:
        session.add(DataModelInput(data_model_id=model_id, upstream_model_id=upstream_id))
    session.flush()


def readers_of(session: Session, model_id: int) -> list[int]:
    """Models that read ``model_id``'s table (rebuilt after it)."""
    return list(
        session.scalars(
            select(DataModelInput.data_model_id)
            .where(DataModelInput.upstream_model_id == model_id)
            .order_by(DataModelInput.data_model_id)
        )
    )


def without_downstream(session: Session, model_ids: list[int]) -> list[int]:
    """``model_ids`` less those that read another of them: those are rebuilt after it."""
    chosen = set(model_ids)
    inputs = _inputs(session, chosen)
    return [m for m in model_ids if not chosen.intersection(inputs.get(m, []))]
