"""Insights: what the web layer and the pipeline call (UC-INS-01/02).

``session`` is the caller's SQLAlchemy session acting as the user (row-level security);
the caller commits on success and rolls back on any error (every refusal is a
``DraError``), so a refused or failed call stores nothing and counts nothing.
Authorization (viewers read; owners, admins and editors generate) and the hourly AI rate
limit are the web layer's.

- ``generate_for_model(session, database, provider, *, user_id, project_id, model_id,
  timeout_ms) -> InsightSet``: the facts (``dra.insights.facts``), then the narrative
  (``dra.insights.narrative``; ``provider`` None: the offline sentences, nothing
  counted), stored as one ``app.insights`` row with the model's version. 404 for a model
  of another project; 400 ``Cannot generate insights: no data available.`` when the
  model is not built or its table has no rows; 403 with the upgrade prompt when the
  tier's monthly AI generations are used up (one per model narrated); 502 when the
  provider fails.
- ``generate_for_dashboard(...) -> list[InsightSet]``: one set per model the dashboard's
  widgets read (those with data; 400 when none has any).
- ``list_for_model(session, project_id, model_id, limit=20) -> ModelInsights``: the sets,
  newest first, each marked ``stale`` when the model was rebuilt since, and the facts
  the pipeline recomputed for the current version.
- ``list_for_dashboard(session, project_id, dashboard_id) -> DashboardInsights``: the
  latest set of each model the dashboard reads.
- ``refresh_facts(database, model_id, timeout_ms) -> FactSet | None``: for the pipeline,
  after each build of a model that has insights (None otherwise): the facts of the new
  version, stored as the model's one ``facts`` row; no model is asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dra.ai.provider import Provider
from dra.ai.usage import check_generations, count_generation
from dra.dashboards.service import get_dashboard
from dra.db import Database
from dra.errors import DraError
from dra.insights.facts import FactSet, ModelSnapshot, NoData, QualitySnapshot, compute_facts
from dra.insights.narrative import Narrative, narrate, offline
from dra.modeling.service import get_model
from dra.models import Dashboard, DashboardWidget, DataModel, Insight
from dra.models.ai import InsightKind
from dra.quality.reports import latest_report

NO_DATA = "Cannot generate insights: no data available."
HISTORY = 20


class InsightsError(DraError):
    """A refused insights request (400 unless said otherwise); nothing was changed."""


# ----------------------------------------------------------------------------- views


@dataclass
class InsightSet:
    """One stored generation: the insights of one model and the facts they rest on."""

    id: int
    model_id: int
    model_name: str
    model_version: int | None
    current_version: int
    created_at: datetime
    mode: str
    insights: list[dict[str, Any]]
    dropped: list[dict[str, Any]] = field(default_factory=list)
    retried: bool = False
    ai_model: str | None = None
    note: str | None = None
    dashboard_id: int | None = None
    created_by: int | None = None
    facts: FactSet | None = None

    @property
    def stale(self) -> bool:
        """The model was rebuilt (or changed) since these facts were computed."""
        return self.model_version != self.current_version

    @classmethod
    def of(cls, row: Insight, model: DataModel) -> InsightSet:
        content = row.content or {}
        facts = content.get("facts")
        return cls(
            id=row.id,
            model_id=model.id,
            model_name=model.name,
            model_version=row.model_version,
            current_version=model.version,
            created_at=row.created_at,
            mode=content.get("mode", "ai"),
            insights=list(content.get("insights") or []),
            dropped=list(content.get("dropped") or []),
            retried=bool(content.get("retried")),
            ai_model=row.ai_model,
            note=content.get("note"),
            dashboard_id=row.dashboard_id,
            created_by=row.created_by,
            facts=FactSet.from_dict(facts) if isinstance(facts, dict) else None,
        )

    def cited(self) -> dict[str, dict[str, Any]]:
        """The facts the insights cite, by id (numbers and SQL, for "show the numbers")."""
        if self.facts is None:
            return {}
        ids = {i for insight in self.insights for i in insight.get("factIds", [])}
        return {f.id: f.as_dict() for f in self.facts.facts if f.id in ids}

    def as_dict(self, *, with_facts: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "modelId": self.model_id,
            "modelName": self.model_name,
            "modelVersion": self.model_version,
            "currentVersion": self.current_version,
            "stale": self.stale,
            "createdAt": self.created_at.isoformat(),
            "createdBy": self.created_by,
            "dashboardId": self.dashboard_id,
            "mode": self.mode,
            "aiModel": self.ai_model,
            "note": self.note,
            "retried": self.retried,
            "insights": self.insights,
            "dropped": len(self.dropped),
        }
        if with_facts:
            out["facts"] = self.facts.as_dict() if self.facts else None
            out["droppedInsights"] = self.dropped
        return out


@dataclass
class ModelInsights:
    model: DataModel
    sets: list[InsightSet]
    current_facts: FactSet | None = None
    """Facts the pipeline recomputed for the model's current version, when the latest
    set is older."""
    facts_version: int | None = None

    @property
    def latest(self) -> InsightSet | None:
        return self.sets[0] if self.sets else None

    @property
    def has_data(self) -> bool:
        return bool(self.model.materialized_table) and (self.model.row_count or 0) > 0

    def as_dict(self, *, with_facts: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "model": {
                "id": self.model.id,
                "name": self.model.name,
                "version": self.model.version,
                "rows": self.model.row_count,
                "builtAt": self.model.last_materialized_at.isoformat()
                if self.model.last_materialized_at
                else None,
                "hasData": self.has_data,
            },
            "insightSets": [s.as_dict(with_facts=with_facts) for s in self.sets],
            "stale": self.latest.stale if self.latest else None,
        }
        if with_facts:
            out["currentFacts"] = self.current_facts.as_dict() if self.current_facts else None
        return out


@dataclass
class DashboardInsights:
    dashboard: Dashboard
    models: list[ModelInsights]

    def as_dict(self, *, with_facts: bool = False) -> dict[str, Any]:
        return {
            "dashboard": {"id": self.dashboard.id, "name": self.dashboard.name},
            "models": [m.as_dict(with_facts=with_facts) for m in self.models],
        }


# ----------------------------------------------------------------------------- helpers


def snapshot(model: DataModel) -> ModelSnapshot:
    return ModelSnapshot(
        id=model.id,
        project_id=model.project_id,
        name=model.name,
        version=model.version,
        table=model.materialized_table,
        row_count=model.row_count,
        built_at=model.last_materialized_at,
    )


def quality_of(session: Session, model_id: int) -> QualitySnapshot | None:
    report = latest_report(session, model_id)
    if report is None:
        return None
    return QualitySnapshot(
        id=report.id,
        score=float(report.score),
        created_at=report.created_at,
        row_count=report.row_count,
        report=report.report or {},
    )


def _has_data(model: DataModel) -> bool:
    return bool(model.materialized_table) and (model.row_count or 0) > 0


def facts_for(session: Session, database: Database, model: DataModel, timeout_ms: int) -> FactSet:
    """The model's facts now (InsightsError 400 when it has no data)."""
    if not _has_data(model):
        raise InsightsError(NO_DATA)
    try:
        return compute_facts(
            database, snapshot(model), quality_of(session, model.id), timeout_ms=timeout_ms
        )
    except NoData:
        raise InsightsError(NO_DATA) from None


