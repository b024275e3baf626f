"""Platform settings as JSON (UC-ADM-08): ``GET`` and ``PATCH /api/v1/admin/platform-settings``.

Platform admins only (signed in with the page's CSRF token, or an API token). ``PATCH``
takes an object of the settings to change, each of its own JSON type (``true``/``false``,
text, a whole number); an unknown key or a value of the wrong type answers 422 problem
details naming every such field, and nothing is stored.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user

from dra.admin import platform
from dra.errors import Invalid
from webapp.authz import platform_admin_required
from webapp.database import db_session

bp = Blueprint("admin_api", __name__, url_prefix="/api/v1/admin")


@bp.get("/platform-settings")
@platform_admin_required
def get_settings():
    return jsonify(settings=platform.current_settings(db_session()))


@bp.patch("/platform-settings")
@platform_admin_required
def patch_settings():
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not body:
        raise Invalid(
            'Send the settings to change as a JSON object, such as {"maintenance_mode": true}.',
            field="body",
        )
    values = platform.update_settings(db_session(), body, actor_id=current_user.id)
    return jsonify(settings=values)
