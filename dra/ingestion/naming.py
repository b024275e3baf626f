"""Safe PostgreSQL identifiers for schemas, tables and columns made from user input."""

from __future__ import annotations

import re
import unicodedata

MAX_IDENT = 63


def raw_schema(project_id: int) -> str:
    return f"raw_p{int(project_id)}"


def models_schema(project_id: int) -> str:
    return f"models_p{int(project_id)}"


def clean_schema(project_id: int) -> str:
    """Where cleaning rules write a model's cleaned copy."""
    return f"clean_p{int(project_id)}"


def model_table(model_id: int) -> str:
    """A data model's table, in its project's models schema."""
    return f"model_{int(model_id)}"


def slugify(name: str, *, fallback: str = "col") -> str:
    """Lower-case ASCII snake_case, starting with a letter, at most 63 bytes."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()
    if not text:
        text = fallback
    if text[0].isdigit():
        text = f"{fallback}_{text}"
    return text[:MAX_IDENT].rstrip("_") or fallback


def unique_names(names: list[str], *, fallback: str = "col") -> list[str]:
    """Slugified names made unique with numeric suffixes; empty names become col_N."""
    seen: set[str] = set()
    out: list[str] = []
    for index, raw in enumerate(names, start=1):
        raw = raw or ""
        base = slugify(raw, fallback=fallback) if raw.strip() else f"{fallback}_{index}"
        name, n = base, 2
        while name in seen:
            suffix = f"_{n}"
            name = base[: MAX_IDENT - len(suffix)] + suffix
            n += 1
        seen.add(name)
        out.append(name)
    return out


def quote_ident(name: str) -> str:
    """Double-quote an identifier for SQL text (only for names this module produced)."""
    return '"' + name.replace('"', '""') + '"'
