"""The AI data modeler's web layer (UC-AI-01..10): the page and the saved conversation
(``views``), the JSON API under ``/api/v1/projects/<id>/ai/`` (``api``). The logic is
``dra.ai`` (sessions, provider, answers) and ``dra.modeling.joins`` (join suggestions)."""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app

from dra.ai.errors import AIError
from dra.ai.provider import Provider, build_provider
from dra.settings import Settings


def settings() -> Settings:
    return current_app.config["DRA_SETTINGS"]


def provider() -> Provider:
    """The configured model client, built once per app (503 saying how to enable it)."""
    built = current_app.extensions.get("dra_ai_provider")
    if built is None:
        built = current_app.extensions["dra_ai_provider"] = build_provider(settings())
    return built


def source_ids(values: Iterable[str], name: str = "dataSources") -> list[int]:
    """Data source ids from query values (``1,2`` or repeated): [] when none is given."""
    ids = []
    for value in values:
        for part in str(value).split(","):
            if not part.strip():
                continue
            try:
                ids.append(int(part))
            except ValueError:
                raise AIError(f"{name} must list data source ids.", field=name) from None
    return list(dict.fromkeys(ids))
