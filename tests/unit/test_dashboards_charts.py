"""Widget bindings, their SQL and their plotly figures (validated by plotly itself)."""

from __future__ import annotations

from datetime import date, timedelta

import plotly.graph_objects as go
import pytest

from dra.dashboards.cache import WidgetCache
from dra.dashboards.charts import (
    CHART_TYPES,
    add_periods,
    build_query,
    comparison_windows,
    figure,
    kpi_anchor_query,
    period_label,
    period_start,
    span_label,
    validate_binding,
    whole_period_label,
    windows_label,
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


def sql_with_windows(chart_type, binding, windows):
    clean = validate_binding(chart_type, binding, COLUMNS)
    stmt = build_query("models_p1", "model_1", COLUMNS, chart_type, clean, windows=windows)
    compiled = stmt.statement.compile(dialect=DIALECT, compile_kwargs={"render_postcompile": True})
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


def test_kpi_has_a_delta_against_the_same_days_of_the_previous_period():
    windows = comparison_windows(date(2026, 12, 6), "month")
    _, _, clean = sql("kpi", {"y": "revenue", "x": "day"})
    text, params, _ = sql_with_windows("kpi", {"y": "revenue", "x": "day"}, windows)
    assert "FILTER (WHERE" in text and date(2026, 11, 6) in params.values()
    row = ["2026-12-01", "2026-12-06", "2026-11-01", "2026-11-06", 12, 10]
    fig = figure("kpi", clean, ["a", "b", "c", "d", "y", "previous"], [row])
    go.Figure(fig)
    trace = fig["data"][0]
    assert trace["mode"] == "number+delta" and trace["value"] == 12
    assert trace["delta"]["reference"] == 10
    assert trace["title"]["text"] == "sum(revenue) · Dec 1-6 vs Nov 1-6 2026"
    assert trace["number"]["valueformat"] == ",.2~f"


def test_kpi_without_data_says_so_instead_of_a_silent_zero():
    _, _, clean = sql("kpi", {"y": "revenue", "x": "day"})
    empty = figure("kpi", clean, ["y"], [[None]])
    go.Figure(empty)
    assert empty["data"] == []
    assert empty["layout"]["annotations"][0]["text"] == "sum(revenue): no data"
    row = ["2026-12-01", "2026-12-06", "2026-11-01", "2026-11-06", 12, None]
    alone = figure("kpi", clean, ["a", "b", "c", "d", "y", "previous"], [row])["data"][0]
    assert alone["mode"] == "number"
    assert alone["title"]["text"] == "sum(revenue) · Dec 1-6 2026 (no data for Nov 1-6 2026)"


@pytest.mark.parametrize(
    ("latest", "period", "compare", "current", "previous", "label"),
    [
        # the same days of the previous month
        (
            "2026-12-06",
            "month",
            "to_date",
            ("12-01", "12-06"),
            ("11-01", "11-06"),
            "Dec 1-6 vs Nov 1-6 2026",
        ),
        # a month end: all of March against all of February, not into March
        (
            "2026-03-31",
            "month",
            "to_date",
            ("03-01", "03-31"),
            ("02-01", "02-28"),
            "Mar vs Feb 2026",
        ),
        (
            "2026-03-30",
            "month",
            "to_date",
            ("03-01", "03-30"),
            ("02-01", "02-28"),
            "Mar 1-30 vs Feb 2026",
        ),
        (
            "2028-03-30",
            "month",
            "to_date",
            ("03-01", "03-30"),
            ("02-01", "02-29"),
            "Mar 1-30 vs Feb 2028",
        ),
        (
            "2026-05-31",
            "month",
            "to_date",
            ("05-01", "05-31"),
            ("04-01", "04-30"),
            "May vs Apr 2026",
        ),
        # across a year
        (
            "2027-01-06",
            "month",
            "to_date",
            ("01-01", "01-06"),
            ("12-01", "12-06"),
            "Jan 1-6 2027 vs Dec 1-6 2026",
        ),
        (
            "2026-11-14",
            "quarter",
            "to_date",
            ("10-01", "11-14"),
            ("07-01", "08-14"),
            "Oct 1-Nov 14 vs Jul 1-Aug 14 2026",
        ),
        (
            "2026-12-31",
            "quarter",
            "to_date",
            ("10-01", "12-31"),
            ("07-01", "09-30"),
            "Q4 vs Q3 2026",
        ),
        (
            "2026-03-04",
            "year",
            "to_date",
            ("01-01", "03-04"),
            ("01-01", "03-04"),
            "Jan 1-Mar 4 2026 vs Jan 1-Mar 4 2025",
        ),
        # a week starts on Monday (2026-12-02 is a Wednesday)
        (
            "2026-12-02",
            "week",
            "to_date",
            ("11-30", "12-02"),
            ("11-23", "11-25"),
            "Nov 30-Dec 2 vs Nov 23-25 2026",
        ),
        (
            "2026-12-06",
            "day",
            "to_date",
            ("12-06", "12-06"),
            ("12-05", "12-05"),
            "6 Dec vs 5 Dec 2026",
        ),
        # complete periods only
        (
            "2026-12-06",
            "month",
            "complete",
            ("11-01", "11-30"),
            ("10-01", "10-31"),
            "Nov vs Oct 2026 (complete months)",
        ),
        (
            "2026-11-30",
            "month",
            "complete",
            ("11-01", "11-30"),
            ("10-01", "10-31"),
            "Nov vs Oct 2026 (complete months)",
        ),
        (
            "2026-02-10",
            "quarter",
            "complete",
            ("10-01", "12-31"),
            ("07-01", "09-30"),
            "Q4 vs Q3 2025 (complete quarters)",
        ),
        (
            "2026-12-02",
            "week",
            "complete",
            ("11-23", "11-29"),
            ("11-16", "11-22"),
            "week of 23 Nov vs week of 16 Nov 2026 (complete weeks)",
        ),
    ],
)
def test_kpi_compares_like_with_like(latest, period, compare, current, previous, label):
    windows = comparison_windows(date.fromisoformat(latest), period, compare)

    def days(span, year):
        return tuple(date.fromisoformat(f"{year}-{d}") for d in span)

    last = date.fromisoformat(latest)
    year_of_current = windows.current[1].year
    assert windows.current == days(current, year_of_current)
    assert windows.previous == days(previous, windows.previous[0].year)
    if compare == "to_date":
        assert windows.current[1] == last  # anchored on the latest data
    else:
        assert windows.current[1] <= last
    assert windows.previous[1] < windows.current[0]
    assert windows_label(windows) == label


def test_period_arithmetic():
    assert period_start(date(2026, 12, 6), "week") == date(2026, 11, 30)
    assert period_start(date(2026, 8, 15), "quarter") == date(2026, 7, 1)
    assert add_periods(date(2026, 1, 1), "month", -1) == date(2025, 12, 1)
    assert add_periods(date(2026, 10, 1), "quarter", 1) == date(2027, 1, 1)
    assert add_periods(date(2026, 1, 1), "year", -1) == date(2025, 1, 1)


def test_kpi_compare_setting_is_checked():
    with pytest.raises(ModelingError) as err:
        validate_binding("kpi", {"y": "revenue", "x": "day", "compare": "lately"}, COLUMNS)
    assert err.value.field == "compare"
    assert validate_binding("kpi", {"y": "revenue", "x": "day"}, COLUMNS)["compare"] == "to_date"


def test_charts_show_numbers_with_thousands_separators_and_tables_rounded():
    _, _, clean = sql("bar", {"x": "country", "y": "revenue"})
    fig = figure("bar", clean, ["x", "y"], [["FR", 2500.0], ["US", 0.30000000000000004]])
    assert fig["layout"]["yaxis"]["tickformat"] == ","
    assert fig["layout"]["yaxis"]["hoverformat"] == ",.2~f"
    _, _, clean = sql("table", {"columns": ["country", "revenue"]})
    cells = figure("table", clean, ["country", "revenue"], [["FR", 0.30000000000000004]])
    assert cells["data"][0]["cells"]["values"] == [["FR"], ["0.3"]]


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


@pytest.mark.parametrize(
    ("period", "with_year", "without_year"),
    [
        ("day", "24 Nov 2026", "24 Nov"),
        ("week", "week of 24 Nov 2026", "week of 24 Nov"),
        ("month", "Nov 2026", "Nov"),
        ("quarter", "Q4 2026", "Q4"),
        ("year", "2026", "2026"),
    ],
)
def test_a_whole_period_is_named_one_way_for_kpi_periods_and_spans(period, with_year, without_year):
    start = date(2026, 11, 24)
    assert whole_period_label(start, period, " 2026") == with_year
    assert whole_period_label(start, period, "") == without_year
    assert period_label(start.isoformat(), period) == with_year
    first = period_start(start, period)
    whole = (first, add_periods(first, period, 1) - timedelta(days=1))
    assert span_label(whole, period) == whole_period_label(first, period, " 2026")
    assert span_label(whole, period, year=False) == whole_period_label(first, period, "")


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


def test_a_period_kpi_is_anchored_on_the_rows_its_widget_shows():
    """The anchor (latest day) reads the same table with the same widget and dashboard
    filters as the widget's own query."""
    binding = {
        "x": "day",
        "y": "revenue",
        "period": "month",
        "filters": [{"column": "channel", "operator": "=", "value": "ads"}],
    }
    filters = {"values": {"column": "country", "values": ["FR", "US"]}}
    clean = validate_binding("kpi", binding, COLUMNS)
    anchor = kpi_anchor_query("models_p1", "model_1", COLUMNS, "kpi", clean, filters)
    compiled = anchor.compile(dialect=DIALECT, compile_kwargs={"render_postcompile": True})
    text, params = str(compiled), compiled.params
    widget_text, widget_params, _ = sql("kpi", binding, filters)
    where = widget_text[widget_text.index("\nFROM ") :]
    assert text.endswith(where) and params == widget_params
    assert text.startswith('SELECT max(CAST("models_p1"."model_1"."day" AS DATE)) AS latest')
    assert kpi_anchor_query("models_p1", "model_1", COLUMNS, "bar", clean, filters) is None


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
