"""A real Chromium goes from the notice's link through verification to reading and replying,
and gives consent at a phone's 390 px.

Needs node, Debian's /usr/bin/chromium and `tests/browser/install.sh` (playwright-core); any
of them missing is a failure, not a skip, so the check cannot silently stop running.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from gateway.patients.disclosure import DEFAULT_DISCLOSURE_VERSION, load_disclosure
from gateway.portal import PortalItem, PortalStore, create_app, render_portal_notice
from gateway.portal.app import ConsentChoices
from tests.support.portal import (
    ATTACHMENT,
    ATTACHMENT_NAME,
    DOB,
    MESSAGE_ID,
    RECIPIENT,
    SENDER,
    SETTINGS,
    FakePractice,
    put,
    running_portal,
    serving,
)

BROWSER_DIR = Path(__file__).resolve().parents[2] / "browser"
CHROMIUM = Path(os.environ.get("PHIGATE_CHROMIUM", "/usr/bin/chromium"))
REPLY = "Thanks, I read the results and will call on Monday."


def _require_tools() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: apt-get install nodejs (Node 20 or newer)")
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    if not (BROWSER_DIR / "node_modules" / "playwright-core").is_dir():
        pytest.fail("playwright-core is not installed: run tests/browser/install.sh")
    return node


@pytest.fixture
def code_url(practice: FakePractice) -> Iterator[str]:
    """A loopback endpoint that hands the newest mailed one-time code to the browser script."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            try:
                body = practice.last_code().encode()
                self.send_response(200)
            except AssertionError:
                body = b""
                self.send_response(404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/code"
    finally:
        server.shutdown()
        server.server_close()


def _flow(
    node: str, base: str, item: PortalItem, code_url: str, tmp_path: Path, *extra: str
) -> dict:
    """Run portal_flow.mjs from the notice's link; its JSON result."""
    notice = render_portal_notice(
        item,
        practice_name=SETTINGS.practice_name,
        portal_url=base,
        help_text=SETTINGS.help_text,
        to=RECIPIENT,
        from_addr=SETTINGS.portal_from,
        asks_dob=True,
    )
    msg = email.message_from_bytes(notice, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    text = msg.get_body(preferencelist=("plain",))
    assert text is not None
    found = re.search(r"(http://127\.0\.0\.1:\d+/p/[A-Za-z0-9_-]+)", text.get_content())
    assert found, "no link in the notice"
    proc = subprocess.run(
        [
            node,
            str(BROWSER_DIR / "portal_flow.mjs"),
            "--link",
            found.group(1),
            "--code-url",
            code_url,
            "--out",
            str(tmp_path / "downloads"),
            "--expect",
            "potassium 5.9 mmol/L",
            "--reply",
            REPLY,
            "--dob",
            DOB.isoformat(),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=BROWSER_DIR,
    )
    assert proc.returncode == 0, f"browser flow failed:\n{proc.stderr}\n{proc.stdout}"
    result: dict = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["ok"] is True
    return result


def test_patient_reads_downloads_and_replies_in_chromium(
    app_store: PortalStore, practice: FakePractice, code_url: str, tmp_path: Path
) -> None:
    """Chromium follows the notice link, verifies, reads, downloads the PDF and replies."""
    node = _require_tools()
    item = put(app_store, ref_id="PG-20261128-BROWSER1", now=None)
    with running_portal(app_store, practice) as base:
        result = _flow(node, base, item, code_url, tmp_path)
    downloaded = Path(result["download"])
    assert downloaded.name == ATTACHMENT_NAME
    assert downloaded.read_bytes() == ATTACHMENT

    replies = [raw for to, raw in practice.outbox if to == SENDER]
    assert len(replies) == 1
    reply = email.message_from_bytes(replies[0], policy=email.policy.default)
    assert isinstance(reply, EmailMessage)
    assert reply["In-Reply-To"] == MESSAGE_ID
    body = reply.get_body(preferencelist=("plain",))
    assert body is not None and REPLY in body.get_content()
    assert practice.actions() == ["portal-view", "portal-download", "portal-reply"]
    assert all(d["item"] == item.item_id for _a, d, _r in practice.events)


def test_patient_chooses_consent_terms_at_390_px_in_chromium(
    app_store: PortalStore, practice: FakePractice, code_url: str, tmp_path: Path
) -> None:
    """At 390 px the consent page and the recorded terms fit the screen, the disclosure is
    reflowed, and the scope and duration the patient picked are what is recorded and shown."""
    node = _require_tools()
    shipped = load_disclosure(DEFAULT_DISCLOSURE_VERSION)
    services = dataclasses.replace(
        practice.services(),
        consent_choices=ConsentChoices(scopes=("appointment_reminders", "billing"), days=(90, 365)),
        disclosure=lambda: (shipped.version, shipped.text),
    )
    item = put(app_store, ref_id="PG-20261128-BROWSER2", now=None)
    with serving(create_app(app_store, SETTINGS, services)) as base:
        result = _flow(node, base, item, code_url, tmp_path, "--consent", "billing", "--days", "90")
    [(_rid, _address, version, terms)] = practice.consents
    assert version == shipped.version and terms.scopes == ("billing",)
    expires = datetime.now(UTC).date() + timedelta(days=90)
    assert terms.expires == expires
    offered = " ".join(result["consent"]["offered"].split())
    assert "3 months, until" in offered and "1 year, until" in offered
    recorded = " ".join(result["consent"]["recorded"].split())
    assert "Bills and statements" in recorded and "Appointment reminders" not in recorded
    assert f"{expires.day} {expires.strftime('%B %Y')}" in recorded
    assert "C-0001" in recorded
