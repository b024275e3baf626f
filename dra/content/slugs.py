"""Slugs: the readable part of a public URL (``/blog/<slug>``), made from a title."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dra.errors import Conflict, Invalid

SLUG_MAX = 120
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SLUG_IN_USE = "Slug already in use."
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def slugify(text: str, *, limit: int = SLUG_MAX) -> str:
    """Lowercase ASCII letters and digits joined by single dashes ("Café & Co." ->
    "cafe-co"); accents are dropped, other scripts give nothing (then ``""``)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _NOT_WORD.sub("-", ascii_text.lower()).strip("-")
    return slug[:limit].rstrip("-")


def check_slug(value: object, *, field: str = "slug") -> str:
    """A slug as typed (white space around it dropped), or Invalid (422) naming ``field``."""
    slug = value.strip() if isinstance(value, str) else ""
    if not slug:
        raise Invalid("Give a slug: letters and digits, such as my-first-article.", field=field)
    if len(slug) > SLUG_MAX or not SLUG_PATTERN.fullmatch(slug):
        raise Invalid(
            f"A slug is lowercase letters (a-z), digits and single dashes between them, "
            f"at most {SLUG_MAX} characters, such as my-first-article.",
            field=field,
        )
    return slug


def choose_slug(
    typed: object,
    source: str,
    taken: Callable[[str], bool],
    *,
    field: str = "slug",
    source_label: str = "title",
) -> str:
    """The slug to store: the typed one, checked, or 409 when ``taken``; when none was
    typed, one made from ``source`` (a title or a name) with ``-2``, ``-3``... added
    until it is free."""
    if isinstance(typed, str) and typed.strip():
        slug = check_slug(typed, field=field)
        if taken(slug):
            raise Conflict(SLUG_IN_USE, field=field)
        return slug
    base = slugify(source)
    if not base:
        raise Invalid(
            f"The {source_label} has no letters or digits to make a slug from: type one.",
            field=field,
        )
    slug, n = base, 1
    while taken(slug):
        n += 1
        suffix = f"-{n}"
        slug = base[: SLUG_MAX - len(suffix)].rstrip("-") + suffix
    return slug


def flush_or_conflict(session: Session, conflicts: Mapping[str, tuple[str, str]]) -> None:
    """Flush the pending rows; when a unique constraint named in ``conflicts``
    (constraint -> (field, message)) refuses them, because another request took the slug
    or the name between the check and now, raise Conflict (409) naming the field instead
    of a database error. The transaction is then to be rolled back, as the web app's
    error handler does for every refusal."""
    try:
        session.flush()
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
        if constraint in conflicts:
            field, message = conflicts[constraint]
            raise Conflict(message, field=field) from None
        raise
