"""The tracking endpoint against the real database: keys, validation, idempotency, CORS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from dra.attribution.keys import create_key, revoke_key
from dra.models import AttributionEvent, AttributionEventId
from tests.support.factories import create_project, create_user


@pytest.fixture
def project_key(database):
    with database.system_session() as s:
        owner = create_user(s)
        project_id = create_project(s, owner)
        other_id = create_project(s, owner)
        new = create_key(
            s,
            project_id,
            "Website",
            created_by=owner.id,
            allowed_origins="https://shop.example.com",
        )
        open_key = create_key(s, other_id, "Server", created_by=owner.id)
    return project_id, new.secret, other_id, open_key.secret


def _events(database, project_id):
    with database.system_session() as s:
        return list(
            s.scalars(
                select(AttributionEvent)
                .where(AttributionEvent.project_id == project_id)
                .order_by(AttributionEvent.id)
            )
        )


def test_single_event_is_stored_with_channel_and_utm(client, database, project_key):
    project_id, secret, _, _ = project_key
    resp = client.post(
        "/api/track",
        headers={"Authorization": f"Bearer {secret}"},
        json={
            "userIdentifier": "visitor-1",
            "eventType": "page_view",
            "eventName": "Landing",
            "pageUrl": "https://shop.example.com/?utm_source=google&utm_medium=cpc&utm_campaign=x",
            "referrer": "https://www.google.com/",
            "customData": {"ab": "b"},
            "eventTimestamp": "2026-10-03T09:30:00Z",
        },
    )
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json() == {"status": "created", "projectId": project_id}
    [event] = _events(database, project_id)
    assert (event.user_identifier, event.event_type, event.channel) == (
        "visitor-1",
        "page_view",
        "paid",
    )
    assert (event.utm_source, event.utm_medium, event.utm_campaign) == ("google", "cpc", "x")
    assert event.properties == {"ab": "b"}
    assert event.occurred_at.isoformat() == "2026-10-03T09:30:00+00:00"


def test_missing_fields_answer_400_and_store_nothing(client, database, project_key):
    project_id, secret, _, _ = project_key
    resp = client.post(
        "/api/track",
        headers={"X-Write-Key": secret},
        json={"eventName": "x", "eventTimestamp": "garbage"},
    )
    assert resp.status_code == 400
    assert resp.get_json()["error"] == "Missing required fields: userIdentifier, eventType."
    assert resp.get_json()["fields"] == ["userIdentifier", "eventType"]
    resp = client.post("/api/track", headers={"X-Write-Key": secret}, data="not json")
    assert resp.status_code == 400 and "JSON" in resp.get_json()["error"]
    assert _events(database, project_id) == []


def test_timestamps_in_seconds_milliseconds_or_iso_are_stored_as_such(
    client, database, project_key
):
    project_id, secret, _, _ = project_key
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    seconds = int(at.timestamp())
    stamps = [seconds * 1000, str(seconds * 1000), seconds, str(seconds), at.isoformat()]
    resp = client.post(
        "/api/track/batch",
        headers={"X-Write-Key": secret},
        json={
            "events": [
                {"userIdentifier": f"v{i}", "eventType": "click", "eventTimestamp": stamp}
                for i, stamp in enumerate(stamps)
            ]
        },
    )
    assert resp.status_code == 201, resp.get_json()
    resp = client.post(
        "/api/track",
        headers={"X-Write-Key": secret},
        json={"userIdentifier": "js", "eventType": "click", "eventTimestamp": seconds * 1000},
    )
    assert resp.status_code == 201, resp.get_json()
    assert [e.occurred_at for e in _events(database, project_id)] == [at] * 6
    resp = client.post(
        "/api/track",
        headers={"X-Write-Key": secret},
        json={"userIdentifier": "v", "eventType": "click"},
    )
    assert resp.status_code == 201  # no timestamp: now
    with database.system_session() as s:
        age = s.scalar(
            select(func.extract("epoch", func.now() - func.max(AttributionEvent.occurred_at)))
        )
    assert abs(float(age)) < 60


@pytest.mark.parametrize(
    "stamp", ["last tuesday", -5, 10**20, True, {"at": 1}, "1999-12-31T23:59:59Z", "2999-01-01"]
)
def test_unusable_timestamps_answer_400_naming_the_field(client, database, project_key, stamp):
    project_id, secret, _, _ = project_key
    body = {"userIdentifier": "v", "eventType": "click", "eventTimestamp": stamp}
    resp = client.post("/api/track", headers={"X-Write-Key": secret}, json=body)
    assert resp.status_code == 400
    assert resp.get_json()["fields"] == ["eventTimestamp"]
    assert resp.get_json()["error"].startswith("eventTimestamp ")
    resp = client.post(
        "/api/track/batch",
        headers={"X-Write-Key": secret},
        json={"events": [{"userIdentifier": "v", "eventType": "click"}, body]},
    )
    assert resp.status_code == 400
    assert resp.get_json()["error"].startswith("events[1]: eventTimestamp ")
    assert resp.get_json()["fields"] == ["eventTimestamp"]
    assert _events(database, project_id) == []


def test_keys_are_required_and_scoped(client, database, project_key):
    project_id, secret, other_id, other_secret = project_key
    body = {"userIdentifier": "v", "eventType": "click"}
    assert client.post("/api/track", json=body).status_code == 401
    assert (
        client.post("/api/track", json=body, headers={"X-Write-Key": "dra_wk_nope"}).status_code
        == 401
    )
    # The payload cannot redirect the event to another project.
    resp = client.post(
        "/api/track", json={**body, "projectId": other_id}, headers={"X-Write-Key": secret}
    )
    assert resp.status_code == 403
    with database.system_session() as s:
        revoke_key(s, project_id, _key_id(s, project_id))
    assert client.post("/api/track", json=body, headers={"X-Write-Key": secret}).status_code == 401
    assert (
        client.post("/api/track", json=body, headers={"X-Write-Key": other_secret}).status_code
        == 201
    )
    assert _events(database, project_id) == []
    assert len(_events(database, other_id)) == 1


def _key_id(session, project_id):
    from dra.models import AttributionTrackingKey

    return session.scalar(
        select(AttributionTrackingKey.id).where(AttributionTrackingKey.project_id == project_id)
    )


def test_client_event_id_makes_resending_idempotent(client, database, project_key):
    project_id, secret, _, _ = project_key
    headers = {"X-Write-Key": secret}
    body = {
        "userIdentifier": "v",
        "eventType": "purchase",
        "eventValue": 12.5,
        "clientEventId": "order-1",
    }
    assert client.post("/api/track", json=body, headers=headers).status_code == 201
    # A retry without a timestamp gets a different now(): still stored once.
    resp = client.post("/api/track", json=body, headers=headers)
    assert resp.status_code == 200 and resp.get_json()["status"] == "duplicate"
    batch = {
        "events": [
            body,
            {**body, "clientEventId": "order-2"},
            {**body, "clientEventId": "order-2"},
            {"userIdentifier": "w", "eventType": "page_view"},
        ]
    }
    resp = client.post("/api/track/batch", json=batch, headers=headers)
    assert resp.status_code == 201
    assert resp.get_json() == {"status": "ok", "received": 4, "stored": 2, "duplicates": 2}
    events = _events(database, project_id)
    assert sorted(e.client_event_id or "" for e in events) == ["", "order-1", "order-2"]
    assert str(events[0].value) == "12.5000"
    with database.system_session() as s:
        assert s.scalar(select(func.count()).select_from(AttributionEventId)) == 2


def test_invalid_batch_names_the_event_and_stores_nothing(client, database, project_key):
    project_id, secret, _, _ = project_key
    resp = client.post(
        "/api/track/batch",
        headers={"X-Write-Key": secret},
        json={
            "events": [
                {"userIdentifier": "v", "eventType": "click"},
                {"userIdentifier": "v", "eventType": "click", "eventValue": "x"},
            ]
        },
    )
    assert resp.status_code == 400
    assert resp.get_json()["error"] == "events[1]: eventValue must be a number."
    assert _events(database, project_id) == []


def test_cors_allow_list(client, project_key):
    _, secret, _, other_secret = project_key
    body = {"userIdentifier": "v", "eventType": "click"}
    pre = client.options(
        "/api/track",
        headers={"Origin": "https://shop.example.com", "Access-Control-Request-Method": "POST"},
    )
    assert pre.status_code == 204
    assert "X-Write-Key" in pre.headers["Access-Control-Allow-Headers"]
    ok = client.post(
        "/api/track",
        json=body,
        headers={"X-Write-Key": secret, "Origin": "https://shop.example.com"},
    )
    assert ok.status_code == 201
    assert ok.headers["Access-Control-Allow-Origin"] == "https://shop.example.com"
    bad = client.post(
        "/api/track",
        json=body,
        headers={"X-Write-Key": secret, "Origin": "https://evil.example.net"},
    )
    assert bad.status_code == 403 and "Access-Control-Allow-Origin" not in bad.headers
    # A key without an allow-list accepts any origin.
    anywhere = client.post(
        "/api/track",
        json=body,
        headers={"X-Write-Key": other_secret, "Origin": "https://evil.example.net"},
    )
    assert anywhere.status_code == 201


def test_csrf_does_not_apply(app, project_key, settings):
    from webapp import create_app

    strict = create_app(
        settings, config={"TESTING": True, "SERVER_NAME": "localhost", "RATELIMIT_ENABLED": False}
    )
    _, secret, _, _ = project_key
    resp = strict.test_client().post(
        "/api/track",
        headers={"X-Write-Key": secret},
        json={"userIdentifier": "v", "eventType": "click"},
    )
    assert resp.status_code == 201
    strict.extensions["dra_database"].dispose()
