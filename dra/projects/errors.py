"""The one error type of project operations: a message for people, a status, a field."""

from __future__ import annotations

from dra.errors import DraError


class ProjectError(DraError):
    """A refused project operation; nothing was changed.

    ``status`` is the HTTP status the web layer answers with; ``field`` names the form
    field at fault (None when the error is not about one field).
    """
