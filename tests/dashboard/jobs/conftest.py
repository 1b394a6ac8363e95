"""Fixtures for the job tests: a job context over the in-memory store, settings per queue backend,
a clean worker state after each test, and real delivery peers on the loopback: an SMTP server
(aiosmtpd) and an HTTP server for webhooks, each stopped by its fixture."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from dashboard.cache import MemoryCache
from dashboard.core.settings import Settings
from dashboard.jobs import queue as job_queue
from dashboard.jobs import worker
from dashboard.jobs.context import JobContext
from dashboard.store import Store


@pytest.fixture(autouse=True)
def _fresh_worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(job_queue, "RETRY_DELAY_S", 0.2)  # back-off 0.2 s, 0.4 s, 0.8 s
    yield
    worker.stop()


@pytest.fixture
def job_context(store: Store, tmp_path: Path) -> Callable[..., JobContext]:
    """A job context over ``store`` with settings for the given queue backend."""

    def make(backend: str = "immediate", **settings: object) -> JobContext:
        base = Settings(data_dir=tmp_path / "data", queue=backend)
        return JobContext(store=store, cache=MemoryCache(), settings=replace(base, **settings))

    return make


# -- delivery peers -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def _authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"alerts",
        b"right-password",
    )
    # handled=False: aiosmtpd itself answers 535 to a wrong password.
    return AuthResult(success=ok, handled=False)


#: The test server takes a password without TLS on purpose (loopback only); aiosmtpd warns.
PLAIN_AUTH = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@dataclass
class Smtp:
    inbox: Inbox
    settings: Settings


def _smtp_server(**controller_options: Any) -> Iterator[Smtp]:
    """A real SMTP server on the loopback (no TLS), stopped when the test ends."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **controller_options)
    controller.start()
    try:
        settings = Settings(
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_tls="none",
            alert_sender="Spendlens Alerts <alerts@spendlens.example>",
            webhook_timeout_s=2.0,
        )
        yield Smtp(inbox, settings)
    finally:
        controller.stop()


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    yield from _smtp_server()


@pytest.fixture
def smtp_with_login() -> Iterator[Smtp]:
    yield from _smtp_server(
        auth_required=True, auth_require_tls=False, authenticator=_authenticator
    )


def read_mail(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


@dataclass
class Hook:
    url: str
    status: int = 200
    slow: bool = False
    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins the handler threads: nothing is left running
    hook: Hook


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        hook = self.server.hook
        body = self.rfile.read(int(self.headers["Content-Length"]))
        hook.requests.append((self.path, dict(self.headers), body))
        if hook.slow:
            hook.release.wait(5)  # longer than the client's time limit; released at teardown
        self.send_response(hook.status)
        if 300 <= hook.status < 400:
            self.send_header("Location", "/elsewhere")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[Hook]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.hook = Hook(url=f"http://127.0.0.1:{server.server_address[1]}/hooks/abc?x=1")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.hook
    finally:
        server.hook.release.set()
        server.shutdown()
        server.server_close()
        thread.join()
