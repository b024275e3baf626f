"""A scripted local HTTP server standing in for a language-model service.

Each test queues what the next requests get (``answer(...)``, ``text(...)``,
``error(...)``, ``slow(...)``) and reads what the client sent (``requests``: path,
headers and JSON body of every request, in order). The real client libraries talk to it
through their base URL. Subclasses turn an answer into their service's wire format.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Scripted:
    text: str = ""
    status: int = 200
    delay: float = 0.0
    body: dict[str, Any] | None = None


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeModelServer:
    """Start with ``with FakeX() as fake:``; ``fake.url`` is its base URL."""

    model: str = "fake-model"
    tokens_in: int = 120
    tokens_out: int = 45
    script: deque[Scripted] = field(default_factory=deque)
    requests: list[Recorded] = field(default_factory=list)

    # --- scripting -------------------------------------------------------------------
    def answer(self, payload: dict[str, Any], *, delay: float = 0.0) -> FakeModelServer:
        """The next request gets ``payload`` as the model's JSON text."""
        return self.text(json.dumps(payload), delay=delay)

    def text(self, text: str, *, delay: float = 0.0) -> FakeModelServer:
        self.script.append(Scripted(text=text, delay=delay))
        return self

    def error(self, status: int, message: str = "overloaded") -> FakeModelServer:
        self.script.append(Scripted(status=status, body={"error": {"message": message}}))
        return self

    def slow(self, seconds: float, payload: dict[str, Any] | None = None) -> FakeModelServer:
        """Answer only after ``seconds`` (a client with a shorter timeout gives up)."""
        return self.answer(payload or {}, delay=seconds)

    # --- what subclasses provide ---------------------------------------------------------
    def success_body(self, text: str) -> dict[str, Any]:
        raise NotImplementedError

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        return {"error": {"code": status, "message": message}}

    def user_texts(self, index: int) -> list[str]:
        """Texts of the user turns of request ``index``."""
        raise NotImplementedError

    def system_text(self, index: int) -> str:
        raise NotImplementedError

    # --- server ------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeModelServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"_raw": raw.decode("utf-8", "replace")}
                fake.requests.append(
                    Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                step = fake.script.popleft() if fake.script else None
                if step is None:
                    status, out = 500, fake.error_body(500, "nothing scripted for this request")
                elif step.status != 200:
                    status, out = step.status, fake.error_body(step.status, "scripted failure")
                else:
                    status, out = 200, fake.success_body(step.text)
                if step is not None and step.delay:
                    time.sleep(step.delay)
                data = json.dumps(out).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.send_header("retry-after-ms", "5")  # openai's client honours it
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
