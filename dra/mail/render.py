"""Email bodies from the templates in ``webapp/templates/emails/`` (plain Jinja, no Flask).

Each email ``<template>`` has ``<template>.txt`` (first line ``Subject: ...``, then the text body)
and ``<template>.html`` (extends ``_layout.html``). HTML is autoescaped; the text body is not
HTML and is not escaped. Links in the context are absolute URLs built by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from dra.settings import PROJECT_ROOT

TEMPLATE_DIR = PROJECT_ROOT / "webapp" / "templates" / "emails"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_email(template: str, /, **context: Any) -> RenderedEmail:
    """Render ``<template>.txt`` and ``<template>.html``; the subject is the text
    template's first line (``Subject: ...``)."""
    env = _environment()
    text = env.get_template(f"{template}.txt").render(**context)
    first, _, body = text.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"email template {template}.txt must start with 'Subject: '")
    subject = first.removeprefix("Subject:").strip()
    html = env.get_template(f"{template}.html").render(subject=subject, **context)
    return RenderedEmail(subject=subject, text=body.lstrip("\n"), html=html)
