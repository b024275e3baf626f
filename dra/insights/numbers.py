"""The number check: every number an insight states must be a number of a fact it cites.

``problems(text, facts) -> list[str]`` says what is wrong (empty: the text passes):

- **Numbers** as people write them: ``1,234.5``, ``12%``, ``-3.4``, ``+601``, ``$1,200``,
  ``2.5k``, ``1.2 million``. A written number matches a fact's number when it is that
  number rounded to the precision written (``12.3`` matches 12.34, ``12%`` matches 12.4,
  ``2.5k`` matches 2,480, ``1,235`` matches 1,234.5); the sign is not compared ("fell
  3.4%" states the change -3.4 as a fall). Numbers are read from the cited facts'
  numbers, nested lists and objects included, and from their text values and ids.
- **Dates**: ``2026-11-03``, ``2026-11``, ``November 3, 2026``, ``3 Nov 2026``,
  ``November 2026``, ``Nov 3`` must be (or, for a month, contain) a date of a cited fact
  (its id or numbers); a time ``10:02`` must be the time of a cited timestamp. A bare
  year (``2026``) is a number, or the year of a cited date.
- **Allowed without a fact**: ``top N`` when a cited fact has the top-N share
  (``top3_pct``: the concentration facts), ordinals up to 12th (positions in a ranking,
  not measurements), ``/100`` after a score, and digits inside words or names
  (``q3_sales``, ``R²``, ``z-score``).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from dra.insights.facts import Fact

MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_ORD = r"(?:st|nd|rd|th)?"

ISO_DATE = re.compile(
    r"(?<![\w-])(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?)?"
)
ISO_MONTH = re.compile(r"(?<![\w-])(\d{4})-(\d{2})(?![\d-])")
_YEAR = r",?\s+(?P<year>\d{4})\b"
MONTH_DAY_YEAR = re.compile(r"\b" + _MONTH + r"\s+(?P<day>\d{1,2})" + _ORD + _YEAR, re.I)
DAY_MONTH_YEAR = re.compile(r"\b(?P<day>\d{1,2})" + _ORD + r"\s+" + _MONTH + _YEAR, re.I)
MONTH_YEAR = re.compile(r"\b" + _MONTH + r",?\s+(?P<year>\d{4})\b", re.I)
MONTH_DAY = re.compile(r"\b" + _MONTH + r"\s+(?P<day>\d{1,2})" + _ORD + r"\b", re.I)
TIME = re.compile(r"(?<![\w:])(\d{1,2}):(\d{2})(?::\d{2})?(?!\w|:\d)")
TOP_N = re.compile(r"\btop[\s-]+(\d{1,2})\b", re.I)
ORDINAL = re.compile(r"(?<![\w.])(\d{1,2})(?:st|nd|rd|th)\b", re.I)
OUT_OF_100 = re.compile(r"(?<=\d)\s?/\s?100\b")
NUMBER = re.compile(
    r"(?<![\w.,/])(?P<cur>[$€£])?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s?(?P<suffix>k|K|m|M|bn|B|thousand|million|billion)\b)?(?![\w])"
)
MULTIPLIERS = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "million": 1e6,
    "bn": 1e9,
    "b": 1e9,
    "billion": 1e9,
}
MAX_ORDINAL = 12


class Cited:
    """What the cited facts hold: numbers, dates, times, the top-N shares."""

    def __init__(self, facts: list[Fact]) -> None:
        self.numbers: list[float] = []
        self.dates: set[date] = set()
        self.times: set[tuple[int, int]] = set()
        self.tops: set[int] = set()
        for fact in facts:
            self._text(fact.id)
            self._walk(fact.numbers)

    def _walk(self, value: Any, key: str = "") -> None:
        match = re.fullmatch(r"top(\d+)_(?:measure_)?pct", key)
        if match:
            self.tops.add(int(match.group(1)))
        if isinstance(value, bool) or value is None:
            return
        if isinstance(value, (int, float, Decimal)):
            self.numbers.append(float(value))
        elif isinstance(value, str):
            self._text(value)
        elif isinstance(value, dict):
            for k, v in value.items():
                self._walk(v, str(k))
        elif isinstance(value, (list, tuple)):
            for v in value:
                self._walk(v)

    def _text(self, text: str) -> None:
        for m in ISO_DATE.finditer(text):
            try:
                self.dates.add(date(int(m[1]), int(m[2]), int(m[3])))
            except ValueError:
                continue
            if m[4] is not None:
                self.times.add((int(m[4]), int(m[5])))
        rest = ISO_DATE.sub(" ", text)
        for m in NUMBER.finditer(rest):
            value, _, multiplier = _read(m)
            self.numbers.append(value * multiplier)

    def has_number(self, value: float, decimals: int, multiplier: float) -> bool:
        tolerance = 0.5 * 10 ** (-decimals) * (1 + 1e-9) + 1e-12
        return any(abs(abs(n) / multiplier - value) <= tolerance for n in self.numbers)


def _read(m: re.Match) -> tuple[float, int, float]:
    """(absolute value as written, decimals written, multiplier) of a NUMBER match."""
    raw = m["num"].replace(",", "")
    decimals = len(raw.split(".")[1]) if "." in raw else 0
    suffix = (m["suffix"] or "").lower()
    return float(raw), decimals, MULTIPLIERS.get(suffix, 1.0)


def _blank(text: str, span: tuple[int, int]) -> str:
    return text[: span[0]] + " " * (span[1] - span[0]) + text[span[1] :]


def problems(text: str, facts: list[Fact]) -> list[str]:
    """What in ``text`` no cited fact holds (an empty list: every number checks out)."""
    cited = Cited(facts)
    found: list[str] = []

    def take(pattern: re.Pattern, check) -> None:
        nonlocal text
        for m in list(pattern.finditer(text)):
            message = check(m)
            if message:
                found.append(message)
            text = _blank(text, m.span())

    def full_date(m: re.Match) -> str | None:
        try:
            day = date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return f"{m[0]} is not a date"
        if day not in cited.dates:
            return f"the date {m[0][:10]} is in none of the cited facts"
        if m[4] is not None and (int(m[4]), int(m[5])) not in cited.times:
            return f"the time {m[4]}:{m[5]} is in none of the cited facts"
        return None

    def named_date(m: re.Match) -> str | None:
        month = MONTHS[m["month"].lower().rstrip(".")]
        try:
            day = date(int(m["year"]), month, int(m["day"]))
        except ValueError:
            return f"{m[0]} is not a date"
        return None if day in cited.dates else f"the date {m[0]} is in none of the cited facts"

    def iso_month(m: re.Match) -> str | None:
        year, month = int(m[1]), int(m[2])
        if any(d.year == year and d.month == month for d in cited.dates):
            return None
        return f"the month {m[0]} is in none of the cited facts"

    def month_year(m: re.Match) -> str | None:
        year, month = int(m["year"]), MONTHS[m["month"].lower().rstrip(".")]
        if any(d.year == year and d.month == month for d in cited.dates):
            return None
        return f"the month {m[0]} is in none of the cited facts"

    def month_day(m: re.Match) -> str | None:
        month, day = MONTHS[m["month"].lower().rstrip(".")], int(m["day"])
        if any(d.month == month and d.day == day for d in cited.dates):
            return None
        return f"the date {m[0]} is in none of the cited facts"

    def clock(m: re.Match) -> str | None:
        if (int(m[1]), int(m[2])) in cited.times:
            return None
        return f"the time {m[0]} is in none of the cited facts"

    def top(m: re.Match) -> str | None:
        n = int(m[1])
        if n in cited.tops or cited.has_number(n, 0, 1.0):
            return None
        return f"top {n}: no cited fact has the top {n}"

    def ordinal(m: re.Match) -> str | None:
        return None if int(m[1]) <= MAX_ORDINAL else f"{m[0]} is in none of the cited facts"

    take(ISO_DATE, full_date)
    take(MONTH_DAY_YEAR, named_date)
    take(DAY_MONTH_YEAR, named_date)
    take(MONTH_YEAR, month_year)
    take(ISO_MONTH, iso_month)
    take(MONTH_DAY, month_day)
    take(TIME, clock)
    take(TOP_N, top)
    take(ORDINAL, ordinal)
    text = OUT_OF_100.sub(" ", text)
    for m in NUMBER.finditer(text):
        value, decimals, multiplier = _read(m)
        if cited.has_number(value, decimals, multiplier):
            continue
        a_year = multiplier == 1.0 and decimals == 0 and 1900 <= value <= 2100
        if a_year and any(d.year == int(value) for d in cited.dates):
            continue
        written = m[0].strip()
        after = text[m.end() : m.end() + 2].lstrip()
        if after.startswith("%"):
            written += "%"
        found.append(f"{written} is in none of the cited facts")
    return found
