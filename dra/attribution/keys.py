"""Per-project write keys of the tracking endpoint: created (shown once), revoked, origins."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from dra.accounts.tokens import hash_token
from dra.errors import DraError, one_line_text, project_row
from dra.models import AttributionTrackingKey

KEY_PREFIX = "dra_wk_"
MAX_ORIGINS = 50


class WriteKeyError(DraError):
    """A write-key request that cannot be done; ``field`` names the form field."""


@dataclass(frozen=True)
class NewKey:
    key: AttributionTrackingKey
    secret: str  # shown once, never stored


def parse_origins(raw: str | list[str] | None) -> list[str]:
    """Origins (``https://shop.example.com``), one per line or comma separated."""
    items = raw if isinstance(raw, list) else (raw or "").replace(",", "\n").splitlines()
    origins: list[str] = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        parts = urlsplit(item)
        if (
            parts.scheme not in {"http", "https"}
            or not parts.hostname
            or parts.path not in {"", "/"}
            or parts.query
            or parts.fragment
        ):
            raise WriteKeyError(
                f"“{item}” is not an origin (expected e.g. https://shop.example.com).",
                field="allowed_origins",
            )
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        if origin not in origins:
            origins.append(origin)
    if len(origins) > MAX_ORIGINS:
        raise WriteKeyError(f"At most {MAX_ORIGINS} origins per key.", field="allowed_origins")
    return origins


def create_key(
    session: Session,
    project_id: int,
    name: str,
    *,
    created_by: int | None,
    allowed_origins: str | list[str] | None = None,
) -> NewKey:
    name = one_line_text(
        name,
        missing=WriteKeyError("Give the key a name (e.g. “Website”).", field="name"),
        too_long=WriteKeyError("The name is longer than 100 characters.", field="name"),
        limit=100,
    )
    origins = parse_origins(allowed_origins)
    secret = KEY_PREFIX + secrets.token_urlsafe(24)
    key = AttributionTrackingKey(
        project_id=project_id,
        name=name,
        key_hash=hash_token(secret),
        prefix=secret[:12],
        allowed_origins=origins,
        created_by=created_by,
    )
    session.add(key)
    session.flush()
    return NewKey(key=key, secret=secret)


def list_keys(session: Session, project_id: int) -> list[AttributionTrackingKey]:
    return list(
        session.scalars(
            select(AttributionTrackingKey)
            .where(AttributionTrackingKey.project_id == project_id)
            .order_by(
                AttributionTrackingKey.revoked_at.is_not(None),
                AttributionTrackingKey.created_at.desc(),
            )
        )
    )


def _get(session: Session, project_id: int, key_id: int) -> AttributionTrackingKey:
    missing = WriteKeyError("This write key does not exist.", status=404)
    return project_row(session, AttributionTrackingKey, project_id, key_id, missing)


def revoke_key(session: Session, project_id: int, key_id: int) -> AttributionTrackingKey:
    key = _get(session, project_id, key_id)
    if key.revoked_at is None:
        key.revoked_at = datetime.now(UTC)
    session.flush()
    return key


def set_origins(
    session: Session, project_id: int, key_id: int, raw: str | list[str] | None
) -> AttributionTrackingKey:
    key = _get(session, project_id, key_id)
    if key.revoked_at is not None:
        raise WriteKeyError("This key is revoked.", status=409)
    key.allowed_origins = parse_origins(raw)
    session.flush()
    return key
