"""Widget bindings, their SQL and their plotly figures (validated by plotly itself)."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from dra.dashboards.cache import WidgetCache
from dra.dashboards.charts import (
    CHART_TYPES,
    build_query,
    figure,
    period_label,
    validate_binding,
)
from dra.modeling.builder import DIALECT
from dra.modeling.errors import ModelingError

COLUMNS = {
    "country": "text",
    "channel": "text",
    "revenue": "numeric",
    "orders": "bigint",
    "day": "date",
}
ROWS_XSY = [["FR", "ads", 10], ["FR", "seo", 5], ["US", "ads", 7]]


def sql(chart_type, binding, filters=None):
    clean = validate_binding(chart_type, binding, COLUMNS)
    stmt = build_query("models_p1", "model_1", COLUMNS, chart_type, clean, filters).statement
    compiled = stmt.compile(dialect=DIALECT, compile_kwargs={"render_postcompile": True})
    return str(compiled), compiled.params, clean


@pytest.mark.parametrize(
    "chart_type,binding,rows",
    [
        ("table", {"columns": ["country", "revenue"]}, [["FR", 1], ["US", 2]]),
        (
            "kpi",
            {"y": "revenue", "x": "day", "period": "month"},
            [["2026-02-01", 12], ["2026-01-01", 10]],
        ),
        ("bar", {"x": "country", "y": "revenue"}, [["FR", 15], ["US", 7]]),
        ("stacked_bar", {"x": "country", "y": "revenue", "series": "channel"}, ROWS_XSY),
        ("line", {"x": "day", "y": "orders", "aggregate": "count"}, [["2026-01-01", 3]]),
        ("area", {"x": "day", "y": "revenue", "series": "channel"}, [["2026-01-01", "ads", 3]]),
        ("pie", {"x": "country", "y": "revenue"}, [["FR", 15], ["US", 7]]),
        ("donut", {"x": "country", "y": "revenue"}, [["FR", 15], ["US", 7]]),
        ("scatter", {"x": "orders", "y": "revenue"}, [[1, 2.5], [3, 4]]),
        ("histogram", {"x": "revenue"}, [[1], [2], [2]]),
        ("heatmap", {"x": "country", "y": "revenue", "series": "channel"}, ROWS_XSY),
        (
            "funnel",
            {"x": "channel", "y": "orders", "aggregate": "count"},
            [["visit", 100], ["buy", 9]],
        ),
        ("sankey", {"x": "country", "y": "revenue", "series": "channel"}, ROWS_XSY),
    ],
)
def test_every_chart_type_builds_a_valid_plotly_figure(chart_type, binding, rows):
    text, _, clean = sql(chart_type, binding)
    assert 'FROM "models_p1"."model_1"' in text
    names = clean.get("columns") or ["x", "series", "y"]
    fig = figure(chart_type, clean, names, rows)
    go.Figure(fig)  # plotly validates every property; raises on a bad figure
    assert chart_type in CHART_TYPES


def test_kpi_has_a_delta_against_the_previous_period():
    _, _, clean = sql("kpi", {"y": "revenue", "x": "day"})
    fig = figure("kpi", clean, ["x", "y"], [["2026-02-01", 12], ["2026-01-01", 10]])
    trace = fig["data"][0]
    assert trace["mode"] == "number+delta" and trace["value"] == 12
    assert trace["delta"]["reference"] == 10
    assert trace["title"]["text"] == "sum(revenue) · Feb 2026 (vs Jan 2026)"


@pytest.mark.parametrize(
    ("period", "label"),
    [
        ("day", "24 Nov 2026"),
        ("week", "week of 24 Nov 2026"),
        ("month", "Nov 2026"),
        ("quarter", "Q4 2026"),
        ("year", "2026"),
    ],
)
def test_kpi_periods_read_like_people_say_them(period, label):
    assert period_label("2026-11-24T00:00:00+00:00", period) == label
    assert period_label("not a date", period) == "not a date"


def test_stacked_bar_stacks_one_trace_per_series():
    _, _, clean = sql("stacked_bar", {"x": "country", "y": "revenue", "series": "channel"})
    fig = figure("stacked_bar", clean, ["x", "series", "y"], ROWS_XSY)
    assert fig["layout"]["barmode"] == "stack"
    assert [t["name"] for t in fig["data"]] == ["ads", "seo"]


def test_filters_sort_limit_and_dashboard_filters_are_bound():
    text, params, _ = sql(
        "bar",
        {
            "x": "country",
            "y": "revenue",
            "sort": "-y",
            "limit": 5,
            "filters": [{"column": "channel", "operator": "=", "value": "x'; drop table t; --"}],
        },
        filters={
            "date": {"column": "day", "from": "2026-01-01", "to": "2026-01-31"},
            "values": {"column": "country", "values": ["FR", "US"]},
        },
    )
    assert "drop table" not in text
    assert "x'; drop table t; --" in params.values()
    assert "ORDER BY y DESC" in text and "LIMIT" in text
    assert '"day" >= %(f900)s' in text and "IN (%(f902_in_1)s, %(f902_in_2)s)" in text


def test_dashboard_filters_on_columns_a_model_lacks_are_ignored():
    text, _, _ = sql(
        "bar",
        {"x": "country", "y": "revenue"},
        filters={"date": {"column": "ordered_at", "from": "2026-01-01"}},
    )
    assert "WHERE" not in text


@pytest.mark.parametrize(
    "chart_type,binding,field",
    [
        ("bar", {"x": "country"}, "y"),
        ("bar", {"x": 'nope"; drop', "y": "revenue"}, "x"),
        ("bar", {"x": "country", "y": "country", "aggregate": "sum"}, "y"),
        ("bar", {"x": "country", "y": "revenue", "aggregate": "pg_sleep"}, "aggregate"),
        ("bar", {"x": "country", "y": "revenue", "sort": "y; drop"}, "sort"),
        ("bar", {"x": "country", "y": "revenue", "limit": "1; drop"}, "limit"),
        (
            "bar",
            {"x": "country", "y": "revenue", "filters": [{"column": 'x"--', "value": 1}]},
            "filters[0]",
        ),
        ("sankey", {"x": "country", "y": "revenue"}, "series"),
        ("table", {"columns": ["country", "secret"]}, "columns"),
        ("rocket", {}, "chart_type"),
    ],
)
def test_bad_bindings_name_the_field(chart_type, binding, field):
    with pytest.raises(ModelingError) as err:
        validate_binding(chart_type, binding, COLUMNS)
    assert err.value.field == field


def test_cache_is_keyed_on_version_and_drops_older_versions():
    cache = WidgetCache(max_entries=3)
    k1 = cache.key(1, 1, "bar", {"x": "a"}, None)
    cache.put(k1, "v1")
    assert cache.get(k1) == "v1"
    assert cache.get(cache.key(1, 1, "bar", {"x": "a"}, {"values": {}})) is None
    k2 = cache.key(1, 2, "bar", {"x": "a"}, None)
    cache.put(k2, "v2")
    assert cache.get(k1) is None and cache.get(k2) == "v2"
    for i in range(5):
        cache.put(cache.key(2, 1, "bar", {"i": i}, None), i)
    assert len(cache) == 3


def test_new_widgets_fill_the_grid_row_by_row():
    from dra.dashboards.service import free_slot

    assert free_slot([]) == (0, 0)
    assert free_slot([(0, 0, 6, 4)]) == (6, 0)
    assert free_slot([(0, 0, 6, 4), (6, 0, 6, 4)]) == (0, 4)
    assert free_slot([(0, 0, 12, 2)]) == (0, 2)
