"""A check that an HTML fragment is safe to serve: what the article tests assert."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from dra.content.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS

_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f]+")


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    handle_startendtag = handle_starttag


def assert_safe(html: str) -> list[tuple[str, dict[str, str]]]:
    """Only allowed tags and attributes, no handler, no script URL in any form."""
    parser = _Collect()
    parser.feed(html)
    for tag, attrs in parser.elements:
        assert tag in ALLOWED_TAGS, (tag, html)
        for name, value in attrs.items():
            assert not name.startswith("on"), (name, html)
            if (tag, name) == ("a", "rel"):  # added by the sanitizer to every link
                assert value == "noopener noreferrer"
                continue
            assert name in ALLOWED_ATTRIBUTES.get(tag, set()), (tag, name, html)
            if name in ("href", "src"):
                # as a browser reads it: entities decoded (the parser did), controls and
                # spaces ignored, any case
                url = _INVISIBLE.sub("", value).lower()
                assert not url.startswith(("javascript:", "vbscript:", "data:", "file:")), html
                # a scheme as the URL standard reads one; anything else is a relative path
                scheme = re.match(r"([a-z][a-z0-9+.\-]*):", url)
                assert scheme is None or scheme[1] in ("http", "https", "mailto"), (url, html)
            if name == "style":
                assert re.fullmatch(r"text-align:\s*(left|right|center)", value), value
    assert "<script" not in html.lower()
    return parser.elements
