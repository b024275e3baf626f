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


def test_timestamps_fall_back_to_now():
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert parse_timestamp(None, now) == now
    assert parse_timestamp("yesterday-ish", now) == now
    assert parse_timestamp("2026-10-01T08:00:00Z", now) == datetime(2026, 10, 1, 8, tzinfo=UTC)
    assert parse_timestamp("2026-10-01T10:00:00+02:00", now) == datetime(2026, 10, 1, 8, tzinfo=UTC)
    assert parse_timestamp(1_790_000_000, now).year == 2026
    assert parse_timestamp(10**20, now) == now


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
