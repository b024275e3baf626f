"""A widget's binding -> one SELECT over its model's table -> a plotly figure (a dict).

The browser never sends SQL: it sends a binding (column names, an aggregate, filters,
sort, limit) that is checked against the model table's columns; values are bound.
Figures are plain plotly JSON (``{"data": [...], "layout": {...}}``) rendered by
plotly.js; the KPI is an ``indicator`` trace with its delta, the table a ``table`` trace.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, Select, and_, cast, column, func, literal, or_, select, table
from sqlalchemy.sql.elements import ColumnElement, quoted_name
from sqlalchemy.sql.expression import ColumnClause, TableClause

from dra.formatting import PLOTLY_NUMBER, PLOTLY_TICKS, format_number
from dra.modeling.builder import filter_condition
from dra.modeling.catalog import NUMERIC
from dra.modeling.errors import ModelingError
from dra.modeling.executor import jsonable

CHART_TYPES = {
    "table": "Table",
    "kpi": "KPI number",
    "bar": "Bar",
    "stacked_bar": "Stacked bar",
    "line": "Line",
    "area": "Area",
    "pie": "Pie",
    "donut": "Donut",
    "scatter": "Scatter",
    "histogram": "Histogram",
    "heatmap": "Heatmap",
    "funnel": "Funnel",
    "sankey": "Sankey",
}
AGGREGATES = ("sum", "avg", "min", "max", "count", "count_distinct")
NEEDS_X = {
    "bar",
    "stacked_bar",
    "line",
    "area",
    "pie",
    "donut",
    "scatter",
    "histogram",
    "heatmap",
    "funnel",
    "sankey",
}
NEEDS_SERIES = {"heatmap", "sankey"}
RAW_ROWS = {"scatter", "histogram", "table"}
DEFAULT_LIMIT = {"table": 100, "scatter": 2000, "histogram": 20000}
MAX_LIMIT = 50000


@dataclass(frozen=True)
class WidgetQuery:
    statement: Select
    chart_type: str
    binding: dict[str, Any]


def _q(name: str) -> quoted_name:
    return quoted_name(name, quote=True)


def _column_name(binding: dict, key: str, columns: dict[str, str], *, required: bool) -> str | None:
    value = binding.get(key) or None
    if value is None:
        if required:
            raise ModelingError(f"Choose a column for {key}.", field=key)
        return None
    if not isinstance(value, str) or value not in columns:
        raise ModelingError(f"{value!r} is not a column of this model.", field=key)
    return value


def validate_binding(chart_type: str, binding: object, columns: dict[str, str]) -> dict:
    """The binding with only known keys, each checked (ModelingError names the field)."""
    if chart_type not in CHART_TYPES:
        raise ModelingError("Unknown chart type.", field="chart_type")
    if not isinstance(binding, dict):
        raise ModelingError("The binding must be an object.", field="binding")
    clean: dict[str, Any] = {}
    clean["x"] = _column_name(binding, "x", columns, required=chart_type in NEEDS_X)
    clean["y"] = _column_name(
        binding, "y", columns, required=chart_type not in ("table", "histogram")
    )
    clean["series"] = _column_name(binding, "series", columns, required=chart_type in NEEDS_SERIES)
    agg = binding.get("aggregate") or ("none" if chart_type in RAW_ROWS else "sum")
    if chart_type in RAW_ROWS:
        agg = "none"
    elif agg not in AGGREGATES:
        raise ModelingError(f"Aggregate must be one of {', '.join(AGGREGATES)}.", field="aggregate")
    if agg in ("sum", "avg") and clean["y"] and not columns[clean["y"]].startswith(tuple(NUMERIC)):
        raise ModelingError(
            f"{agg} needs a numeric column; {clean['y']} is {columns[clean['y']]}.", field="y"
        )
    clean["aggregate"] = agg
    cols = binding.get("columns") or []
    if chart_type == "table":
        if not isinstance(cols, list) or any(c not in columns for c in cols):
            raise ModelingError("Table columns must be columns of this model.", field="columns")
        clean["columns"] = list(cols)
    sort = binding.get("sort") or ""
    if sort not in ("", "x", "-x", "y", "-y"):
        raise ModelingError("Sort must be x, -x, y or -y.", field="sort")
    clean["sort"] = sort
    limit = binding.get("limit")
    if limit in (None, ""):
        limit = DEFAULT_LIMIT.get(chart_type, 1000)
    try:
        limit = int(limit)
    except (TypeError, ValueError):
        raise ModelingError("Limit must be a whole number.", field="limit") from None
    if not 0 < limit <= MAX_LIMIT:
        raise ModelingError(f"Limit must be between 1 and {MAX_LIMIT}.", field="limit")
    clean["limit"] = limit
    filters = binding.get("filters") or []
    if not isinstance(filters, list) or len(filters) > 20:
        raise ModelingError("Filters must be a list.", field="filters")
    for i, f in enumerate(filters):
        if not isinstance(f, dict) or f.get("column") not in columns:
            raise ModelingError(
                "A filter names a column that is not in this model.", field=f"filters[{i}]"
            )
    clean["filters"] = [
        {"column": f["column"], "operator": f.get("operator", "="), "value": f.get("value")}
        for f in filters
    ]
    if chart_type == "kpi":
        period = binding.get("period") or "month"
        if period not in PERIODS:
            raise ModelingError("Period must be day, week, month, quarter or year.", field="period")
        clean["period"] = period
        compare = binding.get("compare") or "to_date"
        if compare not in COMPARISONS:
            raise ModelingError(
                "Compare must be to_date (the same days of the previous period) or complete "
                "(the last two complete periods).",
                field="compare",
            )
        clean["compare"] = compare
    return clean


# --- KPI periods -----------------------------------------------------------------------

PERIODS = ("day", "week", "month", "quarter", "year")
COMPARISONS = ("to_date", "complete")
_MONTHS_IN = {"month": 1, "quarter": 3, "year": 12}


def period_start(day: date, period: str) -> date:
    """The first day of the period holding ``day`` (weeks start on Monday, as in SQL)."""
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    months = _MONTHS_IN[period]
    return date(day.year, (day.month - 1) // months * months + 1, 1)


def add_periods(start: date, period: str, count: int) -> date:
    """The start of the period ``count`` periods after the one starting on ``start``."""
    if period in ("day", "week"):
        return start + timedelta(days=count * (7 if period == "week" else 1))
    month = start.year * 12 + start.month - 1 + count * _MONTHS_IN[period]
    return date(month // 12, month % 12 + 1, 1)


@dataclass(frozen=True)
class KpiWindows:
    """The two spans a KPI compares, each (first day, last day), both included."""

    period: str
    compare: str
    current: tuple[date, date]
    previous: tuple[date, date]


def comparison_windows(latest: date, period: str, compare: str = "to_date") -> KpiWindows:
    """Like with like, anchored on the latest day with data (not on today).

    ``to_date``: the period holding ``latest`` up to that day against the same span of
    the previous period, cut at its end (Dec 1-6 vs Nov 1-6; Mar 1-31 vs Feb 1-28).
    ``complete``: the last period that ends by ``latest`` against the one before it.
    """
    start = period_start(latest, period)
    ends_here = add_periods(start, period, 1) - timedelta(days=1) == latest
    if compare == "complete":
        last = start if ends_here else add_periods(start, period, -1)
        before = add_periods(last, period, -1)
        return KpiWindows(
            period,
            compare,
            (last, add_periods(last, period, 1) - timedelta(days=1)),
            (before, last - timedelta(days=1)),
        )
    before = add_periods(start, period, -1)
    same_span = before + (latest - start)
    return KpiWindows(
        period, compare, (start, latest), (before, min(same_span, start - timedelta(days=1)))
    )


def _whole(span: tuple[date, date], period: str) -> bool:
    start, end = span
    return (
        period_start(start, period) == start
        and add_periods(start, period, 1) - timedelta(days=1) == end
    )


def whole_period_label(start: date, period: str, year: str) -> str:
    """The period that begins on ``start`` by its name: "Q4 2026", "Nov 2026", "week of 23
    Nov 2026", "24 Nov 2026" (``year`` is the " 2026" that follows, or "" for none)."""
    if period == "year":
        return f"{start:%Y}"
    if period == "quarter":
        return f"Q{(start.month - 1) // 3 + 1}{year}"
    if period == "month":
        return f"{start:%b}{year}"
    day = f"{start.day} {start:%b}{year}"
    return f"week of {day}" if period == "week" else day