def _store(
    session: Session,
    model: DataModel,
    facts: FactSet,
    narrative: Narrative,
    *,
    user_id: int | None,
    dashboard_id: int | None,
) -> InsightSet:
    row = Insight(
        project_id=model.project_id,
        data_model_id=model.id,
        dashboard_id=dashboard_id,
        kind=InsightKind.NARRATIVE,
        model_version=facts.model_version,
        ai_model=narrative.model,
        created_by=user_id,
        content={
            "mode": narrative.mode,
            "insights": narrative.insights,
            "dropped": narrative.dropped,
            "retried": narrative.retried,
            "note": narrative.note,
            "seen": {"prompt": narrative.prompt, "retryPrompt": narrative.retry_prompt},
            "tokens": {"in": narrative.tokens_in, "out": narrative.tokens_out},
            "facts": facts.as_dict(),
        },
    )
    session.add(row)
    session.flush()
    session.refresh(row)
    return InsightSet.of(row, model)


def _write(
    session: Session,
    provider: Provider | None,
    model: DataModel,
    facts: FactSet,
    *,
    user_id: int,
    dashboard_id: int | None,
    now: datetime | None,
) -> InsightSet:
    if provider is None:
        narrative = offline(facts)
    else:
        narrative = narrate(provider, facts)
        count_generation(session, user_id, now)
    return _store(session, model, facts, narrative, user_id=user_id, dashboard_id=dashboard_id)


# ----------------------------------------------------------------------------- UC-INS-01


def generate_for_model(
    session: Session,
    database: Database,
    provider: Provider | None,
    *,
    user_id: int,
    project_id: int,
    model_id: int,
    timeout_ms: int = 15000,
    now: datetime | None = None,
) -> InsightSet:
    """Facts, then words (or the facts' sentences offline), stored with the model's version."""
    model = get_model(session, project_id, model_id)
    if not _has_data(model):
        raise InsightsError(NO_DATA)
    if provider is not None:
        check_generations(session, user_id)
    facts = facts_for(session, database, model, timeout_ms)
    return _write(session, provider, model, facts, user_id=user_id, dashboard_id=None, now=now)


def dashboard_models(session: Session, board: Dashboard) -> list[DataModel]:
    """The models the dashboard's widgets read, in the order of the widgets."""
    ids = session.scalars(
        select(DashboardWidget.data_model_id)
        .where(DashboardWidget.dashboard_id == board.id, DashboardWidget.data_model_id.is_not(None))
        .order_by(DashboardWidget.y, DashboardWidget.x, DashboardWidget.id)
    ).all()
    ordered = list(dict.fromkeys(ids))
    if not ordered:
        return []
    found = {
        m.id: m
        for m in session.scalars(
            select(DataModel).where(
                DataModel.id.in_(ordered), DataModel.project_id == board.project_id
            )
        )
    }
    return [found[i] for i in ordered if i in found]


