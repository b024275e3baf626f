"""What a column looks like: value patterns (PostgreSQL regexes) and name heuristics."""

from __future__ import annotations

import re

# PostgreSQL POSIX regexes, applied in SQL to non-null text values.
INTEGER_RE = r"^\s*[-+]?[0-9]+\s*$"
DECIMAL_RE = r"^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$"
BOOLEAN_WORDS = ("true", "false", "t", "f", "yes", "no", "y", "n")
EMAIL_RE = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"
URL_RE = r"^(https?://|www\.)[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]+)?([/?#][^\s]*)?$"
PHONE_RE = r"^\+?[0-9 ().-]{7,20}$"
PHONE_DIGITS_RE = r"([^0-9]*[0-9]){7}"

# Date formats a text column may hold; "mixed formats" = more than one in use.
DATE_FORMATS: dict[str, str] = {
    "iso": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
    r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?$",
    "slash": r"^[0-9]{1,2}/[0-9]{1,2}/([0-9]{4}|[0-9]{2})$",
    "dot": r"^[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4}$",
    "dash_dmy": r"^[0-9]{1,2}-[0-9]{1,2}-[0-9]{4}$",
    "textual": r"^([A-Za-z]{3,9}\.? [0-9]{1,2},? [0-9]{4}|[0-9]{1,2} [A-Za-z]{3,9}\.? [0-9]{4})$",
}

# A pattern counts as "what the column holds" when at least this share of values match.
DETECTION_SHARE = 0.5

NAME_PATTERNS: dict[str, frozenset[str]] = {
    "email": frozenset({"email", "mail", "e_mail"}),
    "url": frozenset({"url", "website", "link", "homepage", "uri", "href"}),
    "phone": frozenset({"phone", "tel", "telephone", "mobile", "cell", "fax"}),
}

KEY_NAME_TOKENS = frozenset({"id", "email", "code", "sku"})
AMOUNT_TOKENS = frozenset(
    {
        "amount",
        "price",
        "cost",
        "quantity",
        "qty",
        "total",
        "subtotal",
        "revenue",
        "sales",
        "fee",
        "fees",
        "tax",
        "age",
        "count",
        "units",
        "salary",
        "spend",
        "budget",
        "payment",
        "weight",
        "height",
        "duration",
        "views",
        "clicks",
        "impressions",
        "visits",
        "stock",
    }
)
SIGNED_TOKENS = frozenset(
    {
        "balance",
        "delta",
        "change",
        "diff",
        "difference",
        "adjustment",
        "profit",
        "net",
        "margin",
        "variance",
        "return",
        "returns",
        "refund",
        "offset",
        "temperature",
        "lat",
        "latitude",
        "lng",
        "lon",
        "longitude",
    }
)
FUTURE_TOKENS = frozenset(
    {
        "due",
        "expires",
        "expiry",
        "expiration",
        "scheduled",
        "deadline",
        "until",
        "planned",
        "forecast",
        "next",
        "renewal",
        "end",
        "ends",
        "valid",
    }
)
# (earlier, later) word pairs: a column named with the first must not be after its twin.
ORDER_PAIRS = (
    ("start", "end"),
    ("begin", "end"),
    ("from", "to"),
    ("created", "updated"),
    ("created", "modified"),
    ("opened", "closed"),
    ("ordered", "shipped"),
    ("shipped", "delivered"),
    ("checkin", "checkout"),
    ("signup", "cancelled"),
    ("first", "last"),
)


def tokens(name: str) -> list[str]:
    """Lower-case words of a column name (snake_case, kebab, spaces, camelCase)."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if t]


def pattern_by_name(name: str) -> str | None:
    """email / url / phone when the column's name says so."""
    words = set(tokens(name))
    for pattern, names in NAME_PATTERNS.items():
        if words & names:
            return pattern
    return None


def key_by_name(name: str) -> bool:
    """Whether the name says id, email, code or sku (``customer_id``, ``userId``, ``SKU``)."""
    words = tokens(name)
    return bool(set(words) & KEY_NAME_TOKENS)


def amount_like(name: str) -> bool:
    """A numeric column where negative values do not belong (price, quantity...)."""
    words = set(tokens(name))
    return bool(words & AMOUNT_TOKENS) and not words & SIGNED_TOKENS


def future_allowed(name: str) -> bool:
    """Dates that may lie ahead (due dates, expiries...)."""
    return bool(set(tokens(name)) & FUTURE_TOKENS)


def ordered_pairs(date_columns: list[str]) -> list[tuple[str, str]]:
    """(earlier, later) pairs among date columns, found by swapping a word of the name."""
    present = set(date_columns)
    pairs: list[tuple[str, str]] = []
    for column in date_columns:
        words = tokens(column)
        for first, second in ORDER_PAIRS:
            if first not in words:
                continue
            for candidate in present - {column}:
                twin = tokens(candidate)
                if (
                    len(twin) == len(words)
                    and all(
                        a == b or (a == first and b == second)
                        for a, b in zip(words, twin, strict=True)
                    )
                    and second in twin
                ):
                    pair = (column, candidate)
                    if pair not in pairs:
                        pairs.append(pair)
    return pairs
