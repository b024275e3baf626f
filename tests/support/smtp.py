"""A real SMTP server for tests (aiosmtpd) that keeps every message it receives."""

from __future__ import annotations

import email
import email.policy
import socket
import time
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    def body(self, subtype: str = "plain") -> str:
        part = self.message.get_body(preferencelist=(subtype,))
        return part.get_content() if part is not None else ""


@dataclass
class _Handler:
    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        message = email.message_from_bytes(
            envelope.original_content or envelope.content, policy=email.policy.default
        )
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class SmtpServer:
    """Start with ``SmtpServer(user=..., password=...)``; ``messages`` fills as mail arrives."""

    def __init__(self, user: str | None = None, password: str | None = None) -> None:
        self.handler = _Handler()
        self.host, self.port = "127.0.0.1", _free_port()
        kwargs = {}
        if user:

            def authenticator(server, session, envelope, mechanism, auth_data):
                ok = (
                    isinstance(auth_data, LoginPassword)
                    and auth_data.login.decode() == user
                    and auth_data.password.decode() == password
                )
                return AuthResult(success=ok)

            kwargs = {
                "authenticator": authenticator,
                "auth_require_tls": False,
                "auth_required": True,
            }
        self.controller = Controller(self.handler, hostname=self.host, port=self.port, **kwargs)

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """The messages once at least ``count`` arrived (delivery is synchronous; this
        only guards against the server thread lagging)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def outbox(database, to: str | None = None) -> list:
    """Rows of app.email_outbox (oldest first), optionally for one address."""
    from sqlalchemy import func, select

    from dra.models import EmailOutbox

    with database.system_session() as s:
        q = select(EmailOutbox).order_by(EmailOutbox.id)
        if to:
            q = q.where(func.lower(EmailOutbox.to_address) == to.lower())
        return list(s.scalars(q))


def link_in(text: str, path_part: str) -> str:
    """The path (and query) of the first link in ``text`` containing ``path_part``."""
    import re
    from urllib.parse import urlsplit

    for url in re.findall(r"https?://[^\s\"'<>]+", text):
        if path_part in url:
            parts = urlsplit(url)
            return parts.path + (f"?{parts.query}" if parts.query else "")
    raise AssertionError(f"no link containing {path_part!r} in:\n{text}")
