"""The AI data modeler's refusals: each a ``dra.errors.DraError`` (message, status, field)."""

from __future__ import annotations

from typing import Any

from dra.errors import DraError

PROVIDER_UNAVAILABLE = "AI service temporarily unavailable. Please try again."
NO_SESSION = "No active session found. Please initialise a session first."
EMPTY_SOURCES = "dataSources must be a non-empty array."
INTROSPECTION_FAILED = (
    "Schema introspection failed. Ensure the data source is connected and reachable."
)


class AIError(DraError):
    """A refused AI modeler request (400 unless said otherwise); nothing was changed."""


class AIProviderError(AIError):
    """The model's service failed, timed out, could not be reached or answered something
    that is not a proposal (502). ``detail`` keeps the cause for the logs, never shown."""

    status = 502

    def __init__(self, message: str = PROVIDER_UNAVAILABLE, *, detail: str = "", **kw: Any):
        super().__init__(message, **kw)
        self.detail = detail


class AINotConfigured(AIError):
    """No provider is configured (503); the message says how to enable the assistant."""

    status = 503
