"""Dashboards: widgets bound to data models, plotly figures built on the server, a
result cache keyed on the model's version, public links. Neutral code (no Flask)."""
