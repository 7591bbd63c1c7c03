"""The webhook alternative: a signed HTTPS POST to an external portal, with bounded retries."""

from __future__ import annotations

import base64
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import trustme

from gateway.portal import WebhookError, WebhookPortal, sign, verify_signature
from tests.support.portal import RAW, RECIPIENT, SENDER

SECRET = b"a-shared-secret-of-32-bytes-long"
EXPIRES = datetime(2026, 12, 12, 9, 0, tzinfo=UTC)
LINK = "https://portal.example/m/123"


@dataclass
class Receiver:
    """What the fake external portal saw and how it answers (one status per request)."""

    statuses: list[int] = field(default_factory=list)
    seen: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    hang: bool = False
    errors: int = 0


@pytest.fixture
def ca() -> trustme.CA:
    """A test CA."""
    return trustme.CA()


@pytest.fixture
def receiver(ca: trustme.CA, tmp_path: Path) -> Iterator[tuple[Receiver, str]]:
    """An HTTPS server on loopback standing in for the external portal."""
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.seen.append((dict(self.headers.items()), body))
            if state.hang:
                state.release.wait(10)
            status = state.statuses.pop(0) if state.statuses else 200
            answer = json.dumps({"link": LINK}).encode() if status == 200 else b"{}"
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: object, client_address: object) -> None:
            # Failed handshakes (the untrusted-certificate test) end here; keep them quiet.
            state.errors += 1

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"https://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()


def portal(url: str, ca: trustme.CA, sleeps: list[float], **kw: object) -> WebhookPortal:
    """A WebhookPortal trusting the test CA and recording its backoff sleeps."""
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return WebhookPortal(url, SECRET, ssl_context=context, sleep=sleeps.append, **kw)  # type: ignore[arg-type]


def deliver(hook: WebhookPortal) -> tuple[bool, str]:
    """Deliver the planted message."""
    return hook.deliver(
        RAW,
        ref_id="PG-20261128-HOOK0001",
        mail_from=SENDER,
        recipient=RECIPIENT,
        roster_id="R-0042",
        expires=EXPIRES,
    )


def test_delivers_signed_json(receiver: tuple[Receiver, str], ca: trustme.CA) -> None:
    """The portal gets the raw message and metadata, signed; its link comes back."""
    state, url = receiver
    ok, link = deliver(portal(url, ca, []))
    assert (ok, link) == (True, LINK)
    headers, body = state.seen[0]
    assert headers["Content-Type"] == "application/json"
    assert verify_signature(SECRET, body, headers["X-Phigate-Signature"])
    doc = json.loads(body)
    assert base64.b64decode(doc["raw"]) == RAW
    assert doc["ref_id"] == "PG-20261128-HOOK0001"
    assert doc["mail_from"] == SENDER and doc["recipient"] == RECIPIENT
    assert doc["roster_id"] == "R-0042"
    assert doc["expires"] == "2026-12-12T09:00:00+00:00"


def test_retries_server_errors_with_backoff(receiver: tuple[Receiver, str], ca: trustme.CA) -> None:
    """Two 503s are retried with growing backoff, and the third attempt succeeds."""
    state, url = receiver
    state.statuses = [503, 503]
    sleeps: list[float] = []
    ok, link = deliver(portal(url, ca, sleeps, retries=2, backoff=0.5))
    assert (ok, link) == (True, LINK)
    assert len(state.seen) == 3
    assert sleeps == [0.5, 1.0]


def test_gives_up_after_bounded_retries(receiver: tuple[Receiver, str], ca: trustme.CA) -> None:
    """A portal that keeps failing gets retries + 1 attempts and a not-ok answer."""
    state, url = receiver
    state.statuses = [500] * 10
    ok, reason = deliver(portal(url, ca, [], retries=2))
    assert (ok, reason) == (False, "HTTP 500")
    assert len(state.seen) == 3


def test_client_errors_are_not_retried(receiver: tuple[Receiver, str], ca: trustme.CA) -> None:
    """A 400 is final: one attempt, not ok."""
    state, url = receiver
    state.statuses = [400]
    assert deliver(portal(url, ca, [], retries=3)) == (False, "HTTP 400")
    assert len(state.seen) == 1


def test_endpoint_down_is_not_ok(ca: trustme.CA) -> None:
    """Nothing listening: every attempt fails and deliver says not ok (the gateway answers 451)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sleeps: list[float] = []
    ok, reason = deliver(portal(f"https://127.0.0.1:{port}/hook", ca, sleeps, retries=2))
    assert (ok, reason) == (False, "ConnectionRefusedError")
    assert len(sleeps) == 2


def test_slow_endpoint_times_out(receiver: tuple[Receiver, str], ca: trustme.CA) -> None:
    """A portal that does not answer within the timeout counts as a failure."""
    state, url = receiver
    state.hang = True
    ok, reason = deliver(portal(url, ca, [], retries=0, timeout=0.3))
    state.release.set()
    assert not ok
    assert reason == "TimeoutError"


def test_untrusted_certificate_is_refused(receiver: tuple[Receiver, str]) -> None:
    """Without trusting the CA the TLS handshake fails and nothing is sent."""
    state, url = receiver
    hook = WebhookPortal(url, SECRET, retries=0)
    assert deliver(hook) == (False, "SSLCertVerificationError")
    assert state.seen == []


def test_plain_http_and_short_secrets_are_refused() -> None:
    """An http:// URL or a secret under 16 bytes is a configuration error."""
    with pytest.raises(WebhookError):
        WebhookPortal("http://portal.example/hook", SECRET)
    with pytest.raises(WebhookError):
        WebhookPortal("https://portal.example/hook", b"short")


@pytest.mark.parametrize(
    ("body", "header_change", "at", "expected"),
    [
        (b'{"a":1}', None, 1_000_000, True),
        (b'{"a":2}', None, 1_000_000, False),  # body altered after signing
        (b'{"a":1}', "bad-secret", 1_000_000, False),
        (b'{"a":1}', None, 1_000_000 + 301, False),  # too old
        (b'{"a":1}', "garbage", 1_000_000, False),
    ],
)
def test_signature_verification(
    body: bytes, header_change: str | None, at: int, expected: bool
) -> None:
    """The documented verification accepts only the exact body, secret and a fresh stamp."""
    header = sign(SECRET, b'{"a":1}', 1_000_000)
    if header_change == "bad-secret":
        header = sign(b"another-secret-of-enough-bytes!!", b'{"a":1}', 1_000_000)
    elif header_change == "garbage":
        header = "v1=abc"
    assert verify_signature(SECRET, body, header, now=at) is expected
