"""The attribution forms, declared once; dra.attribution parses and checks every value."""

from __future__ import annotations

from webapp.forms import Form, text, texts


class ReportForm(Form):
    name = text()
    model = text()
    start_date = text()
    end_date = text()
    lookback_days = text()
    conversion_types = texts()


class FunnelForm(Form):
    steps = text()
    window_days = text()
    start_date = text()
    end_date = text()


class KeyForm(Form):
    name = text()
    allowed_origins = text()
