"""The one base of every refusal a person can read: a message, an HTTP status, the field.

Every domain error of the core subclasses ``DraError`` and is raised with one shape:
``XError(message, *, status=..., field=...)`` (or ``errors={name: message}`` when several
fields are wrong at once). Subclasses set a class-level default status (NotFound 404,
Conflict 409, Forbidden 403, Invalid 422). The web app answers every DraError in one
handler (webapp/errors.py): the transaction is rolled back and the person sees the
message beside the field, as JSON, on the re-rendered form, or flashed.

Process-level failures (``SettingsError``, ``StartupError``, ``DatabaseConfigError``)
stop the program instead and are not DraErrors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

T = TypeVar("T")

TITLES = {
    400: "Bad request",
    401: "Sign-in needed",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    422: "Cannot process",
    429: "Too many requests",
    500: "Something went wrong",
    502: "Bad gateway",
    503: "Unavailable",
}


class DraError(Exception):
    """A refused request; nothing was changed. ``message`` is shown to the person as is."""

    status: int = 400

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        field: str | None = None,
        errors: Mapping[str, str] | None = None,
    ) -> None:
        self._errors: dict[str, str] = dict(errors or {})
        if not message:
            message = " ".join(self._errors.values())
        if field and field not in self._errors:
            self._errors = {field: message, **self._errors}
        super().__init__(message)
        self.message = message
        self.field = field or next(iter(self._errors), None)
        if status is not None:
            self.status = status

    @property
    def fields(self) -> tuple[str, ...]:
        """The names of the fields at fault, the first one being ``field``."""
        return tuple(self._errors)

    @property
    def errors(self) -> dict[str, str]:
        """Field name -> message, for forms that show each message beside its field."""
        return dict(self._errors) or {"form": self.message}

    @property
    def title(self) -> str:
        return TITLES.get(self.status, "Error")

    def as_dict(self) -> dict[str, Any]:
        """The JSON answer: ``error`` and ``message`` carry the message (both spellings are
        read by clients), ``title`` the status's name; ``field``/``fields`` when known."""
        body: dict[str, Any] = {
            "error": self.message,
            "message": self.message,
            "title": self.title,
            "status": self.status,
            "field": self.field,
        }
        if self._errors:
            body["fields"] = list(self._errors)
            body["errors"] = dict(self._errors)
        return body

    def __str__(self) -> str:
        return self.message


class Invalid(DraError):
    """One or more fields are invalid (422)."""

    status = 422


class Forbidden(DraError):
    """The person may not do this (403)."""

    status = 403


class NotFound(DraError):
    """The thing does not exist, or is not the person's to see (404)."""

    status = 404

    def __init__(self, message: str = "Not found.", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)


class Conflict(DraError):
    """The thing changed meanwhile, or another operation holds it (409)."""

    status = 409


def project_row(
    session: Session, model: type[T], project_id: int, row_id: int, missing: DraError
) -> T:
    """The row ``row_id`` of ``model`` in the project, or ``missing`` raised (a 404): a row
    of another project answers as if it did not exist."""
    row = session.scalar(
        select(model).where(model.id == row_id, model.project_id == project_id)  # type: ignore[attr-defined]
    )
    if row is None:
        raise missing
    return row


def one_line_text(value: object, *, missing: DraError, too_long: DraError, limit: int) -> str:
    """``value`` as a one-line name or title (white space collapsed): ``missing`` is raised
    when it is not text or is blank, ``too_long`` when it is longer than ``limit``."""
    if not isinstance(value, str) or not value.strip():
        raise missing
    text = " ".join(value.split())
    if len(text) > limit:
        raise too_long
    return text
