"""Template globals and filters."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from dra.formatting import format_number


def register(app: Flask) -> None:
    @app.template_filter("datetime")
    def _fmt_datetime(value: datetime | None) -> str:
        return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"

    # numbers: {{ rows|number }} (counts and decimals: "2,500", "-113.99"),
    # {{ score|percent }}, {{ amount|currency('EUR') }}, {{ value|cell }} (data tables)
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["percent"] = lambda v: format_number(v, "percent")
    app.jinja_env.filters["currency"] = lambda v, code=None: format_number(v, "currency", code)
    app.jinja_env.filters["cell"] = lambda v: format_number(v, "cell")

    app.jinja_env.globals["nav_items"] = nav_items


def nav_items() -> list[tuple[str, str]]:
    """Main navigation entries (endpoint, label) of the blueprints that are registered."""
    from flask import current_app

    candidates = [
        ("projects.index", "Projects"),
        ("all_dashboards.index", "Dashboards"),
        ("admin.index", "Admin"),
        ("dbadmin.index", "Database"),
    ]
    from flask_login import current_user

    admin = bool(getattr(current_user, "is_platform_admin", False))
    return [
        (ep, label)
        for ep, label in candidates
        if ep in current_app.view_functions
        and (admin or not ep.startswith("admin."))
        and (admin or ep != "dbadmin.index" or bool(getattr(current_user, "is_db_admin", False)))
    ]
