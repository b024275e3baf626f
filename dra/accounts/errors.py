"""Errors of account operations, each with the HTTP status the web layer answers."""

from __future__ import annotations

from dra import errors


class AccountError(errors.DraError):
    """An account operation was refused; ``message`` is shown to the person as is."""


class ValidationFailed(AccountError, errors.Invalid):
    """One or more fields are invalid: ``errors`` maps each field name to its message (422)."""


class NotFound(AccountError, errors.NotFound):
    """The thing does not exist, or belongs to someone else (both answer 404)."""
