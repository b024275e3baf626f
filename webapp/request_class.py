"""The app's request class: every JSON body is bounded before it is parsed.

``request.get_json()`` (and ``request.json``) anywhere in the app first checks the body's
size and nesting depth (``dra.security.json_input``): a body nested deeper than
``JSON_BODY_MAX_DEPTH`` answers 400 and one over ``JSON_BODY_MAX_BYTES`` answers 413,
both naming the field ``body``, even for callers that ask with ``silent=True`` (which
would otherwise turn the refusal into a misleading "send JSON").
"""

from __future__ import annotations

from typing import Any

from flask import Request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from dra.security.json_input import JSONInputError, check_json_text, too_large

JSON_BODY_MAX_BYTES = 16 * 1024 * 1024
JSON_BODY_MAX_DEPTH = 32


class FieldBadRequest(BadRequest):
    """400 whose JSON answer names the field."""

    def __init__(self, description: str, field: str) -> None:
        super().__init__(description)
        self.field = field


class FieldTooLarge(RequestEntityTooLarge):
    """413 whose JSON answer names the field."""

    def __init__(self, description: str, field: str) -> None:
        super().__init__(description)
        self.field = field


def _http_error(exc: JSONInputError) -> BadRequest | RequestEntityTooLarge:
    if exc.status == 413:
        return FieldTooLarge(exc.message, exc.field)
    return FieldBadRequest(exc.message, exc.field)


class BoundedJSONRequest(Request):
    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        if force or self.is_json:
            declared = self.content_length
            try:
                if declared is not None and declared > JSON_BODY_MAX_BYTES:
                    raise too_large("body", JSON_BODY_MAX_BYTES, 413)  # not even read
                check_json_text(
                    self.get_data(cache=True),
                    field="body",
                    max_bytes=JSON_BODY_MAX_BYTES,
                    max_depth=JSON_BODY_MAX_DEPTH,
                    size_status=413,
                )
            except JSONInputError as exc:
                raise _http_error(exc) from None
        return super().get_json(force=force, silent=silent, cache=cache)
