"""What the fake advertising APIs share: deterministic daily numbers, scripted failures and
the access tokens they accept, and a threaded HTTP server for the REST ones.

Numbers are a pure function of (day, entity, metric), so a fake serves any date range
without storing rows (the benchmark asks for 365,000 of them) and a test can compute what
it expects. ``revise(day, factor)`` changes one day's numbers afterwards, as late
conversions do, so an incremental load's lookback window has something to re-read.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


@dataclass
class DailyNumbers:
    """``value(day, entity, metric)``: a small positive integer, the same on every call."""

    revisions: dict[date, float] = field(default_factory=dict)
    first_day: date | None = None
    """Days before this one have no rows (an account that started then)."""

    def value(self, day: date, entity: int, metric: int) -> int:
        base = (day.toordinal() * 31 + entity * 17 + metric * 7) % 97 + 1
        return round(base * self.revisions.get(day, 1.0))

    def revise(self, day: date, factor: float) -> None:
        """Every number of ``day`` becomes ``factor`` times what it was first."""
        self.revisions[day] = factor

    def active(self, day: date) -> bool:
        return self.first_day is None or day >= self.first_day


@dataclass
class Script:
    """Failures and tokens a fake is told about. ``throttle(n)``: the next ``n`` data
    requests are refused as over quota (HTTP 429 / gRPC RESOURCE_EXHAUSTED). With
    ``oauth`` (a ``tests.support.fake_oauth.FakeOAuthProvider``) only the access tokens it
    issued and still holds valid are accepted; without, any bearer token is."""

    throttled: int = 0
    oauth: Any = None
    seen_tokens: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def throttle(self, times: int = 1) -> None:
        with self.lock:
            self.throttled += times

    def take_throttle(self) -> bool:
        with self.lock:
            if self.throttled > 0:
                self.throttled -= 1
                return True
            return False

    def token_refused(self, authorization: str | None) -> bool:
        """Whether the request's bearer token is missing or not valid (it is recorded)."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return True
        token = authorization.split(" ", 1)[1]
        self.seen_tokens.append(token)
        return self.oauth is not None and not self.oauth.valid(token)


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any) -> None:
        pass


class ThreadedServer:
    """A WSGI app served on a free localhost port in a daemon thread; ``with`` starts it."""

    def __init__(self, app: Any) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> ThreadedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class RestFake:
    """A fake REST API: ``app()`` builds its Flask app; ``with fake:`` serves it at
    ``fake.url``."""

    def app(self) -> Any:
        raise NotImplementedError

    def __enter__(self) -> Any:
        self._server = ThreadedServer(self.app()).__enter__()
        self.url = self._server.url
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.__exit__(*exc)
