"""Dashboard operations (UC-DASH-01..07): CRUD, widgets, layout with optimistic locking,
widget data (cached), public links. ``session`` is the caller's RLS session."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from dra.billing.limits import Limit, check_project_limit
from dra.dashboards.cache import WidgetCache, widget_cache
from dra.dashboards.charts import (
    CHART_TYPES,
    KpiWindows,
    build_query,
    comparison_windows,
    figure,
    kpi_anchor_query,
    validate_binding,
)
from dra.db import Database
from dra.errors import one_line_text, project_row
from dra.ingestion.naming import models_schema
from dra.modeling.builder import DIALECT
from dra.modeling.catalog import load_catalog
from dra.modeling.errors import ModelingError
from dra.modeling.executor import jsonable, run_readonly
from dra.models import Dashboard, DashboardPublicLink, DashboardWidget, DataModel, Project
from dra.project_roles import project_of_schema

NAME_MAX = 200
GRID_COLUMNS = 12
STALE = (
    "This dashboard was changed by someone else since you opened it. Reload the page "
    "to see their changes; your edit was not saved."
)
MODEL_NOT_FOUND = "Data model not found."
CACHE_MAX_ROWS = 5000
NOT_BUILT = "This data model has not been built yet."


class DashboardError(ModelingError):
    """Same shape as ModelingError (status, message, field)."""


def _name(value: object) -> str:
    return one_line_text(
        value,
        missing=DashboardError("Give the dashboard a name.", status=422, field="name"),
        too_long=DashboardError(f"Names are limited to {NAME_MAX} characters.", field="name"),
        limit=NAME_MAX,
    )


def list_dashboards(session: Session, project_id: int) -> list[Dashboard]:
    return list(
        session.scalars(
            select(Dashboard)
            .where(Dashboard.project_id == project_id)
            .order_by(Dashboard.name, Dashboard.id)
        )
    )


def dashboards_of_user(session: Session, user_id: int) -> list[tuple[Dashboard, str]]:
    """(dashboard, project name) for every project the user is a member of (UC-DASH-01)."""
    from dra.models import ProjectMember

    return [
        (d, name)
        for d, name in session.execute(
            select(Dashboard, Project.name)
            .join(Project, Project.id == Dashboard.project_id)
            .join(ProjectMember, ProjectMember.project_id == Project.id)
            .where(ProjectMember.user_id == user_id)
            .order_by(Project.name, Dashboard.name, Dashboard.id)
        )
    ]


def get_dashboard(session: Session, project_id: int, dashboard_id: int) -> Dashboard:
    missing = DashboardError("The dashboard was not found.", status=404)
    return project_row(session, Dashboard, project_id, dashboard_id, missing)


def create_dashboard(
    session: Session,
    database: Database,
    project_id: int,
    user_id: int,
    name: object,
    description: str | None = None,
) -> Dashboard:
    """UC-DASH-02: tier limit of the project's owner, then insert."""
    name = _name(name)
    check_project_limit(session, database, project_id, Limit.DASHBOARDS)
    board = Dashboard(
        project_id=project_id,
        name=name,
        created_by=user_id,
        description=(description or "").strip() or None,
        layout={},
        filters={},
    )
    session.add(board)
    session.flush()
    return board


def check_version(board: Dashboard, version: object) -> None:
    """Optimistic lock: the version the browser loaded must still be current (409 if not)."""
    try:
        sent = int(version)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DashboardError(
            "The dashboard version is missing; reload the page.", status=422, field="version"
        ) from None
    if sent != board.version:
        raise DashboardError(STALE, status=409, field="version")


def touch(session: Session, board: Dashboard) -> int:
    """Record a change (the ORM's version column increments); returns the new version."""
    board.updated_at = datetime.now(UTC)
    session.flush()
    return board.version


def update_dashboard(
    session: Session,
    board: Dashboard,
    version: object,
    *,
    name: object,
    description: str | None,
    filters: dict | None,
) -> int:
    check_version(board, version)
    board.name = _name(name)
    board.description = (description or "").strip() or None
    if filters is not None:
        board.filters = clean_filters(filters)
    return touch(session, board)


def clean_filters(filters: object) -> dict:
    """Dashboard filters: a date range on a column and a column's values."""
    if not isinstance(filters, dict):
        raise DashboardError("Filters must be an object.", field="filters")
    out: dict[str, Any] = {}
    date = filters.get("date") or {}
    if isinstance(date, dict) and date.get("column"):
        out["date"] = {
            "column": str(date["column"])[:63],
            "from": _iso_date(date.get("from"), "filters.date.from"),
            "to": _iso_date(date.get("to"), "filters.date.to"),
        }
    values = filters.get("values") or {}
    if isinstance(values, dict) and values.get("column"):
        raw = values.get("values") or []
        if isinstance(raw, str):
            raw = [v.strip() for v in raw.split(",") if v.strip()]
        if not isinstance(raw, list) or len(raw) > 200:
            raise DashboardError("List at most 200 values.", field="filters.values")
        out["values"] = {
            "column": str(values["column"])[:63],
            "values": [str(v)[:200] for v in raw],
        }
    return out


