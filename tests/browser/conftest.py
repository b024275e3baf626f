"""Browser tests: the real web app on a free localhost port, driven by Debian's Chromium.

``live_server`` serves ``create_app`` (CSRF and everything else as in production, rate
limits off) from a thread on the migrated test database; ``chromium`` is a headless
Chromium launched by Playwright from ``/usr/bin/chromium`` (Playwright cannot download
its own browsers here). Each test gets its own browser, with a fresh profile.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

CHROMIUM = os.environ.get("DRA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass(frozen=True)
class LiveServer:
    url: str
    app: object


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server_env() -> dict[str, str]:
    """Extra settings of the live server (a test module overrides this fixture)."""
    return {}


@pytest.fixture
def live_server(database, tmp_path, live_server_env) -> Iterator[LiveServer]:
    from werkzeug.serving import make_server

    from dra.settings import load_settings
    from webapp import create_app

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    settings = load_settings(
        {
            "DRA_ENV": "test",
            "DRA_DATA_DIR": str(tmp_path / "data"),
            "DRA_DATABASE_URL": database.url,
            "DRA_PUBLIC_BASE_URL": url,
            **live_server_env,
        }
    )
    app = create_app(settings, config={"RATELIMIT_ENABLED": False})
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=url, app=app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.extensions["dra_database"].dispose()


@pytest.fixture
def chromium(tmp_path):
    """A headless Chromium (Playwright launches it with a fresh temporary profile)."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (see .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
