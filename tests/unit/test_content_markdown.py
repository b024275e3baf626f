"""Article bodies: Markdown to HTML that is safe to serve, whatever the body holds."""

from __future__ import annotations

import time

import pytest

from dra.content.markdown import (
    MAX_BODY_CHARS,
    plain_text,
    render_markdown,
    sanitize_html,
)
from tests.support.html_safety import assert_safe

HOSTILE_MARKDOWN = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=//evil.example></iframe>",
    "<svg onload=alert(1)><script>alert(1)</script></svg>",
    "<style>body{display:none}</style>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x]( javascript:alert(1) )",
    "[x](<javascript:alert(1)>)",
    "[x](java\tscript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;&#x61;&#x76;&#x61;script:alert(1))",
    "[x](jav&#x09;ascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "![x](javascript:alert(1))",
    "[x](file:///etc/passwd)",
    "<javascript:alert(1)>",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "[x][ref]\n\n[ref]: data:text/html,<script>alert(1)</script>",
    '[x](/ok "title" onmouseover="alert(1)")',
    '![a](/images/x.png "\\" onerror=\\"alert(1)")',
    '[a](https://example.com/"onmouseover="alert(1))',
    "[<img src=x onerror=alert(1)>](https://example.com)",
    "**<b onclick=alert(1)>bold</b>**",
    "```html\n<script>alert(1)</script>\n```",
    "`<script>alert(1)</script>`",
    "> <script>alert(1)</script>\n> > [x](javascript:alert(1))",
    "| a |\n|---|\n| <script>alert(1)</script> [x](javascript:alert(1)) |",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<!-- <script>alert(1)</script> -->",
    "<div><p onclick=alert(1)>x</p></div>",
    "<math><mi xlink:href=javascript:alert(1)>x</mi></math>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<object data=javascript:alert(1)></object><embed src=javascript:alert(1)>",
    "<base href=javascript:alert(1)//>",
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    "[x](\x00javascript:alert(1))",
    "[x](%6Aavascript:alert(1))",
]


@pytest.mark.parametrize("body", HOSTILE_MARKDOWN)
def test_hostile_markdown_renders_safe(body):
    assert_safe(render_markdown(body))


HOSTILE_HTML = [
    "<script>alert(1)</script><p>kept</p>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="  JAVASCRIPT:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<td style="text-align:right;position:fixed;top:0">x</td>',
    "<svg><script>alert(1)</script></svg>",
    "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
    "<a href=https://example.com target=_blank>x</a>",
    "<p><scr<script>ipt>alert(1)</script></p>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<table><tr><td><style>*{}</style></td></tr></table>",
]


@pytest.mark.parametrize("html", HOSTILE_HTML)
def test_the_sanitizer_alone_stops_hostile_html(html):
    """The second layer holds even if Markdown let raw HTML through."""
    assert_safe(sanitize_html(html))


def test_the_sanitizer_keeps_what_markdown_makes():
    html = sanitize_html(
        "<script>alert(1)</script><p>kept</p>"
        '<table><tr><td style="text-align:right">1</td></tr></table>'
    )
    assert "kept" in html and "alert" not in html
    assert 'style="text-align:right"' in html


def test_ordinary_markdown_keeps_its_shape():
    html = render_markdown(
        "## Title\n\nSome **bold**, *em*, ~~gone~~ and `code`.\n\n"
        "- one\n- two\n\n3. three\n\n> quoted\n\n"
        "[site](https://example.com) [mail](mailto:a@example.com) ![pic](/images/x.png)\n\n"
        "| a | b |\n|--:|---|\n| 1 | 2 |\n\n```\nprint(1)\n```\n"
    )
    elements = assert_safe(html)
    tags = {tag for tag, _ in elements}
    assert {"h2", "strong", "em", "s", "code", "pre", "ul", "ol", "blockquote", "a", "img"} <= tags
    assert {"table", "thead", "tbody", "tr", "th", "td"} <= tags
    assert '<a href="https://example.com" rel="noopener noreferrer">site</a>' in html
    assert '<img src="/images/x.png" alt="pic">' in html
    assert 'ol start="3"' in html
    assert "<pre><code>print(1)\n</code></pre>" in html


@pytest.mark.parametrize(
    "body",
    [
        ">" * MAX_BODY_CHARS,
        "[" * MAX_BODY_CHARS,
        "*a" * (MAX_BODY_CHARS // 2),
        "[a](" * (MAX_BODY_CHARS // 4),
        "".join("  " * i + "- x\n" for i in range(300)),
        "<div>" * (MAX_BODY_CHARS // 5),
        "| a | b |\n|---|---|\n" + "| x | y |\n" * (MAX_BODY_CHARS // 11),
        "*" * 5000 + "a" + "*" * 5000,
        "&#x" + "0" * (MAX_BODY_CHARS - 4) + ";",
    ],
    ids=["quotes", "brackets", "emphasis", "links", "lists", "html", "table", "stars", "entity"],
)
def test_very_large_and_deeply_nested_bodies_render_safe_in_bounded_time(body):
    assert len(body) <= MAX_BODY_CHARS
    started = time.perf_counter()
    html = render_markdown(body)
    elapsed = time.perf_counter() - started
    assert_safe(html)
    assert elapsed < 15, f"{elapsed:.1f} s"  # about 1 s here; a wide margin for a busy CI
    assert html.count("<blockquote>") <= 20  # nesting is capped (maxNesting)


def test_plain_text_for_descriptions():
    assert plain_text("# Hi & bye\n\n**bold** [link](https://x.example) <b>raw</b>") == (
        "Hi & bye bold link <b>raw</b>"
    )
    assert render_markdown("") == "" and plain_text("") == ""