def _iso_date(value: object, field_name: str) -> str | None:
    if value in (None, ""):
        return None
    try:
        return datetime.fromisoformat(str(value)).date().isoformat()
    except ValueError:
        raise DashboardError("Dates are written YYYY-MM-DD.", field=field_name) from None


def delete_dashboard(session: Session, board: Dashboard) -> str:
    """UC-DASH-04: widgets and public links go with it (ON DELETE CASCADE)."""
    name = board.name
    session.delete(board)
    session.flush()
    return name


# --- widgets ---------------------------------------------------------------------------


def model_columns(database: Database, model: DataModel | ModelRef) -> dict[str, str]:
    if not model.materialized_table:
        return {}
    with database.system_session() as s:
        info = load_catalog(s, model.project_id).tables.get(model.materialized_table)
    return dict(info.columns) if info else {}


def save_widget(
    session: Session,
    database: Database,
    board: Dashboard,
    version: object,
    *,
    widget_id: int | None,
    title: object,
    data_model_id: object,
    chart_type: object,
    binding: object,
) -> DashboardWidget:
    """Add or change a widget (binding checked against its model's table)."""
    check_version(board, version)
    try:
        model_id = int(data_model_id)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DashboardError("Choose a data model.", field="data_model_id") from None
    model = session.scalar(
        select(DataModel).where(DataModel.id == model_id, DataModel.project_id == board.project_id)
    )
    if model is None:
        raise DashboardError("Choose a data model of this project.", field="data_model_id")
    columns = model_columns(database, model)
    if not columns:
        raise DashboardError(NOT_BUILT + " Refresh it first.", field="data_model_id")
    clean = validate_binding(str(chart_type), binding, columns)
    if widget_id is None:
        x, y = free_slot([(w.x, w.y, w.w, w.h) for w in board.widgets])
        widget = DashboardWidget(dashboard_id=board.id, x=x, y=y, w=6, h=4)
        session.add(widget)
    else:
        widget = get_widget(session, board, widget_id)
    widget.title = str(title or "").strip()[:200] or CHART_TYPES[str(chart_type)]
    widget.data_model_id = model.id
    widget.chart_type = str(chart_type)
    widget.binding = clean
    touch(session, board)
    return widget


def free_slot(taken: list[tuple[int, int, int, int]], w: int = 6, h: int = 4) -> tuple[int, int]:
    """The first free place for a w x h widget, row by row, left half then right half."""

    def overlaps(x: int, y: int) -> bool:
        return any(
            x < tx + tw and tx < x + w and y < ty + th and ty < y + h for tx, ty, tw, th in taken
        )

    bottom = max((ty + th for _, ty, _, th in taken), default=0)
    for y in range(bottom + 1):
        for x in range(0, GRID_COLUMNS - w + 1, w):
            if not overlaps(x, y):
                return x, y
    return 0, bottom


def get_widget(session: Session, board: Dashboard, widget_id: int) -> DashboardWidget:
    widget = session.scalar(
        select(DashboardWidget).where(
            DashboardWidget.id == widget_id, DashboardWidget.dashboard_id == board.id
        )
    )
    if widget is None:
        raise DashboardError("The widget was not found.", status=404)
    return widget


def delete_widget(session: Session, board: Dashboard, version: object, widget_id: int) -> int:
    check_version(board, version)
    session.delete(get_widget(session, board, widget_id))
    return touch(session, board)


def save_layout(session: Session, board: Dashboard, version: object, positions: object) -> int:
    """Move/resize widgets in one save: [{id, x, y, w, h}] on a 12-column grid."""
    check_version(board, version)
    if not isinstance(positions, list):
        raise DashboardError("Send the widgets' positions as a list.", field="widgets")
    widgets = {w.id: w for w in board.widgets}
    for item in positions:
        if not isinstance(item, dict) or item.get("id") not in widgets:
            raise DashboardError("A position names a widget of another dashboard.", field="widgets")
        try:
            x, y, w, h = (int(item[k]) for k in ("x", "y", "w", "h"))
        except (KeyError, TypeError, ValueError):
            raise DashboardError(
                "Positions are whole numbers x, y, w, h.", field="widgets"
            ) from None
        if not (
            0 <= x < GRID_COLUMNS
            and 1 <= w <= GRID_COLUMNS
            and x + w <= GRID_COLUMNS
            and 0 <= y <= 500
            and 1 <= h <= 12
        ):
            raise DashboardError("A widget would leave the grid.", field="widgets")
        target = widgets[item["id"]]
        target.x, target.y, target.w, target.h = x, y, w, h
    return touch(session, board)


