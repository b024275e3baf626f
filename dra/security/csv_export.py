"""CSV exports that a spreadsheet opens as data, never as formulas (CSV injection).

OWASP's rule: a text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage
return is prefixed with a single quote, so Excel, LibreOffice and Google Sheets show it
as text. Here also after leading whitespace (some spreadsheets trim it), for a leading
line feed or NUL, and for the full-width forms of the four signs. Numbers stay numbers:
only text is touched, and text that is just a number (``-5``, ``+3.25``) is left alone,
since a spreadsheet reads it as that number and runs nothing. Every CSV the app hands
out goes through :func:`write_csv`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_TRIGGERS = frozenset("=+-@\t\r\n\x00＝＋－＠")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise_cell(value: Any) -> Any:
    """The value to write in a CSV cell: formula-like text gets a leading ``'``."""
    if value is None:
        return ""
    if not isinstance(value, str) or not value:
        return value
    first = value[0]
    if first not in FORMULA_TRIGGERS:
        stripped = value.lstrip()
        if not stripped or stripped[0] not in FORMULA_TRIGGERS:
            return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def write_csv(columns: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """A CSV document (header, then rows) with every cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([neutralise_cell(c) for c in columns])
    for row in rows:
        writer.writerow([neutralise_cell(v) for v in row])
    return out.getvalue()
