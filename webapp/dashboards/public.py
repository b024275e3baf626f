"""The public read-only dashboard page (/public/d/<token>, UC-DASH-06): no sign-in.

A request session acting as nobody: row-level security then opens only the dashboard
the token links to. Unknown, revoked or expired tokens answer the 404 page.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template, url_for

from dra.dashboards import service
from dra.db import act_as
from dra.permissions import Permission
from webapp.dashboards.widgets import (
    csv_response,
    filters_arg,
    json_response,
    widget_payload,
    with_data,
)
from webapp.database import get_database
from webapp.errors import json_errors
from webapp.extensions import limiter

public_bp = Blueprint("public_dashboards", __name__, url_prefix="/public/d")

PUBLIC_RATE = "120 per minute"


def _public_session():
    """A request session as nobody; RLS then opens only the linked dashboard."""
    session = g.get("_dra_public_session")
    if session is None:
        session = get_database().AppSession()
        g._dra_public_session = session
    return session


@public_bp.teardown_app_request
def _close_public(_exc=None):
    session = g.pop("_dra_public_session", None)
    if session is not None:
        session.close()


def _public_board(token: str):
    session = _public_session()
    act_as(session, None)
    board = service.open_public(session, token)
    if board is None:
        abort(404, description="This dashboard link does not exist or is no longer shared.")
    return board


@public_bp.get("/<token>")
@limiter.limit(PUBLIC_RATE)
def public_view(token: str):
    """UC-DASH-06: read-only, no sign-in; unknown/revoked/expired tokens get the 404 page."""
    session = _public_session()
    board = _public_board(token)
    by_id = service.public_models(session, board)
    widgets = widget_payload(
        board,
        by_id,
        lambda wid: url_for("public_dashboards.public_widget_data", token=token, widget_id=wid),
    )
    return render_template(
        "dashboards/view.html",
        project=None,
        board=board,
        widgets=widgets,
        access=None,
        P=Permission,
        link=None,
        public=True,
        can_edit=False,
        layout_url=None,
    )


def _public_widget_data(token: str, widget_id: int):
    """(widget, its data) for a guest: the dashboard's own filters bound what is asked."""
    found = service.public_widget(_public_session(), token, widget_id)
    if found is None:
        abort(404, description="This widget is not on a shared dashboard.")
    widget, model, defined = found
    filters = service.guest_filters(filters_arg(), defined)
    return with_data(widget, model, filters)


@public_bp.get("/<token>/widgets/<int:widget_id>/data")
@limiter.limit(PUBLIC_RATE)
@json_errors
def public_widget_data(token: str, widget_id: int):
    _widget, data = _public_widget_data(token, widget_id)
    return json_response(data)


@public_bp.get("/<token>/widgets/<int:widget_id>/data.csv")
@limiter.limit(PUBLIC_RATE)
def public_widget_csv(token: str, widget_id: int):
    return csv_response(*_public_widget_data(token, widget_id))