def span_label(span: tuple[date, date], period: str, *, year: bool = True) -> str:
    """A span as people say it: "Nov 2026" for a whole month, "Dec 1-6", "Oct 1-Nov 14"."""
    start, end = span
    suffix = f" {end:%Y}" if year else ""
    if _whole(span, period):
        return whole_period_label(start, period, suffix)
    if start == end:
        return f"{start:%b} {start.day}{suffix}"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start:%b} {start.day}-{end.day}{suffix}"
    return f"{start:%b} {start.day}-{end:%b} {end.day}{suffix}"


def windows_label(windows: KpiWindows) -> str:
    """ "Dec 1-6 vs Nov 1-6 2026", "Nov vs Oct 2026 (complete months)"."""
    spans = (windows.current, windows.previous)
    one_year = len({d.year for span in spans for d in span}) == 1
    current = span_label(windows.current, windows.period, year=not one_year)
    label = f"{current} vs {span_label(windows.previous, windows.period)}"
    if windows.compare == "complete":
        label += f" (complete {windows.period}s)"
    return label


def _agg(name: str, col: ColumnElement) -> ColumnElement:
    if name == "count_distinct":
        return func.count(col.distinct())
    return getattr(func, name)(col)


def dashboard_conditions(cols, columns: dict[str, str], filters: dict | None) -> list:
    """Dashboard-level filters that fit this model (others are ignored for it)."""
    out: list = []
    filters = filters or {}
    date = filters.get("date") or {}
    column_name = date.get("column")
    if column_name in columns:
        target = cols[column_name]
        if date.get("from"):
            out.append(
                filter_condition(
                    target, {"operator": ">=", "value": str(date["from"])}, "filters.date", 900
                )
            )
        if date.get("to"):
            out.append(
                filter_condition(
                    target, {"operator": "<=", "value": str(date["to"])}, "filters.date", 901
                )
            )
    values = filters.get("values") or {}
    if values.get("column") in columns and values.get("values"):
        out.append(
            filter_condition(
                cols[values["column"]],
                {"operator": "in", "value": list(values["values"])},
                "filters.values",
                902,
            )
        )
    return out


