"""The one number formatter: every page, chart label and message shows numbers through it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dra.formatting import format_number


@pytest.mark.parametrize(
    ("value", "kind", "currency", "shown"),
    [
        (2500.0, "count", None, "2,500"),
        (2500, "count", None, "2,500"),
        (1234567, "count", None, "1,234,567"),
        (Decimal("1.0"), "count", None, "1"),
        (-113.99000000000004, "decimal", None, "-113.99"),
        (0.30000000000000004, "decimal", None, "0.3"),
        (1234.5, "decimal", None, "1,234.5"),
        (2.0, "decimal", None, "2"),
        (0.0123456, "decimal", None, "0.0123"),
        (-0.001, "decimal", None, "-0.001"),
        (0.0, "decimal", None, "0"),
        (Decimal("10.50"), "decimal", None, "10.5"),
        (96.666, "percent", None, "96.7 %"),
        (100.0, "percent", None, "100.0 %"),
        (0.04, "percent", None, "0.0 %"),
        (-0.01, "percent", None, "0.0 %"),
        (1234.5, "currency", "usd", "$1,234.50"),
        (-5, "currency", "EUR", "-€5.00"),
        (1234.5, "currency", "CHF", "1,234.50 CHF"),
        (1234.5, "currency", None, "1,234.50"),
        (1500.4, "currency", "JPY", "¥1,500"),
        (-0.001, "currency", "USD", "$0.00"),
        (2026, "cell", None, "2026"),
        (2500.0, "cell", None, "2500"),
        (0.30000000000000004, "cell", None, "0.3"),
        (12345.678, "cell", None, "12345.68"),
        (None, "decimal", None, "—"),
        ("FR", "decimal", None, "FR"),
        (True, "count", None, "True"),
        (float("inf"), "decimal", None, "∞"),
        (float("nan"), "decimal", None, "NaN"),
    ],
)
def test_numbers_read_like_people_write_them(value, kind, currency, shown):
    assert format_number(value, kind, currency) == shown


def test_an_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown number kind"):
        format_number(1, "roman")
