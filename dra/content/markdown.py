"""Article bodies: Markdown rendered by markdown-it-py, the HTML sanitised by nh3.

Two layers, each enough on its own for the usual attacks: markdown-it-py runs with raw
HTML off (``<script>`` in a body is shown as text) and refuses ``javascript:``,
``vbscript:``, ``file:`` and most ``data:`` links; nh3 (the Ammonia sanitiser) then keeps
only the tags and attributes Markdown produces, only ``http``, ``https`` and ``mailto``
URLs (and relative ones, such as ``/images/...``), and no event handler or style other
than a table cell's alignment. The body is bounded (``MAX_BODY_CHARS``) and nesting is
capped by markdown-it's ``maxNesting``, so a hostile body costs a bounded time; renders are
cached per body.
"""

from __future__ import annotations

import html
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

MAX_BODY_CHARS = 100_000
"""An article body's length limit (about 15,000 words): a worst-case body renders in
about a second here, once (renders are cached)."""

_MARKDOWN = MarkdownIt(
    "commonmark", {"html": False, "linkify": False, "typographer": False, "maxNesting": 20}
).enable(["table", "strikethrough"])

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
        "strong", "em", "del", "s", "code", "pre", "blockquote",
        "ul", "ol", "li", "a", "img",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})


def sanitize_html(html: str) -> str:
    """Keep only what Markdown makes: the allowed tags and attributes, safe URLs, no
    comments, no script or style content; links get ``rel="noopener noreferrer"``."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        filter_style_properties={"text-align"},
        strip_comments=True,
        link_rel="noopener noreferrer",
    )


@lru_cache(maxsize=64)  # at most about 40 MB even for hostile 100,000-character bodies
def render_markdown(body: str) -> str:
    """The safe HTML of a Markdown body (empty for an empty body)."""
    if not body:
        return ""
    return sanitize_html(_MARKDOWN.render(body))


def plain_text(body: str) -> str:
    """The text of a Markdown body on one line, without markup (for descriptions)."""
    return " ".join(html.unescape(nh3.clean(render_markdown(body), tags=set())).split())
