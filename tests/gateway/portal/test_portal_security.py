"""Security regressions in the portal: hostile message content must not run or inject."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage

import httpx

from gateway.portal import PortalMessage, PortalMeta, PortalStore, build_reply
from tests.support.portal import (
    RECIPIENT,
    SENDER,
    FakePractice,
    csrf,
    put,
    running_portal,
    send_code,
    start,
)

HOSTILE = (
    f"From: {SENDER}\r\n"
    f"To: {RECIPIENT}\r\n"
    "Subject: Results\r\n"
    "MIME-Version: 1.0\r\n"
    'Content-Type: multipart/mixed; boundary="b"\r\n'
    "\r\n"
    "--b\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "<script>alert(1)</script> & <b>bold</b>\r\n"
    "--b\r\n"
    'Content-Type: text/html; name="x.html"\r\n'
    'Content-Disposition: attachment; filename="../../evil\\"; x=.html"\r\n'
    "\r\n"
    "<script>alert(2)</script>\r\n"
    "--b--\r\n"
).encode()


def _signed_in(
    client: httpx.Client, app_store: PortalStore, practice: FakePractice
) -> httpx.Response:
    item = put(app_store, HOSTILE, ref_id="PG-20261128-HOSTILE1", roster_id=None, now=None, days=1)
    page = send_code(client, start(client, item))
    resp = client.post("/verify", data={"csrf": csrf(page), "code": practice.last_code()})
    assert resp.headers["location"] == "/message"
    return client.get("/message")


def test_plain_text_body_is_escaped(app_store: PortalStore) -> None:
    """Markup in a text/plain body is shown as text, never as HTML."""
    practice = FakePractice()
    with running_portal(app_store, practice) as url, httpx.Client(base_url=url) as client:
        page = _signed_in(client, app_store, practice)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page.text
    assert "<script>" not in page.text


def test_hostile_attachment_is_a_sandboxed_download(app_store: PortalStore) -> None:
    """An HTML attachment downloads as a file in a sandbox, with a harmless filename header."""
    practice = FakePractice()
    with running_portal(app_store, practice) as url, httpx.Client(base_url=url) as client:
        _signed_in(client, app_store, practice)
        resp = client.get("/attachment/0")
    disposition = resp.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=")
    assert "/" not in disposition.split("filename*=")[0]
    assert disposition.count('"') == 2  # the quote in the name cannot end the parameter
    assert resp.headers["content-security-policy"] == "sandbox; default-src 'none'"
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.content.startswith(b"<script>")  # delivered byte for byte, never rendered


def test_reply_headers_cannot_be_injected() -> None:
    """A subject with line breaks yields one header line; no Message-ID means no In-Reply-To."""
    raw = f"From: {SENDER}\r\nSubject: =?utf-8?q?Hi=0D=0ABcc=3A_evil=40x=2Eexample?=\r\n\r\nx\r\n"
    now = datetime.now(UTC)
    meta = PortalMeta(
        item_id="PTEST",
        ref_id="PG-1",
        created=now,
        expires=now,
        recipient_hash="",
        recipient_masked="",
        roster_id=None,
        status="read",
        views=1,
        first_read=None,
        size=0,
        failed_codes=0,
        locked_until=None,
        key_id="q1",
    )
    out = build_reply(
        PortalMessage(meta, raw.encode(), SENDER, RECIPIENT), "ok", portal_from="p@clinic.example"
    )
    msg = email.message_from_bytes(out, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    assert msg["Bcc"] is None
    assert msg["In-Reply-To"] is None
    assert msg["Subject"] == "Re: Hi Bcc: evil@x.example"
