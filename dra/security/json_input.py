"""JSON from the outside world, bounded before it is parsed.

Python's parser recurses once per ``[`` or ``{``: a few kilobytes of brackets end in a
RecursionError (an HTTP 500), and what parses may still be too deep for the code that
walks it. So the text's size and nesting depth are checked first, with a cheap scan
(a few C-speed passes: see ``nesting_depth``), and a refusal names the field.
"""

from __future__ import annotations

import json
import re
from typing import Any

from dra.errors import DraError

FILTERS_MAX_BYTES = 16 * 1024
FILTERS_MAX_DEPTH = 8

_NOT_STRUCTURE = bytes(sorted(set(range(256)) - set(b'[]{}"')))
_AS_SQUARE = bytes.maketrans(b"{}", b"[]")
_STRING = re.compile(rb'"[^"]*"')


class JSONInputError(DraError, ValueError):
    """JSON refused before or while parsing; ``status`` is the HTTP answer."""


def _structure(data: bytes) -> bytes:
    """Only the brackets outside strings, in order, every ``{``/``}`` written ``[``/``]``.

    Escaped backslashes and quotes go first, then everything but brackets and quotes
    (one ``bytes.translate``), then the strings: adjacent quotes first (empty strings, or
    two strings merged, which changes nothing), then the few strings holding brackets.
    """
    data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    data = data.translate(_AS_SQUARE, _NOT_STRUCTURE).replace(b'""', b"")
    return _STRING.sub(b"", data).replace(b'"', b"")


def nesting_depth(text: str | bytes, limit: int | None = None) -> int:
    """The deepest nesting of arrays and objects (brackets inside strings not counted).

    After ``_structure``, each pass removes the innermost ``[]`` pairs (one
    ``bytes.replace``, which does not look again at what it joined): one level per pass,
    at most ``limit + 1`` passes; past ``limit`` the answer is ``limit + 1``. Under
    ``limit`` the answer may be an upper bound. Brackets left unmatched (not JSON) count
    as if each opened a level, as a recursive parser would take them.
    """
    data = text.encode() if isinstance(text, str) else bytes(text)
    openers = data.count(b"[") + data.count(b"{")
    if limit is not None and openers <= limit:
        return openers
    brackets = _structure(data)
    depth = 0
    while brackets:
        if limit is not None and depth > limit:
            return depth
        reduced = brackets.replace(b"[]", b"")
        if reduced == brackets:  # unmatched brackets: not JSON
            return depth + brackets.count(b"[")
        brackets, depth = reduced, depth + 1
    return depth


def _kb(size: int) -> str:
    return f"{size // 1024} KB" if size % 1024 == 0 else f"{size} bytes"


def too_large(field: str, max_bytes: int, status: int = 400) -> JSONInputError:
    """The error for JSON over ``max_bytes`` (raise it)."""
    return JSONInputError(
        f"{field} is too large: at most {_kb(max_bytes)} of JSON.", field=field, status=status
    )


def check_json_text(
    text: str | bytes,
    *,
    field: str,
    max_bytes: int = FILTERS_MAX_BYTES,
    max_depth: int = FILTERS_MAX_DEPTH,
    size_status: int = 400,
) -> None:
    """Raise JSONInputError when ``text`` is larger or nested deeper than allowed."""
    size = len(text.encode() if isinstance(text, str) else text)
    if size > max_bytes:
        raise too_large(field, max_bytes, size_status)
    if nesting_depth(text, max_depth) > max_depth:
        raise JSONInputError(
            f"{field} is nested too deeply: at most {max_depth} levels of lists and objects.",
            field=field,
        )


def loads_bounded(
    text: str | bytes,
    *,
    field: str,
    max_bytes: int = FILTERS_MAX_BYTES,
    max_depth: int = FILTERS_MAX_DEPTH,
) -> Any:
    """``json.loads`` after :func:`check_json_text`; bad JSON is a JSONInputError too."""
    check_json_text(text, field=field, max_bytes=max_bytes, max_depth=max_depth)
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise JSONInputError(f"{field} must be JSON.", field=field) from None
