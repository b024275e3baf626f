"""Platform settings (UC-ADM-08): registration, private beta, maintenance mode.

``SETTINGS`` declares each setting once (its kind, label and limits); the defaults are
``DEFAULT_PLATFORM_SETTINGS`` in ``dra.models.platform``. Values are stored as JSON in
``app.platform_settings``. The form of the admin page and the JSON API both end in
``update_settings``, which checks every value's type (a wrong one: 422 naming the field)
and changes nothing unless all are right.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dra.errors import Invalid
from dra.models import PlatformSetting
from dra.models.platform import DEFAULT_PLATFORM_SETTINGS

MESSAGE_MAX = 500
DEFAULT_MAINTENANCE_MESSAGE = (
    "The platform is down for maintenance. Please come back in a little while."
)


@dataclass(frozen=True)
class Setting:
    key: str
    label: str
    kind: type  # bool, str or int
    maximum: int = 0  # the longest text, or the largest number (from 1)

    @property
    def control(self) -> str:
        """The form control: checkbox, number or text."""
        return {bool: "checkbox", int: "number"}.get(self.kind, "text")


SETTINGS = (
    Setting("registration_open", "New users can register", bool),
    Setting("private_beta", "Private beta: only allowlisted emails can register", bool),
    Setting("maintenance_mode", "Maintenance mode: only platform admins can use the site", bool),
    Setting("maintenance_message", "Message shown during maintenance", str, MESSAGE_MAX),
    Setting("maintenance_retry_minutes", "Expected back in (minutes)", int, 1440),
)
BY_KEY = {setting.key: setting for setting in SETTINGS}
BOOLEAN_SETTINGS = {s.key: s.label for s in SETTINGS if s.kind is bool}
_TRUE, _FALSE = {"on", "true", "1", "yes"}, {"off", "false", "0", "no", ""}


def current_settings(session: Session) -> dict[str, Any]:
    """Every known setting with its stored value (defaults for missing keys)."""
    values = dict(DEFAULT_PLATFORM_SETTINGS)
    for row in session.scalars(select(PlatformSetting)):
        values[row.key] = row.value
    return values


def _check(setting: Setting, value: Any) -> str | None:
    """None when ``value`` is right for the setting, else the message naming it."""
    if setting.kind is bool:
        return None if isinstance(value, bool) else f"{setting.key} must be on or off."
    if setting.kind is str:
        if not isinstance(value, str):
            return f"{setting.key} must be text."
        if len(value) > setting.maximum:
            return f"{setting.key} must be at most {setting.maximum} characters."
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{setting.key} must be a whole number."
    if not 1 <= value <= setting.maximum:
        return f"{setting.key} must be from 1 to {setting.maximum}."
    return None


def update_settings(session: Session, values: Mapping[str, Any], *, actor_id: int) -> dict:
    """Store the given settings (others stay as they are); Invalid (422) naming every
    unknown key and every value of the wrong type, and then nothing is stored."""
    errors: dict[str, str] = {}
    for key, value in values.items():
        setting = BY_KEY.get(key)
        problem = f"{key} is not a platform setting." if setting is None else _check(setting, value)
        if problem:
            errors[key] = problem
    if errors:
        raise Invalid(errors=errors)
    for key, value in values.items():
        row = session.get(PlatformSetting, key)
        if row is None:
            session.add(PlatformSetting(key=key, value=value, updated_by=actor_id))
        elif row.value != value:
            row.value = value
            row.updated_by = actor_id
    session.flush()
    return current_settings(session)


def values_from_form(form: Mapping[str, str]) -> dict[str, Any]:
    """The admin page's form as typed values: every switch (a missing checkbox meaning
    off) and the other settings the form has. A value that is not of its kind is kept as
    typed, for ``update_settings`` to refuse with the field's name."""
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        if setting.kind is not bool and setting.key not in form:
            continue
        raw = form.get(setting.key) or ""
        if setting.kind is bool:
            flag = raw.strip().lower()
            values[setting.key] = True if flag in _TRUE else False if flag in _FALSE else raw
        elif setting.kind is int:
            number = raw.strip()
            values[setting.key] = int(number) if number.isdigit() else raw
        else:
            values[setting.key] = raw.strip().replace("\r\n", "\n")
    return values


@dataclass(frozen=True)
class Maintenance:
    message: str
    retry_after_seconds: int


def maintenance(session: Session) -> Maintenance | None:
    """The maintenance state when maintenance mode is on, else None (one query)."""
    keys = ("maintenance_mode", "maintenance_message", "maintenance_retry_minutes")
    stored = dict(
        session.execute(
            select(PlatformSetting.key, PlatformSetting.value).where(PlatformSetting.key.in_(keys))
        ).all()
    )
    values = {key: stored.get(key, DEFAULT_PLATFORM_SETTINGS[key]) for key in keys}
    if values["maintenance_mode"] is not True:
        return None
    message = values["maintenance_message"]
    minutes = values["maintenance_retry_minutes"]
    return Maintenance(
        message=message.strip()
        if isinstance(message, str) and message.strip()
        else DEFAULT_MAINTENANCE_MESSAGE,
        retry_after_seconds=60 * (minutes if isinstance(minutes, int) and minutes > 0 else 30),
    )
