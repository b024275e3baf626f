"""Platform settings: registration open, private beta (UC-ADM-08)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dra.admin.errors import AdminError
from dra.models import PlatformSetting
from dra.models.platform import DEFAULT_PLATFORM_SETTINGS

BOOLEAN_SETTINGS = {
    "registration_open": "New users can register",
    "private_beta": "Private beta: only allowlisted emails can register",
}
_TRUE, _FALSE = {"on", "true", "1", "yes"}, {"off", "false", "0", "no", ""}


def current_settings(session: Session) -> dict[str, Any]:
    """Every known setting with its stored value (defaults for missing keys)."""
    values = dict(DEFAULT_PLATFORM_SETTINGS)
    for row in session.scalars(select(PlatformSetting)):
        values[row.key] = row.value
    return values


def update_settings(session: Session, form: Mapping[str, str], *, actor_id: int) -> dict:
    """Store the boolean settings from a form (a missing checkbox means off)."""
    parsed: dict[str, bool] = {}
    for key in BOOLEAN_SETTINGS:
        raw = (form.get(key) or "").strip().lower()
        if raw in _TRUE:
            parsed[key] = True
        elif raw in _FALSE:
            parsed[key] = False
        else:
            raise AdminError(f"{key} must be on or off.", status=422, field=key)
    for key, value in parsed.items():
        row = session.get(PlatformSetting, key)
        if row is None:
            session.add(PlatformSetting(key=key, value=value, updated_by=actor_id))
        elif row.value != value:
            row.value = value
            row.updated_by = actor_id
    session.flush()
    return current_settings(session)