def _filtered_table(
    schema: str,
    table_name: str,
    columns: dict[str, str],
    binding: dict,
    dashboard_filters: dict | None,
) -> tuple[TableClause, dict[str, ColumnClause], list]:
    """The model's table, its columns by name, and the conditions of the widget's own
    filters and of the dashboard's filters on them."""
    t = table(_q(table_name), *[column(_q(c)) for c in columns], schema=_q(schema))
    cols = {c: t.c[c] for c in columns}
    where = [
        filter_condition(cols[f["column"]], f, f"filters[{i}]", i)
        for i, f in enumerate(binding["filters"])
    ]
    where += dashboard_conditions(cols, columns, dashboard_filters)
    return t, cols, where


def build_query(
    schema: str,
    table_name: str,
    columns: dict[str, str],
    chart_type: str,
    binding: dict,
    dashboard_filters: dict | None = None,
    windows: KpiWindows | None = None,
) -> WidgetQuery:
    """The widget's SELECT over ``schema.table_name`` (binding already validated).

    A KPI over periods needs its ``windows`` (from ``comparison_windows`` on the answer of
    ``kpi_anchor_query``); without them it shows the total.
    """
    t, cols, where = _filtered_table(schema, table_name, columns, binding, dashboard_filters)
    x, y, series, agg = binding["x"], binding["y"], binding["series"], binding["aggregate"]
    if chart_type == "table":
        picked = binding.get("columns") or list(columns)
        stmt = select(*[cols[c] for c in picked])
    elif chart_type in ("scatter", "histogram"):
        parts = (
            [cols[x].label("x")]
            + ([cols[y].label("y")] if y else [])
            + ([cols[series].label("series")] if series else [])
        )
        stmt = select(*parts)
    elif chart_type == "kpi":
        if x and windows is not None:
            day = cast(cols[x], Date())
            spans = {
                name: and_(day >= span[0], day <= span[1])
                for name, span in (("current", windows.current), ("previous", windows.previous))
            }
            stmt = select(
                literal(windows.current[0], Date()).label("current_from"),
                literal(windows.current[1], Date()).label("current_to"),
                literal(windows.previous[0], Date()).label("previous_from"),
                literal(windows.previous[1], Date()).label("previous_to"),
                _agg(agg, cols[y]).filter(spans["current"]).label("y"),
                _agg(agg, cols[y]).filter(spans["previous"]).label("previous"),
            ).where(or_(*spans.values()))
            return WidgetQuery(stmt.select_from(t).where(*where), chart_type, binding)
        # without a date column (or without data to anchor on): the total
        stmt = select(_agg(agg, cols[y]).label("y"))
    else:
        keys = [cols[x].label("x")] + ([cols[series].label("series")] if series else [])
        stmt = select(*keys, _agg(agg, cols[y]).label("y")).group_by(*keys)
    stmt = stmt.select_from(t).where(*where)
    sort = binding["sort"]
    if sort and chart_type != "table" and chart_type != "kpi":
        target = column("y" if sort.endswith("y") else "x")
        stmt = stmt.order_by(target.desc() if sort.startswith("-") else target.asc())
    elif chart_type == "funnel":
        stmt = stmt.order_by(column("y").desc())
    elif chart_type not in RAW_ROWS and chart_type != "kpi":
        stmt = stmt.order_by(column("x"))  # a stable order for grouped charts
    if chart_type != "kpi":
        stmt = stmt.limit(binding["limit"])
    return WidgetQuery(stmt, chart_type, binding)


