"""What the member and public dashboard views share: the widget list a page draws, the
``filters`` argument, and the JSON / CSV answers of a widget's data."""

from __future__ import annotations

from flask import Response, abort, request

from dra.dashboards import service
from dra.modeling.errors import ModelingError
from dra.security.csv_export import write_csv
from dra.security.json_input import JSONInputError, loads_bounded
from webapp.database import get_database, statement_timeout_ms


def with_data(widget, model, filters: dict | None) -> tuple:
    """(widget, its data) for a member or a guest, with the app's statement timeout."""
    return widget, service.widget_data(
        get_database(), widget, model, filters, timeout_ms=statement_timeout_ms()
    )


def filters_arg() -> dict | None:
    """The ``filters`` query parameter: JSON bounded in size and nesting before parsing."""
    raw = request.args.get("filters")
    if not raw:
        return None
    try:
        value = loads_bounded(raw, field="filters")
    except JSONInputError as exc:
        raise ModelingError(exc.message, status=exc.status, field="filters") from None
    return service.clean_filters(value)


def widget_payload(board, models_by_id: dict, data_url) -> list[dict]:
    return [
        {
            "id": w.id,
            "title": w.title,
            "chart_type": w.chart_type,
            "x": w.x,
            "y": w.y,
            "w": w.w,
            "h": w.h,
            "data_url": data_url(w.id),
            "csv_url": data_url(w.id) + ".csv",
            "model": models_by_id[w.data_model_id].name
            if w.data_model_id in models_by_id
            else None,
        }
        for w in board.widgets
    ]


def json_response(data) -> Response:
    return Response(data.as_json(), mimetype="application/json")


def csv_response(widget, data) -> Response:
    if data.error:
        abort(409, description=data.error)
    name = "".join(ch if ch.isalnum() else "_" for ch in (widget.title or "widget"))[:60]
    return Response(
        write_csv(data.columns, data.rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name or "widget"}.csv"'},
    )
