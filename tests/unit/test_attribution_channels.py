"""Channel classification and payload validation (no database)."""

from datetime import UTC, datetime

import pytest

from dra.attribution.channels import classify_channel, referrer_host, utm_from_url
from dra.attribution.tracking import TrackingError, parse_timestamp, validate_batch, validate_event


@pytest.mark.parametrize(
    ("source", "medium", "referrer", "channel"),
    [
        ("google", "cpc", None, "paid"),
        ("facebook", "PPC", "https://facebook.com/", "paid"),  # paid wins over a social referrer
        (None, "paid", None, "paid"),
        ("bing", "cpm", None, "paid"),
        ("newsletter", "social", None, "social"),
        (None, None, "https://www.facebook.com/groups/x", "social"),
        (None, None, "https://t.co/abc", "social"),
        ("linkedin", "sm", None, "social"),
        ("mailchimp", "email", "https://google.com", "email"),
        ("weekly", "newsletter", None, "email"),
        ("weekly", "E-Mail", None, "email"),
        (None, None, "https://www.google.co.uk/search?q=coffee", "organic"),
        (None, None, "https://duckduckgo.com/", "organic"),
        ("google", "organic", None, "organic"),
        (None, "search", None, "organic"),
        (None, None, "https://blog.example.org/best-grinders", "referral"),
        ("partner", None, "https://blog.example.org/", "other"),  # a referrer with a source
        (None, None, None, "direct"),
        ("", "", "", "direct"),
        ("podcast", None, None, "other"),
        (None, "display", None, "other"),
    ],
)
def test_classify_channel(source, medium, referrer, channel):
    assert classify_channel(source, medium, referrer) == channel


def test_lookalike_domains_are_not_social_or_search():
    assert classify_channel(None, None, "https://notfacebook.com/") == "referral"
    assert classify_channel(None, None, "https://x.company.com/") == "referral"
    assert referrer_host("www.Example.com/path") == "example.com"


def test_utm_from_url_and_payload_precedence():
    assert utm_from_url("https://s.example.com/?utm_source=fb&utm_medium=cpc&x=1") == {
        "utm_source": "fb",
        "utm_medium": "cpc",
    }
    event = validate_event(
        {
            "userIdentifier": "u1",
            "eventType": "page_view",
            "pageUrl": "https://s.example.com/?utm_source=fb&utm_medium=cpc",
            "utmParams": {"medium": "email"},
        }
    )
    assert event.utm["utm_source"] == "fb" and event.utm["utm_medium"] == "email"
    assert event.channel == "email"


def test_missing_fields_are_named():
    with pytest.raises(TrackingError) as err:
        validate_event({"eventType": "click"})
    assert err.value.status == 400
    assert err.value.message == "Missing required fields: userIdentifier."
    with pytest.raises(TrackingError) as err:
        validate_event({})
    assert err.value.fields == ("userIdentifier", "eventType")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"userIdentifier": "u", "eventType": "teleport"}, "eventType"),
        ({"userIdentifier": "u", "eventType": "purchase", "eventValue": "lots"}, "eventValue"),
        ({"userIdentifier": "u", "eventType": "purchase", "eventValue": True}, "eventValue"),
        ({"userIdentifier": "u", "eventType": "custom", "customData": [1]}, "customData"),
        ({"userIdentifier": "u" * 256, "eventType": "custom"}, "userIdentifier"),
        ({"userIdentifier": "u", "eventType": "custom", "currency": "euro"}, "currency"),
        ({"userIdentifier": "u", "eventType": "custom", "utmParams": "cpc"}, "utmParams"),
    ],
)
def test_invalid_fields_are_named(payload, field):
    with pytest.raises(TrackingError) as err:
        validate_event(payload)
    assert err.value.fields == (field,)
    assert field in err.value.message


def test_timestamps_in_iso_seconds_or_milliseconds():
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    at = datetime(2026, 10, 1, 8, tzinfo=UTC)
    assert parse_timestamp(None, now) == now
    assert parse_timestamp("", now) == now
    assert parse_timestamp("2026-10-01T08:00:00Z", now) == at
    assert parse_timestamp("2026-10-01T10:00:00+02:00", now) == at
    assert parse_timestamp("2026-10-01 08:00:00", now) == at
    seconds = int(at.timestamp())
    assert parse_timestamp(seconds, now) == at
    assert parse_timestamp(float(seconds) + 0.5, now) == at.replace(microsecond=500000)
    assert parse_timestamp(str(seconds), now) == at
    assert parse_timestamp(seconds * 1000, now) == at  # JavaScript's Date.now()
    assert parse_timestamp(seconds * 1000 + 250, now) == at.replace(microsecond=250000)
    assert parse_timestamp(f"{seconds * 1000}", now) == at
    assert parse_timestamp(now.timestamp() * 1000 + 3_600_000, now) > now  # an hour ahead: fine


@pytest.mark.parametrize(
    "raw",
    [
        "yesterday-ish",
        "last tuesday",
        "2026-13-01",
        True,
        False,
        {"ms": 1},
        [1790000000],
        float("nan"),
        float("inf"),
        -1,
        "-1790000000",
        0,
        946_684_799,  # 1999-12-31T23:59:59Z
        "1999-06-01T00:00:00Z",
        10**20,
        1_795_000_000_000_000,  # microseconds
        "2026-11-27T12:00:01Z",  # more than a day ahead
        1_764_201_600 + 2 * 86400 * 365,
    ],
)
def test_unusable_timestamps_are_refused_naming_the_field(raw):
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    with pytest.raises(TrackingError) as err:
        parse_timestamp(raw, now)
    assert err.value.fields == ("eventTimestamp",)
    assert err.value.status == 400 and "eventTimestamp" in err.value.message
    with pytest.raises(TrackingError) as err:
        validate_batch(
            {
                "events": [
                    {"userIdentifier": "u", "eventType": "click"},
                    {"userIdentifier": "u", "eventType": "click", "eventTimestamp": raw},
                ]
            },
            now=now,
        )
    assert err.value.message.startswith("events[1]: eventTimestamp ")
    assert err.value.fields == ("eventTimestamp",)


def test_batch_refuses_all_when_one_event_is_bad():
    with pytest.raises(TrackingError) as err:
        validate_batch(
            {"events": [{"userIdentifier": "u", "eventType": "click"}, {"userIdentifier": "u"}]}
        )
    assert err.value.message == "events[1]: Missing required fields: eventType."
    with pytest.raises(TrackingError):
        validate_batch({"events": []})
    with pytest.raises(TrackingError):
        validate_batch([{"userIdentifier": "u", "eventType": "click"}])
