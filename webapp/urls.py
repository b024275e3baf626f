"""URL helpers."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from werkzeug.routing import IntegerConverter

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_EDGES = "".join(chr(c) for c in range(0x21)) + "\x7f"
"""What browsers strip from both ends of a URL: C0 controls and space."""
_DECODE_ROUNDS = 4


def safe_next(target: str | None) -> str | None:
    """A same-site path to follow after sign-in, or None (no open redirect).

    The target is read as a browser would read it: whitespace and control characters at
    either end are dropped, a backslash counts as a slash, and percent-encoded forms
    (``/%5Cevil``, ``/%2F%2Fevil``, twice encoded too) are judged decoded. What is left
    must be a path starting with exactly one ``/``, with no scheme, no host and no control
    character (tab, CR, LF...) anywhere.
    """
    if not target:
        return None
    target = target.strip(_EDGES)
    decoded = target
    for _ in range(_DECODE_ROUNDS):
        once = unquote(decoded)
        if once == decoded:
            break
        decoded = once
    else:
        return None  # still encoded after several rounds: nobody needs that
    if _CONTROL.search(decoded):
        return None
    normalised = decoded.replace("\\", "/")
    parts = urlsplit(normalised)
    if parts.scheme or parts.netloc:
        return None
    if not normalised.startswith("/") or normalised.startswith("//"):
        return None
    return target


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: a whole number up to PostgreSQL's ``bigint`` (ids are
    bigint), so a longer one is a 404 like any id that does not exist, not a database
    error."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 (werkzeug's name)
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)
