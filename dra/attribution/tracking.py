"""Tracking ingestion (UC-ATT-01): validate events, authenticate write keys, store once.

Payload fields (camelCase, as the specification names them): ``userIdentifier`` and
``eventType`` (required), ``eventName``, ``eventValue``, ``currency``, ``pageUrl``,
``referrer``, ``utmParams`` (``{source, medium, campaign, term, content}``; ``utm_*``
query parameters of ``pageUrl`` fill what it leaves out), ``customData`` (object),
``sessionId``, ``clientEventId`` (makes resending idempotent), ``eventTimestamp``
(ISO 8601, Unix seconds or milliseconds; missing: now; anything else: 400) and
``projectId`` (optional: the write key names the project; a different id is refused).

Writes go through the ``dra_app`` role with ``dra.tracking_project_id`` set, so a key
can only ever add events to its own project (see ``dra.models.security``).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from dra.accounts.tokens import hash_token
from dra.attribution.channels import UTM_FIELDS, classify_channel, utm_from_url
from dra.errors import DraError
from dra.models.attribution import CLIENT_EVENT_ID_LENGTH, EventType
from dra.models.security import TRACKING_PROJECT_SETTING

REQUIRED = ("userIdentifier", "eventType")
EVENT_TYPES = tuple(t.value for t in EventType)
MAX_BATCH = 1000
MAX_VALUE = Decimal("99999999999999")  # Numeric(18, 4)
TEXT_LIMITS = {
    "userIdentifier": 255,
    "eventName": 255,
    "sessionId": 255,
    "clientEventId": CLIENT_EVENT_ID_LENGTH,
    "pageUrl": 4096,
    "referrer": 4096,
}


class TrackingError(DraError):
    """A request the tracking endpoint refuses; ``status`` is the HTTP answer."""


@dataclass(frozen=True)
class TrackedEvent:
    user_identifier: str
    event_type: str
    occurred_at: datetime
    channel: str
    event_name: str | None = None
    value: Decimal | None = None
    currency: str | None = None
    page_url: str | None = None
    referrer: str | None = None
    session_id: str | None = None
    client_event_id: str | None = None
    utm: dict[str, str | None] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TrackingKey:
    project_id: int
    allowed_origins: tuple[str, ...]

    def allows_origin(self, origin: str | None) -> bool:
        """No Origin header (a server) or an empty allow-list: allowed."""
        if not origin or not self.allowed_origins:
            return True
        return origin.rstrip("/").lower() in self.allowed_origins


@dataclass(frozen=True)
class StoreResult:
    received: int
    stored: int

    @property
    def duplicates(self) -> int:
        return self.received - self.stored


EARLIEST_EVENT = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)
"""How far ahead of the server's clock an event may be (clients' clocks drift)."""
MILLISECONDS_FROM = 1e11
"""Epoch numbers above this are milliseconds (JavaScript's Date.now()): as seconds they
would be past the year 5000; as milliseconds, 1e11 is 1973."""
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
TIMESTAMP_FORMS = (
    "an ISO 8601 date-time (2026-10-03T09:30:00Z) or a Unix time in seconds or "
    "milliseconds (Date.now())"
)


def parse_timestamp(raw: Any, now: datetime | None = None, where: str = "") -> datetime:
    """``eventTimestamp``: ISO 8601 text, or epoch seconds or milliseconds (numbers or
    numeric text, told apart by size); missing: now (ALT-ATT01B). Anything else, and
    times before 2000 or more than a day ahead, is a TrackingError naming the field."""
    now = now or datetime.now(UTC)
    if raw is None or raw == "":
        return now

    def refuse(reason: str) -> TrackingError:
        return TrackingError(f"{where}eventTimestamp {reason}", field="eventTimestamp")

    number: float | None = None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        number = float(raw)
    elif isinstance(raw, str) and _NUMBER.match(raw.strip()):
        number = float(raw.strip())
    elif not isinstance(raw, str):
        raise refuse(f"must be {TIMESTAMP_FORMS}, not {type(raw).__name__}.")
    if number is not None:
        if not math.isfinite(number) or number < 0:
            raise refuse(f"must be {TIMESTAMP_FORMS}; {raw!r} is not a time.")
        seconds = number / 1000 if number > MILLISECONDS_FROM else number
        try:
            ts = datetime.fromtimestamp(seconds, UTC)
        except (ValueError, OverflowError, OSError):
            raise refuse(f"{raw!r} is out of range.") from None
    else:
        try:
            ts = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
        except ValueError:
            raise refuse(f"must be {TIMESTAMP_FORMS}; {raw[:40]!r} is neither.") from None
        if ts.tzinfo is None:
            ts = ts.replace(tzinfo=UTC)
        ts = ts.astimezone(UTC)
    if ts < EARLIEST_EVENT:
        raise refuse(f"{ts.isoformat()} is before 2000: a wrong unit or an unset clock?")
    if ts > now + FUTURE_SLACK:
        raise refuse(f"{ts.isoformat()} is more than a day in the future.")
    return ts


def _text(payload: dict, name: str, where: str) -> str | None:
    raw = payload.get(name)
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise TrackingError(f"{where}{name} must be text.", field=name)
    value = str(raw).strip()
    limit = TEXT_LIMITS.get(name, 255)
    if len(value) > limit:
        raise TrackingError(f"{where}{name} is longer than {limit} characters.", field=name)
    return value or None


def _value(payload: dict, where: str) -> Decimal | None:
    raw = payload.get("eventValue")
    if raw is None or raw == "":
        return None
    try:
        if isinstance(raw, bool):
            raise InvalidOperation
        value = Decimal(str(raw))
    except InvalidOperation:
        raise TrackingError(f"{where}eventValue must be a number.", field="eventValue") from None
    if not value.is_finite() or abs(value) > MAX_VALUE:
        raise TrackingError(f"{where}eventValue is out of range.", field="eventValue")
    return value.quantize(Decimal("0.0001"))


def _utm(payload: dict, page_url: str | None, where: str) -> dict[str, str | None]:
    raw = payload.get("utmParams") or {}
    if not isinstance(raw, dict):
        raise TrackingError(f"{where}utmParams must be an object.", field="utmParams")
    from_url = utm_from_url(page_url)
    utm: dict[str, str | None] = {}
    for name in UTM_FIELDS:
        short = name.removeprefix("utm_")
        value = raw.get(short, raw.get(name, from_url.get(name)))
        value = None if value is None else str(value).strip()[:255] or None
        utm[name] = value
    return utm


def validate_event(
    payload: Any, *, index: int | None = None, now: datetime | None = None
) -> TrackedEvent:
    """One event payload -> a TrackedEvent, or TrackingError naming the bad fields."""
    where = "" if index is None else f"events[{index}]: "
    if not isinstance(payload, dict):
        raise TrackingError(f"{where}an event must be a JSON object.")
    missing = [
        name
        for name in REQUIRED
        if payload.get(name) is None or str(payload.get(name)).strip() == ""
    ]
    if missing:
        message = f"{where}Missing required fields: {', '.join(missing)}."
        raise TrackingError(message, errors=dict.fromkeys(missing, message))
    event_type = str(payload["eventType"]).strip().lower()
    if event_type not in EVENT_TYPES:
        raise TrackingError(
            f"{where}eventType must be one of {', '.join(EVENT_TYPES)}.", field="eventType"
        )
    custom = payload.get("customData") or {}
    if not isinstance(custom, dict):
        raise TrackingError(f"{where}customData must be an object.", field="customData")
    currency = _text(payload, "currency", where)
    if currency is not None and (len(currency) != 3 or not currency.isalpha()):
        raise TrackingError(f"{where}currency must be a 3-letter code.", field="currency")
    page_url = _text(payload, "pageUrl", where)
    referrer = _text(payload, "referrer", where)
    utm = _utm(payload, page_url, where)
    return TrackedEvent(
        user_identifier=_text(payload, "userIdentifier", where) or "",
        event_type=event_type,
        occurred_at=parse_timestamp(payload.get("eventTimestamp"), now, where),
        channel=classify_channel(utm["utm_source"], utm["utm_medium"], referrer),
        event_name=_text(payload, "eventName", where),
        value=_value(payload, where),
        currency=currency.upper() if currency else None,
        page_url=page_url,
        referrer=referrer,
        session_id=_text(payload, "sessionId", where),
        client_event_id=_text(payload, "clientEventId", where),
        utm=utm,
        properties=custom,
    )


def validate_batch(payload: Any, now: datetime | None = None) -> list[TrackedEvent]:
    """``{"events": [...]}`` (1 to 1000 events) -> events; any invalid event refuses all."""
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise TrackingError('Send a JSON object with an "events" list.', field="events")
    events = payload["events"]
    if not events:
        raise TrackingError("The events list is empty.", field="events")
    if len(events) > MAX_BATCH:
        raise TrackingError(f"A batch holds at most {MAX_BATCH} events.", field="events")
    now = now or datetime.now(UTC)
    return [validate_event(item, index=i, now=now) for i, item in enumerate(events)]


def check_project(payload: Any, key: TrackingKey) -> None:
    """A ``projectId`` in the payload must be the key's project."""
    claimed = payload.get("projectId") if isinstance(payload, dict) else None
    if claimed not in (None, "") and str(claimed).strip() != str(key.project_id):
        raise TrackingError(
            "This write key does not belong to that project.", status=403, field="projectId"
        )


def resolve_key(session: Session, secret: str | None) -> TrackingKey:
    """The project and origins of an active write key; 401 when unknown or revoked."""
    if not secret:
        raise TrackingError(
            "Send the project's write key as 'Authorization: Bearer <key>' or 'X-Write-Key'.",
            status=401,
        )
    row = session.execute(
        text("SELECT project_id, allowed_origins FROM app.resolve_tracking_key(:h)"),
        {"h": hash_token(secret.strip())},
    ).first()
    if row is None:
        raise TrackingError("Unknown or revoked write key.", status=401)
    origins = tuple(str(o).rstrip("/").lower() for o in (row.allowed_origins or []))
    return TrackingKey(project_id=int(row.project_id), allowed_origins=origins)


INSERT_SQL = text("""
WITH input AS (
    SELECT * FROM unnest(
        CAST(:client_ids AS text[]), CAST(:users AS text[]), CAST(:sessions AS text[]),
        CAST(:types AS text[]), CAST(:names AS text[]), CAST(:pages AS text[]),
        CAST(:referrers AS text[]), CAST(:sources AS text[]), CAST(:mediums AS text[]),
        CAST(:campaigns AS text[]), CAST(:terms AS text[]), CAST(:contents AS text[]),
        CAST(:channels AS text[]), CAST(:vals AS numeric[]), CAST(:currencies AS text[]),
        CAST(:props AS text[]), CAST(:times AS timestamptz[])
    ) AS t(client_event_id, user_identifier, session_id, event_type, event_name, page_url,
           referrer, utm_source, utm_medium, utm_campaign, utm_term, utm_content, channel,
           value, currency, properties, occurred_at)
), claimed AS (
    INSERT INTO app.attribution_event_ids (project_id, client_event_id, occurred_at)
    SELECT :project_id, client_event_id, occurred_at FROM input
    WHERE client_event_id IS NOT NULL
    ON CONFLICT DO NOTHING
    RETURNING client_event_id
)
INSERT INTO app.attribution_events (
    project_id, client_event_id, user_identifier, session_id, event_type, event_name,
    page_url, referrer, utm_source, utm_medium, utm_campaign, utm_term, utm_content,
    channel, value, currency, properties, occurred_at)
SELECT :project_id, i.client_event_id, i.user_identifier, i.session_id, i.event_type,
       i.event_name, i.page_url, i.referrer, i.utm_source, i.utm_medium, i.utm_campaign,
       i.utm_term, i.utm_content, i.channel, i.value, i.currency, CAST(i.properties AS jsonb),
       i.occurred_at
FROM input i
WHERE i.client_event_id IS NULL
   OR i.client_event_id IN (SELECT client_event_id FROM claimed)
""")


def _columns(events: list[TrackedEvent]) -> dict[str, list]:
    return {
        "client_ids": [e.client_event_id for e in events],
        "users": [e.user_identifier for e in events],
        "sessions": [e.session_id for e in events],
        "types": [e.event_type for e in events],
        "names": [e.event_name for e in events],
        "pages": [e.page_url for e in events],
        "referrers": [e.referrer for e in events],
        "sources": [e.utm.get("utm_source") for e in events],
        "mediums": [e.utm.get("utm_medium") for e in events],
        "campaigns": [e.utm.get("utm_campaign") for e in events],
        "terms": [e.utm.get("utm_term") for e in events],
        "contents": [e.utm.get("utm_content") for e in events],
        "channels": [e.channel for e in events],
        "vals": [e.value for e in events],
        "currencies": [e.currency for e in events],
        "props": [json.dumps(e.properties) for e in events],
        "times": [e.occurred_at for e in events],
    }


def store_events(session: Session, project_id: int, events: list[TrackedEvent]) -> StoreResult:
    """Insert events of one project once each (by client event id); caller commits."""
    seen: set[str] = set()
    unique: list[TrackedEvent] = []
    for event in events:  # the same client id twice in one batch counts once
        if event.client_event_id is not None:
            if event.client_event_id in seen:
                continue
            seen.add(event.client_event_id)
        unique.append(event)
    session.execute(
        text("SELECT set_config(:name, :value, true)"),
        {"name": TRACKING_PROJECT_SETTING, "value": str(int(project_id))},
    )
    result = session.execute(INSERT_SQL, {"project_id": project_id, **_columns(unique)})
    return StoreResult(received=len(events), stored=int(result.rowcount or 0))


def track(
    session: Session,
    secret: str | None,
    payload: Any,
    *,
    origin: str | None = None,
    batch: bool = False,
) -> tuple[TrackingKey, StoreResult]:
    """Authenticate, validate and store a single event or a batch; caller commits."""
    key = resolve_key(session, secret)
    if not key.allows_origin(origin):
        raise TrackingError("This origin is not allowed to use this write key.", status=403)
    check_project(payload, key)
    events = validate_batch(payload) if batch else [validate_event(payload)]
    if batch:
        for item in payload["events"]:
            check_project(item, key)
    return key, store_events(session, key.project_id, events)