# --- widget data -------------------------------------------------------------------------


@dataclass
class WidgetData:
    figure: dict | None = None
    columns: list[str] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)
    error: str | None = None
    materialized_at: str | None = None
    model_name: str | None = None
    cached: bool = False
    figure_json: str | None = None
    """The figure serialized once, reused by every cached answer."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "figure": self.figure,
            "error": self.error,
            "materializedAt": self.materialized_at,
            "model": self.model_name,
            "cached": self.cached,
            "rowCount": len(self.rows),
        }

    def as_json(self) -> str:
        """The same as ``as_dict`` in JSON, without serializing the figure again."""
        rest = self.as_dict()
        del rest["figure"]
        figure = self.figure_json if self.figure_json is not None else json.dumps(self.figure)
        return '{"figure": ' + figure + ", " + json.dumps(rest)[1:]


def kpi_windows(
    database: Database,
    schema: str,
    table_name: str,
    columns: dict[str, str],
    chart_type: str,
    binding: dict,
    filters: dict | None,
    timeout_ms: int = 15000,
) -> KpiWindows | None:
    """The spans a period KPI compares, anchored on its latest data (None: no such KPI,
    or no data)."""
    anchor = kpi_anchor_query(
        schema, table_name, columns, chart_type, binding, clean_filters(filters or {})
    )
    if anchor is None:
        return None
    compiled = anchor.compile(dialect=DIALECT, compile_kwargs={"render_postcompile": True})
    latest = run_readonly(
        database,
        str(compiled),
        dict(compiled.params),
        project_id=project_of_schema(schema),  # models_p<id>: read as that project's role
        timeout_ms=timeout_ms,
    )
    day = latest.rows[0][0] if latest.rows else None
    return comparison_windows(day, binding["period"], binding["compare"]) if day else None


def widget_data(
    database: Database,
    widget: DashboardWidget | WidgetRef,
    model: DataModel | ModelRef | None,
    filters: dict | None = None,
    *,
    cache: WidgetCache = widget_cache,
    timeout_ms: int = 15000,
) -> WidgetData:
    """UC-DASH-07: the widget's figure from its model's table (cached per model version)."""
    if model is None:
        return WidgetData(error=MODEL_NOT_FOUND)
    built = model.last_materialized_at.isoformat() if model.last_materialized_at else None
    if not model.materialized_table:
        return WidgetData(error=NOT_BUILT, model_name=model.name)
    key = cache.key(model.id, model.version, widget.chart_type, widget.binding, filters)
    hit = cache.get(key)
    if hit is not None:
        return WidgetData(
            hit.figure, hit.columns, hit.rows, None, built, model.name, True, hit.figure_json
        )
    columns = model_columns(database, model)
    try:
        binding = validate_binding(widget.chart_type, widget.binding, columns)
        where = (models_schema(model.project_id), model.materialized_table, columns)
        windows = kpi_windows(database, *where, widget.chart_type, binding, filters, timeout_ms)
        query = build_query(
            *where, widget.chart_type, binding, clean_filters(filters or {}), windows=windows
        )
        compiled = query.statement.compile(
            dialect=DIALECT, compile_kwargs={"render_postcompile": True}
        )
        result = run_readonly(
            database,
            str(compiled),
            dict(compiled.params),
            project_id=model.project_id,
            timeout_ms=timeout_ms,
        )
    except ModelingError as exc:
        return WidgetData(error=exc.message, materialized_at=built, model_name=model.name)
    names = [c["name"] for c in result.columns]
    fig = figure(widget.chart_type, binding, names, result.rows)
    data = WidgetData(
        fig,
        names,
        [[jsonable(v) for v in r] for r in result.rows],
        None,
        built,
        model.name,
        figure_json=json.dumps(fig, separators=(",", ":")),
    )
    if len(data.rows) <= CACHE_MAX_ROWS:  # large raw-row widgets are recomputed instead
        cache.put(key, data)
    return data


# --- public links (UC-DASH-05/06) ------------------------------------------------------


def new_token() -> str:
    """256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def active_link(session: Session, board: Dashboard) -> DashboardPublicLink | None:
    now = datetime.now(UTC)
    for link in sorted(board.public_links, key=lambda x: x.id, reverse=True):
        if link.revoked_at is None and (link.expires_at is None or link.expires_at > now):
            return link
    return None


