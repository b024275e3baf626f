"""The signed-in user's account under ``/api/v1``: who I am with my plan's limits and
usage (``/me``), my API tokens and my notifications.

Any signed-in user (``USER``), always scoped to that user: another user's token or
notification is a 404. The views call the account pages' core functions
(``dra.accounts``). A new token's ``secret`` is in the create answer only, as on the
tokens page; it cannot be read again. The notification URLs match the older
``/api/account/notifications`` routes (read and read-all are ``PATCH`` there too).
"""

from __future__ import annotations

from datetime import datetime

from flask import request
from flask_login import current_user
from pydantic import Field

from dra.accounts import api_tokens, notifications
from dra.accounts.profile import profile
from dra.accounts.usage import UsageLine, plan_and_usage
from webapp.api import USER, Model, Page, Strict, api_blueprint, listing, operation, out, page_of
from webapp.database import db_session

bp = api_blueprint("account")
TAGS = ["account"]


class UsageOut(Model):
    label: str
    used: int
    maximum: int = Field(description="-1: unlimited")
    near_limit: bool


class ProjectUsageOut(Model):
    project_id: int
    name: str
    usage: list[UsageOut]


class MeOut(Model):
    id: int
    email: str
    first_name: str | None
    last_name: str | None
    full_name: str
    role: str = Field(description="platform_admin or user")
    is_platform_admin: bool
    email_verified: bool
    sign_in_methods: list[str]
    tier: str = Field(description="the subscription tier (the default one without a plan)")
    usage: list[UsageOut] = Field(description="account-wide limits, as the plan page shows")
    projects: list[ProjectUsageOut] = Field(description="per-project limits of owned projects")
    created_at: str | None
    last_login_at: str | None


class TokenOut(Model):
    id: int
    name: str
    prefix: str = Field(description="the first characters, to recognise it")
    status: str = Field(description="active, revoked or expired")
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class TokenIn(Strict):
    name: str = Field(min_length=1, max_length=100, description="what will use it")
    expires_in_days: int = Field(
        0, description="lifetime: 0 (never expires), 7, 30, 90 or 365 days"
    )


class NewTokenOut(Model):
    token: TokenOut
    secret: str = Field(description="the full token: shown in this answer only")


class NotificationOut(Model):
    id: int
    type: str
    title: str
    message: str | None
    link: str | None
    read: bool
    created_at: str | None


class NotificationQuery(Strict):
    limit: int = Field(notifications.PAGE_SIZE, ge=1, le=notifications.MAX_PAGE_SIZE)
    page: int = Field(1, ge=1, description="page number, from 1")


class MarkedOut(Model):
    updated: int = Field(
        description="read-all: the notifications it changed; one notification: 1 (already read too)"
    )
    unread: int = Field(description="unread notifications left")


def _usage(lines: list[UsageLine]) -> list[dict]:
    return [
        {
            "label": line.label,
            "used": line.usage.used,
            "maximum": line.usage.maximum,
            "near_limit": line.near_limit,
        }
        for line in lines
    ]


def _token(token) -> dict:
    return {
        **{k: getattr(token, k) for k in TokenOut.model_fields if k != "status"},
        "status": api_tokens.token_status(token),
    }


@bp.get("/me")
@operation(USER, resp={200: MeOut}, tags=TAGS)
def me():
    """My profile, tier, and the tier's limits with my usage (the plan page's figures)."""
    db = db_session()
    plan = plan_and_usage(db, current_user.id)
    body = {
        **profile(db, current_user.id),
        "tier": plan.tier.name,
        "usage": _usage(plan.lines),
        "projects": [
            {"project_id": p.project_id, "name": p.name, "usage": _usage(p.lines)}
            for p in plan.projects
        ],
    }
    return out(MeOut, body)


@bp.get("/account/tokens")
@listing(USER, TokenOut, tags=TAGS)
def token_list():
    """My API tokens, newest first (revoked and expired ones included, with their status)."""
    return [_token(t) for t in api_tokens.list_api_tokens(db_session(), current_user.id)]


@bp.post("/account/tokens")
@operation(USER, json=TokenIn, resp={201: NewTokenOut}, tags=TAGS)
def token_create():
    """A new API token (at most 20 active: 409 beyond). ``secret`` is shown only here."""
    body = request.context.json
    created = api_tokens.create_api_token(
        db_session(), current_user.id, body.name, body.expires_in_days
    )
    return out(NewTokenOut, {"token": _token(created.token), "secret": created.secret}, 201)


@bp.delete("/account/tokens/<int:token_id>")
@operation(USER, resp={200: TokenOut}, tags=TAGS)
def token_revoke(token_id: int):
    """Revoke one of my tokens (requests using it are refused from now on)."""
    return out(
        TokenOut, _token(api_tokens.revoke_api_token(db_session(), current_user.id, token_id))
    )


@bp.get("/account/notifications")
@operation(USER, resp={200: Page[NotificationOut]}, query=NotificationQuery, tags=TAGS)
def notification_list():
    """My notifications, newest first."""
    query = request.context.query
    page = notifications.list_notifications(db_session(), current_user.id, query.page, query.limit)
    items = [notifications.notification_dict(n) for n in page.items]
    return page_of(NotificationOut, items, total=page.total, page=page.page, limit=page.per_page)


@bp.patch("/account/notifications/<int:notification_id>/read")
@operation(USER, resp={200: MarkedOut}, tags=TAGS)
def notification_read(notification_id: int):
    """Mark one of my notifications read."""
    db = db_session()
    notifications.mark_read(db, current_user.id, notification_id)
    return out(MarkedOut, {"updated": 1, "unread": notifications.unread_count(db, current_user.id)})


@bp.patch("/account/notifications/read-all")
@operation(USER, resp={200: MarkedOut}, tags=TAGS)
def notification_read_all():
    """Mark all my notifications read."""
    db = db_session()
    changed = notifications.mark_all_read(db, current_user.id)
    return out(
        MarkedOut, {"updated": changed, "unread": notifications.unread_count(db, current_user.id)}
    )
