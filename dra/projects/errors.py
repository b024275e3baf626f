"""The one error type of project operations: a message for people, a status, a field."""

from __future__ import annotations


class ProjectError(Exception):
    """A refused project operation; nothing was changed.

    ``status`` is the HTTP status the web layer answers with; ``field`` names the form
    field at fault (None when the error is not about one field).
    """

    def __init__(self, message: str, *, status: int = 400, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field
