"""AI insights in the web app (UC-INS-01/02): the pages (``views``: the project's Insights
tab, a model's Insights tab, a dashboard's insights, the "Generate insights" forms) and the
JSON API (``api``: ``/api/v1/projects/<id>/models/<id>/insights`` and
``/api/v1/projects/<id>/dashboards/<id>/insights``). The logic is ``dra.insights``.

Viewers read; owners, admins and editors generate. Generating is an AI request: it shares
the hourly budget of the AI modeler's chat (``webapp.ai.ai_rate_limit``); the tier's
monthly generations are counted by the core. Without a configured provider, the facts'
own sentences are the insights (nothing is counted).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask_login import current_user

from dra.ai.provider import Provider, configuration_problem
from webapp.ai import provider
from webapp.database import app_settings, db_session, get_database, statement_timeout_ms

T = TypeVar("T")


def provider_or_none() -> Provider | None:
    """The configured model client, or None (offline insights) when there is none."""
    if configuration_problem(app_settings()) is not None:
        return None
    return provider()


def generate(action: Callable[..., T], **target: int) -> T:
    """UC-INS-01 for the signed-in user (``service.generate_for_model`` or
    ``service.generate_for_dashboard`` on ``target``), with the configured provider (or
    none: offline) and the statement timeout; the pages and the JSON API both call this."""
    return action(
        db_session(),
        get_database(),
        provider_or_none(),
        user_id=current_user.id,
        timeout_ms=statement_timeout_ms(),
        **target,
    )
