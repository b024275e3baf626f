"""The error type of admin operations."""

from __future__ import annotations


class AdminError(Exception):
    """A refused admin operation; nothing was changed."""

    def __init__(self, message: str, *, status: int = 400, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field
