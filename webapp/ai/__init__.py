"""The AI data modeler's web layer (UC-AI-01..10): the page and the saved conversation
(``views``), the JSON API under ``/api/v1/projects/<id>/ai/`` (``api``). The logic is
``dra.ai`` (sessions, provider, answers) and ``dra.modeling.joins`` (join suggestions)."""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app, request
from flask_login import current_user

from dra.ai.errors import AIError
from dra.ai.provider import Provider, build_provider
from webapp.database import app_settings
from webapp.extensions import limiter

AI_RATE = "20 per hour"
"""BR-AI-07: AI requests per user (chat messages and insight generations share it)."""
AI_RATE_SCOPE = "ai-requests"
AI_RATE_MESSAGE = (
    "You have made 20 AI requests (assistant messages and insight generations) in the last "
    "hour, the most allowed. Please wait before sending more."
)


def per_user() -> str:
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"ip:{request.remote_addr}"


def ai_rate_limit():
    """The one hourly budget of AI requests per user, shared by every route it decorates
    (429 with Retry-After past it)."""
    return limiter.shared_limit(
        AI_RATE, scope=AI_RATE_SCOPE, key_func=per_user, error_message=AI_RATE_MESSAGE
    )


def provider() -> Provider:
    """The configured model client, built once per app (503 saying how to enable it)."""
    built = current_app.extensions.get("dra_ai_provider")
    if built is None:
        built = current_app.extensions["dra_ai_provider"] = build_provider(app_settings())
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