def kpi_anchor_query(
    schema: str,
    table_name: str,
    columns: dict[str, str],
    chart_type: str,
    binding: dict,
    dashboard_filters: dict | None = None,
) -> Select | None:
    """The latest day with data a period KPI is anchored on (None: not such a KPI)."""
    if chart_type != "kpi" or not binding.get("x"):
        return None
    t, cols, where = _filtered_table(schema, table_name, columns, binding, dashboard_filters)
    latest = func.max(cast(cols[binding["x"]], Date())).label("latest")
    return select(latest).select_from(t).where(*where)


# --- figures -----------------------------------------------------------------------------


def _layout(title: str | None = None, **extra) -> dict:
    layout = {
        "margin": {"l": 48, "r": 16, "t": 32 if title else 12, "b": 40},
        "autosize": True,
        "font": {"size": 12},
        "showlegend": True,
    }
    if title:
        layout["title"] = {"text": title, "font": {"size": 13}}
    layout.update(extra)
    return layout


def period_label(value: object, period: str) -> str:
    """A KPI's period as people say it: "Nov 2026", "Q4 2026", "week of 23 Nov 2026"."""
    try:
        start = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return whole_period_label(start, period, f" {start:%Y}")


def _by_series(rows: list[list]) -> dict[Any, tuple[list, list]]:
    groups: dict[Any, tuple[list, list]] = {}
    for x, s, y in rows:
        xs, ys = groups.setdefault(s, ([], []))
        xs.append(x)
        ys.append(y)
    return groups


def figure(chart_type: str, binding: dict, columns: list[str], rows: list[list]) -> dict:
    """Plotly figure JSON for the query's rows (values made JSON-safe)."""
    rows = [[jsonable(v) for v in r] for r in rows]
    has_series = bool(binding.get("series")) and chart_type not in ("table",)
    y_label = (
        f"{binding.get('aggregate')}({binding.get('y')})"
        if binding.get("aggregate") not in (None, "none")
        else binding.get("y")
    )
    if chart_type == "table":
        return {
            "data": [
                {
                    "type": "table",
                    "header": {"values": columns, "align": "left"},
                    "cells": {
                        # shown rounded (0.30000000000000004 -> 0.3); the CSV keeps them whole
                        "values": [[_shown(v) for v in c] for c in zip(*rows, strict=True)]
                        if rows
                        else [[] for _ in columns],
                        "align": "left",
                    },
                }
            ],
            "layout": _layout(),
        }
    if chart_type == "kpi":
        return _kpi_figure(binding, y_label, rows[0] if rows else [])
    if chart_type in ("pie", "donut"):
        return {
            "data": [
                {
                    "type": "pie",
                    "labels": [r[0] for r in rows],
                    "values": [r[-1] for r in rows],
                    "hole": 0.45 if chart_type == "donut" else 0,
                    "hovertemplate": f"%{{label}}: %{{value:{PLOTLY_NUMBER}}} (%{{percent}})"
                    "<extra></extra>",
                }
            ],
            "layout": _layout(),
        }
    if chart_type == "funnel":
        return {
            "data": [
                {
                    "type": "funnel",
                    "y": [r[0] for r in rows],
                    "x": [r[-1] for r in rows],
                    "texttemplate": f"%{{value:{PLOTLY_NUMBER}}}",
                }
            ],
            "layout": _layout(showlegend=False),
        }
    if chart_type == "histogram":
        return {
            "data": [{"type": "histogram", "x": [r[0] for r in rows]}],
            "layout": _layout(showlegend=False, xaxis={"title": {"text": binding["x"]}}),
        }
    if chart_type == "heatmap":
        xs = list(dict.fromkeys(r[0] for r in rows))
        ss = list(dict.fromkeys(r[1] for r in rows))
        z = [[None] * len(xs) for _ in ss]
        for x, s, y in rows:
            z[ss.index(s)][xs.index(x)] = y
        return {
            "data": [
                {
                    "type": "heatmap",
                    "x": xs,
                    "y": ss,
                    "z": z,
                    "hovertemplate": f"%{{x}} · %{{y}}: %{{z:{PLOTLY_NUMBER}}}<extra></extra>",
                }
            ],
            "layout": _layout(showlegend=False),
        }
    if chart_type == "sankey":
        labels = list(dict.fromkeys([r[0] for r in rows] + [r[1] for r in rows]))
        index = {label: i for i, label in enumerate(labels)}
        return {
            "data": [
                {
                    "type": "sankey",
                    "valueformat": PLOTLY_NUMBER,
                    "node": {"label": [str(v) for v in labels]},
                    "link": {
                        "source": [index[r[0]] for r in rows],
                        "target": [index[r[1]] for r in rows],
                        "value": [r[2] for r in rows],
                    },
                }
            ],
            "layout": _layout(showlegend=False),
        }
    axes = {
        "xaxis": {"title": {"text": binding.get("x")}},
        "yaxis": {
            "title": {"text": y_label},
            "tickformat": PLOTLY_TICKS,
            "hoverformat": PLOTLY_NUMBER,
        },
    }
    if chart_type == "scatter":
        if has_series:
            groups = _by_series([[r[0], r[2], r[1]] for r in rows])
        else:
            groups = {None: ([r[0] for r in rows], [r[1] for r in rows])}
        data = [
            {
                "type": "scatter",
                "mode": "markers",
                "x": xs,
                "y": ys,
                **({"name": str(s)} if s is not None else {}),
            }
            for s, (xs, ys) in groups.items()
        ]
        return {"data": data, "layout": _layout(**axes, showlegend=has_series)}
    groups = (
        _by_series(rows) if has_series else {None: ([r[0] for r in rows], [r[1] for r in rows])}
    )
    data = []
    for s, (xs, ys) in groups.items():
        trace = {"x": xs, "y": ys}
        if s is not None:
            trace["name"] = str(s)
        if chart_type in ("bar", "stacked_bar"):
            trace["type"] = "bar"
        else:
            trace["type"] = "scatter"
            trace["mode"] = "lines+markers" if chart_type == "line" else "lines"
            if chart_type == "area":
                trace["stackgroup"] = "one"
        data.append(trace)
    extra = {"barmode": "stack"} if chart_type == "stacked_bar" else {}
    return {"data": data, "layout": _layout(**axes, **extra, showlegend=has_series)}


