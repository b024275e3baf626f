"""Numbers as people read them: one helper for every page, chart label and message.

Locale-free (a comma between thousands, a point before decimals, as in the rest of the
interface), whole floats shown as whole numbers (2500.0 -> "2,500"), float noise rounded
away (-113.99000000000004 -> "-113.99"). Exports (CSV, JSON) keep full precision: only
what is shown goes through here.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

KINDS = ("count", "decimal", "percent", "currency", "cell")

CURRENCY_SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "INR": "₹",
    "CNY": "¥",
    "KRW": "₩",
    "BRL": "R$",
    "CAD": "CA$",
    "AUD": "A$",
}
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW"})

PLOTLY_NUMBER = ",.2~f"
"""d3-format for numbers in plotly hover labels and indicators: thousands separators, at
most two decimals, no trailing zeros."""
PLOTLY_TICKS = ","
"""d3-format for plotly axis ticks: thousands separators, float noise rounded away."""

MISSING = "—"


def _number(value: Any) -> float | int | Decimal | None:
    """The value as a number, or None when it is not one (text, bool, None)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | Decimal):
        return value
    return None


def _decimals_for(value: float) -> int:
    """Two decimals, more for small values (three significant digits): 0.0123, 0.3."""
    size = abs(value)
    if size == 0 or size >= 1:
        return 2
    return max(2, 2 - math.floor(math.log10(size)))


def _fixed(value: float, decimals: int, *, grouped: bool) -> str:
    text = f"{value:,.{decimals}f}" if grouped else f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _is_whole(value: float | int | Decimal) -> bool:
    if isinstance(value, int):
        return True
    return math.isfinite(value) and value == int(value)


def format_number(value: Any, kind: str = "decimal", currency: str | None = None) -> str:
    """``value`` formatted for display; non-numbers come back as text ("—" for None).

    Kinds: ``count`` whole numbers with thousands separators ("2,500"); ``decimal`` at
    most two decimals (three significant digits below 1), whole values without any;
    ``percent`` a value already in percent, one decimal ("96.7 %", "100.0 %");
    ``currency`` two decimals with the symbol, or the ISO code, when known ("$1,234.50",
    "1,234.50 CHF"); ``cell`` a value in a data table: whole numbers as they are (ids,
    years: no separators), other numbers rounded like ``decimal`` but not grouped.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown number kind {kind!r}")
    if value is None:
        return MISSING
    number = _number(value)
    if number is None:
        return str(value)
    if isinstance(number, Decimal):
        if not number.is_finite():
            return str(number)
        number = int(number) if number == number.to_integral_value() else float(number)
    if isinstance(number, float) and not math.isfinite(number):
        return "∞" if number > 0 else "-∞" if number < 0 else "NaN"
    if kind == "cell":
        if _is_whole(number):
            return str(int(number))
        return _fixed(float(number), _decimals_for(float(number)), grouped=False)
    if kind == "percent":
        text = f"{float(number):,.1f}"
        return f"{'0.0' if text == '-0.0' else text} %"
    if kind == "currency":
        code = (currency or "").strip().upper()
        decimals = 0 if code in ZERO_DECIMAL_CURRENCIES else 2
        amount = f"{abs(float(number)):,.{decimals}f}"
        sign = "-" if float(number) < 0 and float(amount.replace(",", "")) != 0 else ""
        if code in CURRENCY_SYMBOLS:
            return f"{sign}{CURRENCY_SYMBOLS[code]}{amount}"
        return f"{sign}{amount} {code}" if code else f"{sign}{amount}"
    if _is_whole(number):
        return f"{int(number):,}"
    return _fixed(float(number), _decimals_for(float(number)), grouped=True)
