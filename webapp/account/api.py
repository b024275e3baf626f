"""JSON API of the account area (UC-ACC-01, 04..08) for scripts and API tokens.

Every endpoint requires a signed-in user (session cookie with CSRF token, or
``Authorization: Bearer <api token>``) and is scoped to that user.
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request
from flask_login import current_user, login_required

from dra.accounts import notifications
from dra.accounts.profile import profile, update_profile
from webapp.database import db_session

bp = Blueprint("account_api", __name__, url_prefix="/api/account")


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name, str(default))
    try:
        return int(raw)
    except ValueError:
        abort(400, description=f"{name} must be a whole number.")


@bp.patch("/profile")
@login_required
def patch_profile():
    """Signed-in users. UC-ACC-01: ``{first_name, last_name}`` -> the updated profile."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description="Send a JSON object with first_name and last_name.")
    update_profile(
        db_session(),
        current_user.id,
        str(body.get("first_name", "")),
        str(body.get("last_name", "")),
    )
    return jsonify(
        message="Profile updated successfully.", profile=profile(db_session(), current_user.id)
    )


@bp.get("/notifications")
@login_required
def list_notifications():
    """Signed-in users. UC-ACC-04: ``?page=1&limit=20`` (limit clamped to 1..100)."""
    page = notifications.list_notifications(
        db_session(), current_user.id, _int_arg("page", 1), _int_arg("limit", 20)
    )
    return jsonify(page.as_dict())


@bp.get("/notifications/unread-count")
@login_required
def unread_count():
    """Signed-in users. UC-ACC-05: ``{unreadCount: N}``."""
    return jsonify(
        success=True, unreadCount=notifications.unread_count(db_session(), current_user.id)
    )


@bp.patch("/notifications/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int):
    """Signed-in users. UC-ACC-06: mark one of my notifications read (404 if not mine)."""
    notifications.mark_read(db_session(), current_user.id, notification_id)
    return jsonify(success=True)


@bp.patch("/notifications/read-all")
@login_required
def mark_all_read():
    """Signed-in users. UC-ACC-07: mark all my notifications read."""
    changed = notifications.mark_all_read(db_session(), current_user.id)
    return jsonify(success=True, updated=changed)


@bp.delete("/notifications/<int:notification_id>")
@login_required
def delete(notification_id: int):
    """Signed-in users. UC-ACC-08: delete one of my notifications (404 if not mine)."""
    notifications.delete_notification(db_session(), current_user.id, notification_id)
    return jsonify(success=True)
