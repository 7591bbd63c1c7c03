"""The planted portal message, a fake practice, a settable clock and a loopback server.

App tests run the real portal under uvicorn on a loopback port and talk to it over HTTP(S).
The `portal_db_url` and `portal_store` fixtures are in tests/conftest.py.
"""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette

from gateway.portal import (
    PortalItem,
    PortalRuntime,
    PortalServices,
    PortalStore,
    create_app,
    portal_server,
)
from gateway.portal.app import ConsentTerms, RecordedConsent

T0 = datetime(2026, 11, 28, 9, 0, 0, tzinfo=UTC)

# PHI planted in the test message: none of it may be readable at rest, in metadata, in the
# notice, in URLs, in audit details or in logs.
PATIENT = "Janette Doughberry"
SSN = "123-45-6789"
RECIPIENT = "j.doughberry.family@gmail.example"
SENDER = "dr.who@clinic.example"
SUBJECT = f"Labs for {PATIENT}"
BODY_LINE = f"Patient {PATIENT}, SSN {SSN}, potassium 5.9 mmol/L."
DOB = date(1961, 4, 17)
ROSTER_ID = "R-0042"
ATTACHMENT = b"%PDF-1.4\n% lab results\n"
ATTACHMENT_NAME = "Doughberry_labs.pdf"
MESSAGE_ID = "<portal1.test@clinic.example>"
SEE_OTHER = 303

RAW = (
    f"From: Dr. Who <{SENDER}>\r\n"
    f"To: {RECIPIENT}\r\n"
    f"Subject: {SUBJECT}\r\n"
    "Date: Sat, 28 Nov 2026 09:00:00 +0000\r\n"
    f"Message-ID: {MESSAGE_ID}\r\n"
    "MIME-Version: 1.0\r\n"
    'Content-Type: multipart/mixed; boundary="b1"\r\n'
    "\r\n"
    "--b1\r\n"
    'Content-Type: multipart/alternative; boundary="b2"\r\n'
    "\r\n"
    "--b2\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    f"{BODY_LINE}\r\n"
    "--b2\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "\r\n"
    f"<p id=body>{BODY_LINE}</p><script>alert('x')</script>"
    "<img src=https://tracker.example/p.gif>"
    '<a href="javascript:alert(1)" onclick="steal()">click</a>\r\n'
    "--b2--\r\n"
    "--b1\r\n"
    f'Content-Type: application/pdf; name="{ATTACHMENT_NAME}"\r\n'
    f'Content-Disposition: attachment; filename="{ATTACHMENT_NAME}"\r\n'
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "JVBERi0xLjQKJSBsYWIgcmVzdWx0cwo=\r\n"
    "--b1--\r\n"
).encode()
PLANTED = (PATIENT, "Doughberry", SSN, RECIPIENT, SUBJECT, BODY_LINE, DOB.isoformat())

SETTINGS = PortalRuntime(
    practice_name="Riverside Family Practice",
    portal_from="Riverside secure messages <portal@clinic.example>",
    practice_address="frontdesk@clinic.example",
    help_text="Call us on 555-0100, Monday to Friday 8am to 6pm.",
    secure_cookies=False,
)
DISCLOSURE = ("2026-01", "Email without encryption can be read by others on the way.")


def put(
    store: PortalStore,
    raw: bytes = RAW,
    *,
    roster_id: str | None = ROSTER_ID,
    now: datetime | None = T0,
    days: int = 14,
    **kw: Any,
) -> PortalItem:
    """Store raw (the planted message) for RECIPIENT, expiring `days` after now unless told.

    `now=None` stores it at the real time, for tests that serve the portal with the real clock.
    """
    args: dict[str, Any] = {
        "ref_id": "PG-20261128-PORTAL01",
        "mail_from": SENDER,
        "recipient": RECIPIENT,
        "roster_id": roster_id,
        "expires": (now or datetime.now(UTC)) + timedelta(days=days),
        "now": now,
    }
    args.update(kw)
    return store.put(raw, **args)


@dataclass
class FakePractice:
    """Captures what the portal hands to the rest of phigate: mail, audit events, consents."""

    dobs: dict[str, date] = field(default_factory=lambda: {ROSTER_ID: DOB})
    outbox: list[tuple[str, bytes]] = field(default_factory=list)
    events: list[tuple[str, dict[str, Any], str | None]] = field(default_factory=list)
    consents: list[tuple[str | None, str, str, ConsentTerms]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send_mail(self, to: str, raw: bytes) -> None:
        with self.lock:
            self.outbox.append((to, raw))

    def audit(self, action: str, details: Mapping[str, Any], ref_id: str | None) -> None:
        with self.lock:
            self.events.append((action, dict(details), ref_id))

    def record_consent(
        self, roster_id: str | None, address: str, version: str, terms: ConsentTerms
    ) -> RecordedConsent:
        with self.lock:
            self.consents.append((roster_id, address, version, terms))
            return RecordedConsent(f"C-{len(self.consents):04d}", terms.scopes, terms.expires)

    def services(self) -> PortalServices:
        return PortalServices(
            send_mail=self.send_mail,
            audit=self.audit,
            has_dob=lambda rid: rid in self.dobs,
            verify_dob=lambda rid, dob: self.dobs.get(rid) == dob,
            disclosure=lambda: DISCLOSURE,
            record_consent=self.record_consent,
        )

    def actions(self) -> list[str]:
        with self.lock:
            return [a for a, _d, _r in self.events]

    def last_code(self) -> str:
        """The six digits of the newest code email."""
        with self.lock:
            for _to, raw in reversed(self.outbox):
                msg = email.message_from_bytes(raw, policy=email.policy.default)
                if str(msg["Subject"]).startswith("Your code"):
                    found = re.search(r"Your code is: (\d{6})", raw.decode())
                    assert found, "code email without a code"
                    return found.group(1)
        raise AssertionError("no code email was sent")


class Clock:
    """A settable clock for the app."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@contextmanager
def serving(
    app: Starlette, *, certfile: Path | None = None, keyfile: Path | None = None
) -> Iterator[str]:
    """Run `app` under uvicorn in a thread on a free loopback port; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server: uvicorn.Server = portal_server(
        app, host="127.0.0.1", port=port, certfile=certfile, keyfile=keyfile
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    ready = threading.Event()
    for _ in range(500):
        if server.started:
            ready.set()
            break
        if not thread.is_alive():
            break
        ready.wait(0.02)
    assert server.started, "uvicorn did not start"
    scheme = "https" if certfile else "http"
    try:
        yield f"{scheme}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@contextmanager
def running_portal(
    store: PortalStore,
    practice: FakePractice,
    settings: PortalRuntime = SETTINGS,
    clock: Clock | None = None,
) -> Iterator[str]:
    """The portal app on loopback over plain HTTP; yields its base URL."""
    with serving(create_app(store, settings, practice.services(), clock=clock)) as url:
        yield url


def csrf(page: httpx.Response) -> str:
    """The CSRF token in a page's forms."""
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, "no CSRF field on the page"
    return found.group(1)


def start(client: httpx.Client, item: PortalItem) -> httpx.Response:
    """Open the link and follow the redirect to the verification page."""
    first = client.get(f"/p/{item.token}")
    assert first.status_code == SEE_OTHER
    assert first.headers["location"] == "/verify"
    return client.get("/verify")


def send_code(client: httpx.Client, page: httpx.Response) -> httpx.Response:
    """Ask for a code; return the page that asks for it."""
    resp = client.post("/verify/send", data={"csrf": csrf(page)})
    assert resp.status_code == SEE_OTHER, resp.text
    return client.get(resp.headers["location"])