def generate_for_dashboard(
    session: Session,
    database: Database,
    provider: Provider | None,
    *,
    user_id: int,
    project_id: int,
    dashboard_id: int,
    timeout_ms: int = 15000,
    now: datetime | None = None,
) -> list[InsightSet]:
    """One insight set per model the dashboard's widgets read (those with data)."""
    board = get_dashboard(session, project_id, dashboard_id)
    usable = [m for m in dashboard_models(session, board) if _has_data(m)]
    if not usable:
        raise InsightsError(NO_DATA)
    if provider is not None:
        check_generations(session, user_id, count=len(usable))
    computed = []
    for model in usable:
        try:
            computed.append((model, facts_for(session, database, model, timeout_ms)))
        except InsightsError:
            continue  # emptied since it was built: the others still get theirs
    if not computed:
        raise InsightsError(NO_DATA)
    return [
        _write(session, provider, m, f, user_id=user_id, dashboard_id=board.id, now=now)
        for m, f in computed
    ]


# ----------------------------------------------------------------------------- UC-INS-02


def _sets(session: Session, model: DataModel, limit: int) -> list[InsightSet]:
    rows = session.scalars(
        select(Insight)
        .where(Insight.data_model_id == model.id, Insight.kind == InsightKind.NARRATIVE)
        .order_by(Insight.created_at.desc(), Insight.id.desc())
        .limit(limit)
    )
    return [InsightSet.of(r, model) for r in rows]


def _model_insights(session: Session, model: DataModel, limit: int) -> ModelInsights:
    sets = _sets(session, model, limit)
    out = ModelInsights(model, sets)
    facts_row = session.scalar(
        select(Insight).where(Insight.data_model_id == model.id, Insight.kind == InsightKind.FACTS)
    )
    latest_version = sets[0].model_version if sets else None
    if (
        facts_row is not None
        and facts_row.model_version is not None
        and facts_row.model_version != latest_version
        and isinstance((facts_row.content or {}).get("facts"), dict)
    ):
        out.current_facts = FactSet.from_dict(facts_row.content["facts"])
        out.facts_version = facts_row.model_version
    return out


def list_for_model(
    session: Session, project_id: int, model_id: int, *, limit: int = HISTORY
) -> ModelInsights:
    """The model's insight sets, newest first (404 for a model of another project)."""
    return _model_insights(session, get_model(session, project_id, model_id), limit)


def list_for_dashboard(session: Session, project_id: int, dashboard_id: int) -> DashboardInsights:
    """The latest insight set of each model the dashboard reads."""
    board = get_dashboard(session, project_id, dashboard_id)
    return DashboardInsights(
        board, [_model_insights(session, m, 1) for m in dashboard_models(session, board)]
    )


def project_overview(session: Session, project_id: int) -> list[ModelInsights]:
    """Every model of the project with its latest insight set (the project's Insights tab)."""
    models = session.scalars(
        select(DataModel).where(DataModel.project_id == project_id).order_by(DataModel.name)
    ).all()
    return [_model_insights(session, m, 1) for m in models]


def insight_counts(session: Session, model_ids: list[int]) -> dict[int, int]:
    """Insight sets per model."""
    if not model_ids:
        return {}
    rows = session.execute(
        select(Insight.data_model_id, func.count())
        .where(Insight.data_model_id.in_(model_ids), Insight.kind == InsightKind.NARRATIVE)
        .group_by(Insight.data_model_id)
    )
    return {int(m): int(n) for m, n in rows}


# ----------------------------------------------------------------------------- pipeline


def refresh_facts(database: Database, model_id: int, *, timeout_ms: int = 60000) -> FactSet | None:
    """After a build: recompute the facts of a model that has insights and store them with
    its new version (the model's one ``facts`` row); None when it has no insights or no
    data. Only SQL: the narrative is regenerated on request."""
    with database.system_session() as s:
        model = s.get(DataModel, model_id)
        has_insights = s.scalar(
            select(func.count())
            .select_from(Insight)
            .where(Insight.data_model_id == model_id, Insight.kind == InsightKind.NARRATIVE)
        )
        if model is None or not has_insights or not _has_data(model):
            return None
        model_now, quality = snapshot(model), quality_of(s, model_id)
    try:
        facts = compute_facts(database, model_now, quality, timeout_ms=timeout_ms)
    except NoData:
        return None
    with database.system_session() as s:
        s.execute(
            delete(Insight).where(
                Insight.data_model_id == model_id, Insight.kind == InsightKind.FACTS
            )
        )
        s.add(
            Insight(
                project_id=model_now.project_id,
                data_model_id=model_id,
                kind=InsightKind.FACTS,
                model_version=facts.model_version,
                content={"mode": "facts", "insights": [], "facts": facts.as_dict()},
            )
        )
    return facts
