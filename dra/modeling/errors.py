"""The one error type of data-model work: an HTTP status, a message and the field."""

from __future__ import annotations

from dra.errors import DraError


class ModelingError(DraError):
    """Bad input or a query that cannot run; ``status`` is the HTTP answer to give."""


CIRCULAR_JOIN = "Circular join reference detected."