def _shown(value: Any) -> Any:
    """A table cell as shown: floats rounded (see dra.formatting), the rest unchanged."""
    return format_number(value, "cell") if isinstance(value, float) else value


def _no_data(title: str) -> dict:
    return {
        "data": [],
        "layout": _layout(
            showlegend=False,
            xaxis={"visible": False},
            yaxis={"visible": False},
            annotations=[
                {
                    "text": title,
                    "showarrow": False,
                    "xref": "paper",
                    "yref": "paper",
                    "x": 0.5,
                    "y": 0.5,
                    "font": {"size": 14},
                }
            ],
        ),
    }


def _kpi_figure(binding: dict, y_label: str, row: list) -> dict:
    """The KPI's number, with its delta when the previous span has data; a clear "No data"
    rather than a silent 0."""
    windows = None
    if len(row) == 6:  # the two spans the query compared, then their values
        spans = [date.fromisoformat(str(v)[:10]) for v in row[:4]]
        windows = KpiWindows(
            binding.get("period") or "month",
            binding.get("compare") or "to_date",
            (spans[0], spans[1]),
            (spans[2], spans[3]),
        )
    value = row[-2] if windows else (row[-1] if row else None)
    if value is None:
        where = f" for {span_label(windows.current, windows.period)}" if windows else ""
        return _no_data(f"{y_label}: no data{where}")
    trace: dict[str, Any] = {
        "type": "indicator",
        "mode": "number",
        "value": value,
        "number": {"valueformat": PLOTLY_NUMBER},
        "title": {"text": y_label, "font": {"size": 13}},
    }
    if windows is not None:
        previous = row[-1]
        if previous is None:
            text = (
                f"{y_label} · {span_label(windows.current, windows.period)} "
                f"(no data for {span_label(windows.previous, windows.period)})"
            )
        else:
            trace["mode"] = "number+delta"
            trace["delta"] = {
                "reference": previous,
                "relative": False,
                "valueformat": PLOTLY_NUMBER,
            }
            text = f"{y_label} · {windows_label(windows)}"
        trace["title"]["text"] = text[:80]
    return {"data": [trace], "layout": _layout(showlegend=False)}