def share(
    session: Session,
    board: Dashboard,
    user_id: int,
    *,
    expires_at: object = None,
    regenerate: bool = False,
) -> DashboardPublicLink:
    """The active link (idempotent, ALT-DASH05A), or a new one when asked to regenerate."""
    expiry = None
    if expires_at not in (None, ""):
        try:
            expiry = datetime.fromisoformat(str(expires_at))
        except ValueError:
            raise DashboardError("The expiry is a date (YYYY-MM-DD).", field="expires_at") from None
        if expiry.tzinfo is None:
            expiry = expiry.replace(tzinfo=UTC)
        if expiry <= datetime.now(UTC):
            raise DashboardError("The expiry must be in the future.", field="expires_at")
    current = active_link(session, board)
    if current is not None and not regenerate and expires_at in (None, ""):
        return current
    if current is not None:
        current.revoked_at = datetime.now(UTC)
    link = DashboardPublicLink(
        dashboard_id=board.id, token=new_token(), expires_at=expiry, created_by=user_id
    )
    session.add(link)
    session.flush()
    return link


def revoke(session: Session, board: Dashboard) -> int:
    count = 0
    for link in board.public_links:
        if link.revoked_at is None:
            link.revoked_at = datetime.now(UTC)
            count += 1
    session.flush()
    return count


def open_public(session: Session, token: str) -> Dashboard | None:
    """Resolve a token through the definer function and narrow RLS to that dashboard."""
    if not isinstance(token, str) or not 20 <= len(token) <= 64:
        return None
    dashboard_id = session.scalar(text("select app.resolve_public_link(:t)"), {"t": token})
    if dashboard_id is None:
        return None
    session.execute(
        text("select set_config('dra.public_dashboard_id', :d, true)"),
        {"d": str(int(dashboard_id))},
    )
    return session.get(Dashboard, dashboard_id)


@dataclass(frozen=True)
class WidgetRef:
    id: int
    title: str
    chart_type: str
    binding: dict


@dataclass(frozen=True)
class ModelRef:
    id: int
    project_id: int
    name: str
    version: int
    materialized_table: str | None
    last_materialized_at: datetime | None


OPEN_LINK = text(
    "select set_config('dra.user_id', '', true), set_config('dra.platform_admin', 'off', true),"
    " set_config('dra.public_dashboard_id',"
    " coalesce(app.resolve_public_link(:t)::text, ''), true)"
)
WIDGET_AND_MODEL = text(
    "select w.id, w.title, w.chart_type, w.binding, d.filters, m.id, m.project_id, m.name,"
    " m.version, m.materialized_table, m.last_materialized_at"
    " from app.dashboard_widgets w join app.dashboards d on d.id = w.dashboard_id"
    " left join app.data_models m on m.id = w.data_model_id"
    " where w.id = :w and w.dashboard_id = app.public_dashboard_id()"
)


def guest_filters(requested: dict | None, defined: dict | None) -> dict:
    """A guest may change the values of the dashboard's own filters, nothing else.

    (Filtering on other columns would let a guest probe columns no widget shows.)
    """
    defined = clean_filters(defined or {})
    requested = requested or {}
    out: dict[str, Any] = {}
    if "date" in defined:
        asked = requested.get("date") or {}
        out["date"] = {
            "column": defined["date"]["column"],
            "from": asked.get("from", defined["date"]["from"]),
            "to": asked.get("to", defined["date"]["to"]),
        }
    if "values" in defined:
        asked = requested.get("values") or {}
        out["values"] = {
            "column": defined["values"]["column"],
            "values": asked.get("values", defined["values"]["values"]),
        }
    return clean_filters(out)


def public_widget(
    session: Session, token: str, widget_id: int
) -> tuple[WidgetRef, ModelRef | None, dict] | None:
    """A widget of the dashboard behind ``token`` and its model, in two round trips.

    The token is checked by the definer function on every request (a revoked link stops
    at once); row-level security then shows only that dashboard's widgets and models.
    """
    if not isinstance(token, str) or not 20 <= len(token) <= 64:
        return None
    if not session.execute(OPEN_LINK, {"t": token}).one()[2]:
        return None
    row = session.execute(WIDGET_AND_MODEL, {"w": widget_id}).one_or_none()
    if row is None:
        return None
    widget = WidgetRef(row[0], row[1], row[2], row[3] or {})
    model = ModelRef(*row[5:]) if row[5] is not None else None
    return widget, model, row[4] or {}


def public_models(session: Session, board: Dashboard) -> dict[int, DataModel]:
    ids = [w.data_model_id for w in board.widgets if w.data_model_id]
    if not ids:
        return {}
    return {m.id: m for m in session.scalars(select(DataModel).where(DataModel.id.in_(ids)))}
