"""Helpers for the browser tests (tests/browser/)."""

from __future__ import annotations


def watch(page, problems: list[str]) -> None:
    """Collect into ``problems`` what should never happen on a page: a failed request
    (the favicon aside), a console error (a CSP violation included), an uncaught script
    error, and a dialog (an ``alert`` would mean a script that should not run ran)."""
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("dialog", lambda d: problems.append(f"dialog: {d.message}") or d.dismiss())
