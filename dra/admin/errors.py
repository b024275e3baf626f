"""The error type of admin operations."""

from __future__ import annotations

from dra.errors import DraError


class AdminError(DraError):
    """A refused admin operation; nothing was changed."""
