"""Platform settings as JSON (UC-ADM-08): ``GET`` and ``PATCH /api/v1/admin/platform-settings``.

Platform admins only (signed in with the page's CSRF token, or an API token). ``PATCH``
takes an object of the settings to change, each of its own JSON type (``true``/``false``,
text, a whole number); an unknown key, a value of the wrong type or a body that is not a
JSON object answers 422 problem details naming every such field, and nothing is stored.
The body's declared type is made from ``dra.admin.platform.SETTINGS`` (one definition of
each setting's kind and limits).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import request
from flask_login import current_user
from pydantic import Field, StrictBool, StrictInt, StrictStr, create_model

from dra.admin import platform, tiers, users
from dra.billing.limits import tier_for
from dra.errors import Invalid
from webapp.api import (
    MAX_ID,
    PLATFORM_ADMIN,
    Id,
    Model,
    Page,
    Strict,
    api_blueprint,
    listing,
    operation,
    out,
    page_of,
)
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


# --- users (UC-ADM-01, UC-ADM-03) and tiers (UC-ADM-02), as the admin pages ---------------
class UserOut(Model):
    id: int
    email: str
    name: str
    tier: str
    is_platform_admin: bool
    is_verified: bool
    suspended: bool
    created_at: datetime
    last_login_at: datetime | None


class UserQuery(Strict):
    q: str = Field("", max_length=200, description="part of the email or name")
    page: int = Field(1, ge=1, le=MAX_ID, description="page number, from 1")


class SuspensionIn(Strict):
    suspended: StrictBool = Field(description="true suspends (sign-in refused), false reinstates")


class TierChoiceIn(Strict):
    tier_id: Id


class TierIn(Strict):
    """Every field of a tier: ``PUT`` replaces them all (a limit left out is -1, unlimited)."""

    name: str = Field(min_length=1, max_length=100)
    description: str | None = Field(None, max_length=2000)
    monthly_price: Decimal | None = Field(
        None, ge=0, lt=100_000_000, description="display price; null: not published"
    )
    sort_order: int = Field(0, ge=0, le=2**31 - 1)
    max_projects: int = Field(-1, ge=-1, le=2**31 - 1, description="-1: unlimited")
    max_sources_per_project: int = Field(-1, ge=-1, le=2**31 - 1)
    max_dashboards: int = Field(-1, ge=-1, le=2**31 - 1)
    max_models_per_source: int = Field(-1, ge=-1, le=2**31 - 1)
    max_members_per_project: int = Field(-1, ge=-1, le=2**31 - 1)
    max_rows_per_model: int = Field(-1, ge=-1, le=2**31 - 1)
    max_ai_generations_per_month: int = Field(-1, ge=-1, le=2**31 - 1)


class TierOut(Model):
    id: int
    name: str
    description: str | None
    monthly_price: Decimal | None
    sort_order: int
    is_default: bool
    subscribers: int = Field(0, description="users on this tier")
    max_projects: int
    max_sources_per_project: int
    max_dashboards: int
    max_models_per_source: int
    max_members_per_project: int
    max_rows_per_model: int
    max_ai_generations_per_month: int


def _user(user_id: int) -> dict[str, Any]:
    db = db_session()
    user = users.get_user(db, user_id)
    return asdict(users.user_row(user, tier_for(db, user.id).name))


def _tier_form(body: TierIn) -> dict[str, str]:
    """The body as the tier form's text: the pages' rules (``dra.admin.tiers``) then apply."""
    return {k: "" if v is None else str(v) for k, v in body.model_dump().items()}


def _tier(tier, subscribers: int = 0) -> dict[str, Any]:
    return {
        **{k: getattr(tier, k) for k in TierOut.model_fields if k != "subscribers"},
        "subscribers": subscribers,
    }


@bp.get("/users")
@operation(PLATFORM_ADMIN, query=UserQuery, resp={200: Page[UserOut]}, tags=TAGS)
def user_list():
    """Users matching ``q`` (email or name), newest first, 50 a page (the users page)."""
    query = request.context.query
    result = users.list_users(db_session(), query.q, query.page)
    rows = [asdict(r) for r in result.rows]
    return page_of(UserOut, rows, total=result.total, page=result.page, limit=users.PAGE_SIZE)


@bp.get("/users/<int:user_id>")
@operation(PLATFORM_ADMIN, resp={200: UserOut}, tags=TAGS)
def user_get(user_id: int):
    """One user, with their tier."""
    return out(UserOut, _user(user_id))


@bp.put("/users/<int:user_id>/suspension")
@operation(PLATFORM_ADMIN, json=SuspensionIn, resp={200: UserOut}, tags=TAGS)
def user_suspension(user_id: int):
    """Suspend or reinstate a user (never yourself; an admin loses the rights first: 400)."""
    users.set_suspended(
        db_session(), user_id, request.context.json.suspended, actor_id=current_user.id
    )
    return out(UserOut, _user(user_id))


@bp.put("/users/<int:user_id>/tier")
@operation(PLATFORM_ADMIN, json=TierChoiceIn, resp={200: UserOut}, tags=TAGS)
def user_tier(user_id: int):
    """Put the user on a tier (an unknown tier: 400 naming ``tier_id``)."""
    users.assign_tier(db_session(), user_id, request.context.json.tier_id)
    return out(UserOut, _user(user_id))


@bp.get("/tiers")
@listing(PLATFORM_ADMIN, TierOut, tags=TAGS)
def tier_list():
    """Every tier with its subscribers, in display order."""
    return [_tier(t, n) for t, n in tiers.list_tiers(db_session())]


@bp.post("/tiers")
@operation(PLATFORM_ADMIN, json=TierIn, resp={201: TierOut}, tags=TAGS)
def tier_create():
    """A new tier (a name taken, in any case: 409)."""
    return out(
        TierOut, _tier(tiers.create_tier(db_session(), _tier_form(request.context.json))), 201
    )


@bp.put("/tiers/<int:tier_id>")
@operation(PLATFORM_ADMIN, json=TierIn, resp={200: TierOut}, tags=TAGS)
def tier_update(tier_id: int):
    """Replace a tier's fields; its new limits apply to its users at once."""
    tier = tiers.update_tier(db_session(), tier_id, _tier_form(request.context.json))
    return out(TierOut, _tier(tier))
