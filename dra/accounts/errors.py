"""Errors of account operations, each with the HTTP status the web layer answers."""

from __future__ import annotations


class AccountError(Exception):
    """An account operation was refused; ``message`` is shown to the person as is."""

    status = 400

    def __init__(self, message: str, *, status: int | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if status is not None:
            self.status = status


class ValidationFailed(AccountError):
    """One or more fields are invalid: ``errors`` maps field name to message (422)."""

    status = 422

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__(" ".join(self.errors.values()), field=next(iter(self.errors), None))


class NotFound(AccountError):
    """The thing does not exist, or belongs to someone else (both answer 404)."""

    status = 404

    def __init__(self, message: str = "Not found."):
        super().__init__(message)
