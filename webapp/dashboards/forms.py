"""The dashboard forms, declared once; dra.dashboards checks every value."""

from __future__ import annotations

from wtforms import StringField

from webapp.forms import Form, text


class DashboardForm(Form):
    name = text()
    description = text()


class SettingsForm(Form):
    version = text()
    name = text()
    description = text()
    date_column = text()
    date_from = text()
    date_to = text()
    values_column = text()
    values = text()

    def filters(self) -> dict:
        """The dashboard filters as the service takes them."""
        return {
            "date": {
                "column": self.date_column.data,
                "from": self.date_from.data,
                "to": self.date_to.data,
            },
            "values": {"column": self.values_column.data, "values": self.values.data},
        }


class ShareForm(Form):
    action = StringField(default="create")
    expires_at = text()


BINDING_FIELDS = ("x", "y", "series", "aggregate", "sort", "limit", "period", "compare")


class WidgetForm(Form):
    version = text()
    title = text()
    data_model_id = text()
    chart_type = text()
    x = text()
    y = text()
    series = text()
    aggregate = text()
    sort = text()
    limit = text()
    period = text()
    compare = text()
    columns = text()
    filter_column = text()
    filter_operator = text()
    filter_value = text()

    def binding(self) -> dict:
        """The chart binding as the service takes it (one optional filter)."""
        data = self.data
        binding = {k: data[k] or None for k in BINDING_FIELDS}
        columns = [c.strip() for c in data["columns"].split(",") if c.strip()]
        if columns:
            binding["columns"] = columns
        if data["filter_column"]:
            op = data["filter_operator"] or "="
            value = data["filter_value"]
            if op in ("in", "not_in", "between"):
                value = [v.strip() for v in value.split(",") if v.strip()]
            binding["filters"] = [{"column": data["filter_column"], "operator": op, "value": value}]
        return binding
