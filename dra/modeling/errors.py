"""The one error type of data-model work: an HTTP status, a message and the field."""

from __future__ import annotations


class ModelingError(Exception):
    """Bad input or a query that cannot run; ``status`` is the HTTP answer to give."""

    def __init__(self, message: str, *, status: int = 400, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field

    def as_dict(self) -> dict[str, object]:
        return {"error": self.message, "field": self.field, "status": self.status}


CIRCULAR_JOIN = "Circular join reference detected."
