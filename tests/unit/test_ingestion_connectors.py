"""Connector helpers that need no server: validation, error wording, cursor encoding."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from bson import ObjectId

from dra.ingestion.connectors import (
    RELATIONAL_MESSAGE,
    InvalidDetails,
    connector_class,
    database_types,
    decode_cursor,
    encode_cursor,
)
from dra.ingestion.connectors.mongodb import _merge
from dra.ingestion.connectors.postgresql import failure_reason


@pytest.mark.parametrize(
    "value",
    [
        7,
        2**70,
        1.5,
        Decimal("12.30"),
        "abc",
        True,
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 4),
        date(2026, 5, 6),
        ObjectId("65a1b2c3d4e5f60718293a4b"),
    ],
)
def test_cursor_values_round_trip_with_their_type(value):
    back = decode_cursor(encode_cursor(value))
    assert back == value and type(back) is type(value)


def test_no_cursor():
    assert encode_cursor(None) is None and decode_cursor(None) is None


def test_registered_types_and_unknown_type():
    assert database_types() == {
        "mariadb": "MariaDB",
        "mongodb": "MongoDB",
        "mysql": "MySQL",
        "postgresql": "PostgreSQL",
    }
    with pytest.raises(InvalidDetails, match="not a supported database type"):
        connector_class("oracle")


@pytest.mark.parametrize(
    "details,field",
    [
        ({}, "host"),
        ({"host": " ", "port": 1, "database_name": "d", "username": "u"}, "host"),
        ({"host": "h", "port": 5432, "database_name": "d"}, "username"),
    ],
)
def test_relational_fields_are_required(details, field):
    with pytest.raises(InvalidDetails) as exc:
        connector_class("postgresql").validate(details)
    assert str(exc.value) == RELATIONAL_MESSAGE and exc.value.field == field


def test_port_range_and_password_kept_verbatim():
    cls = connector_class("mysql")
    with pytest.raises(InvalidDetails, match="between 1 and 65535"):
        cls.validate({"host": "h", "port": "70000", "database_name": "d", "username": "u"})
    clean = cls.validate(
        {
            "host": " h ",
            "port": "3306",
            "database_name": "d",
            "username": "u",
            "password": " spaced ",
        }
    )
    assert clean["host"] == "h" and clean["port"] == 3306 and clean["password"] == " spaced "


@pytest.mark.parametrize(
    "message,reason",
    [
        ('FATAL:  password authentication failed for user "x"', "password was refused"),
        ('connection to server at "10.0.0.1", port 5432 failed: timeout expired', "no answer"),
        ("connection failed: Connection refused", "nothing is listening at h:1"),
        ('could not translate host name "h" to address', "the host 'h' is unknown"),
        ('FATAL:  database "shop" does not exist', 'database "shop" does not exist.'),
    ],
)
def test_postgres_failures_in_plain_words(message, reason):
    assert reason in failure_reason(Exception(message), "h", 1, 10)


def test_mongo_field_types_merge():
    assert _merge({"bigint", "double precision"}) == "double precision"
    assert _merge({"bigint", "null"}) == "bigint"
    assert _merge({"text", "bigint"}) == "text"
    assert _merge({"null"}) == "text"


def test_one_select_serves_every_relational_source():
    from dra.ingestion.connectors import SourceColumn, SourceTable, StreamRequest
    from dra.ingestion.connectors.mysql import quote

    table = SourceTable(
        "orders", [SourceColumn("id", "int", "bigint"), SourceColumn("a`b", "", "")]
    )
    assert StreamRequest(table).select(quote, "`orders`") == (
        "select `id`, `a``b` from `orders`",
        [],
    )
    full = StreamRequest(table, cursor_column="id", after=7, limit=5)
    assert full.select(quote, "`orders`") == (
        "select `id`, `a``b` from `orders` where `id` > %s order by `id` limit 5",
        [7],
    )
    # a cursor column with no value yet: ordered, not filtered
    assert (
        StreamRequest(table, cursor_column="id")
        .select(quote, "t")[0]
        .endswith(" from t order by `id`")
    )
