"""Platform settings as JSON (UC-ADM-08): ``GET`` and ``PATCH /api/v1/admin/platform-settings``.

Platform admins only (signed in with the page's CSRF token, or an API token). ``PATCH``
takes an object of the settings to change, each of its own JSON type (``true``/``false``,
text, a whole number); an unknown key, a value of the wrong type or a body that is not a
JSON object answers 422 problem details naming every such field, and nothing is stored.
The body's declared type is made from ``dra.admin.platform.SETTINGS`` (one definition of
each setting's kind and limits).
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_login import current_user
from pydantic import Field, StrictBool, StrictInt, StrictStr, create_model

from dra.admin import platform
from dra.errors import Invalid
from webapp.api import PLATFORM_ADMIN, Model, Strict, api_blueprint, operation, out
from webapp.database import db_session

bp = api_blueprint("admin", "/admin", endpoint="admin_api")
TAGS = ["admin"]


def _field(setting: platform.Setting, *, optional: bool) -> tuple[Any, Any]:
    kind: Any = {bool: StrictBool, str: StrictStr, int: StrictInt}[setting.kind]
    limits: dict[str, Any] = {}
    if setting.kind is str:
        limits = {"max_length": setting.maximum}
    elif setting.kind is int:
        limits = {"ge": 1, "le": setting.maximum}
    if optional:
        return kind | None, Field(None, description=setting.label, **limits)
    return kind, Field(description=setting.label, **limits)


SettingsIn = create_model(
    "PlatformSettingsIn",
    __base__=Strict,
    **{s.key: _field(s, optional=True) for s in platform.SETTINGS},
)
Settings = create_model(
    "PlatformSettings",
    __base__=Model,
    **{s.key: _field(s, optional=False) for s in platform.SETTINGS},
)


class SettingsOut(Model):
    settings: Settings  # type: ignore[valid-type]


@bp.get("/platform-settings")
@operation(PLATFORM_ADMIN, resp={200: SettingsOut}, tags=TAGS)
def get_settings():
    """Every platform setting with its value."""
    return out(SettingsOut, {"settings": platform.current_settings(db_session())})


@bp.patch("/platform-settings")
@operation(PLATFORM_ADMIN, json=SettingsIn, resp={200: SettingsOut}, tags=TAGS, invalid_status=422)
def patch_settings():
    """Change the given settings (the others stay as they are)."""
    body = request.context.json.model_dump(exclude_unset=True)
    if not body:
        raise Invalid(
            'Send the settings to change as a JSON object, such as {"maintenance_mode": true}.',
            field="body",
        )
    values = platform.update_settings(db_session(), body, actor_id=current_user.id)
    return out(SettingsOut, {"settings": values})
