"""Helpers for the browser tests (tests/browser/)."""

from __future__ import annotations

from pathlib import Path

from tests.support.factories import DEFAULT_PASSWORD


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


class Shots:
    """``shot(page, "name")`` saves ``<folder>/01-name.png`` (the full page), then 02-..."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.n = 0

    def __call__(self, page, name: str) -> None:
        self.n += 1
        page.screenshot(path=str(self.folder / f"{self.n:02d}-{name}.png"), full_page=True)


def signed_in_page(chromium, base: str, user, problems: list[str], *, width: int = 1300):
    """A page of a new browser context, watched (``watch``) and signed in as ``user``
    (``DEFAULT_PASSWORD``)."""
    page = chromium.new_context(viewport={"width": width, "height": 1000}).new_page()
    watch(page, problems)
    page.goto(f"{base}/auth/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_load_state()
    return page
