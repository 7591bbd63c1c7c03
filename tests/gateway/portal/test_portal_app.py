"""The pickup portal over real HTTP on loopback: verification, reading, replying, consent."""

from __future__ import annotations

import email
import email.policy
import logging
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage

import httpx
import pytest

from gateway.portal import READ, PortalItem, PortalStore
from tests.support.portal import (
    ATTACHMENT,
    ATTACHMENT_NAME,
    DISCLOSURE,
    DOB,
    MESSAGE_ID,
    PLANTED,
    RECIPIENT,
    ROSTER_ID,
    SENDER,
    SETTINGS,
    Clock,
    FakePractice,
    csrf,
    running_portal,
    send_code,
    start,
)
from tests.support.portal import put as portal_put

HTTP_OK = 200
SEE_OTHER = 303
BAD_REQUEST = 400
UNAUTHORIZED = 401
FORBIDDEN = 403
NOT_FOUND = 404
GONE = 410
TOO_MANY = 429
REPLY = "Thank you doctor, I will book the follow-up next week."


@pytest.fixture
def portal(app_store: PortalStore, practice: FakePractice, clock: Clock) -> Iterator[str]:
    """The portal's base URL on loopback."""
    with running_portal(app_store, practice, clock=clock) as url:
        yield url


def put(app_store: PortalStore, clock: Clock, roster_id: str | None = ROSTER_ID) -> PortalItem:
    """Hold the planted message for RECIPIENT for 14 days from the clock's now."""
    return portal_put(app_store, roster_id=roster_id, now=clock.now)


@pytest.fixture
def item(app_store: PortalStore, clock: Clock) -> PortalItem:
    """The planted message, held for RECIPIENT for 14 days from the clock's now."""
    return put(app_store, clock)


def sign_in(client: httpx.Client, item: PortalItem, practice: FakePractice) -> httpx.Response:
    """Go from the link to the message page with the emailed code and the date of birth."""
    page = send_code(client, start(client, item))
    resp = client.post(
        "/verify",
        data={"csrf": csrf(page), "code": practice.last_code(), "dob": DOB.isoformat()},
    )
    assert resp.status_code == SEE_OTHER, resp.text
    assert resp.headers["location"] == "/message"
    return client.get("/message")


def parse(raw: bytes) -> EmailMessage:
    """A captured mail as a message object."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def test_read_download_and_reply(
    portal: str, app_store: PortalStore, practice: FakePractice, item: PortalItem
) -> None:
    """A verified patient reads the sanitised message, downloads the PDF and replies."""
    with httpx.Client(base_url=portal) as client:
        page = sign_in(client, item, practice)
        assert page.status_code == HTTP_OK
        assert "potassium 5.9 mmol/L" in page.text
        assert "<script" not in page.text and "alert(" not in page.text
        assert "onclick" not in page.text and "javascript:" not in page.text
        assert "tracker.example" not in page.text
        assert ATTACHMENT_NAME in page.text

        download = client.get("/attachment/0")
        assert download.status_code == HTTP_OK
        assert download.content == ATTACHMENT
        assert download.headers["content-type"] == "application/pdf"
        assert download.headers["content-disposition"].startswith("attachment;")
        assert ATTACHMENT_NAME in download.headers["content-disposition"]
        assert download.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in download.headers["content-security-policy"]
        assert client.get("/attachment/7").status_code == NOT_FOUND

        sent = client.post("/reply", data={"csrf": csrf(page), "reply": REPLY})
        assert sent.status_code == SEE_OTHER and sent.headers["location"] == "/sent"

    replies = [(to, parse(raw)) for to, raw in practice.outbox if to == SENDER]
    assert len(replies) == 1
    reply = replies[0][1]
    assert reply["To"] == SENDER
    assert reply["From"] == SETTINGS.portal_from
    assert reply["In-Reply-To"] == MESSAGE_ID
    assert MESSAGE_ID in reply["References"]
    assert reply["Reply-To"] == RECIPIENT
    body = reply.get_body(preferencelist=("plain",))
    assert body is not None and REPLY in body.get_content()
    assert practice.actions() == ["portal-view", "portal-download", "portal-reply"]
    meta = app_store.meta(item.item_id)
    assert (meta.status, meta.views) == (READ, 1)


def test_token_appears_in_one_url_only(
    portal: str, practice: FakePractice, item: PortalItem
) -> None:
    """After the first request the token is in no URL, redirect or page."""
    urls: list[str] = []
    with httpx.Client(
        base_url=portal, event_hooks={"request": [lambda r: urls.append(str(r.url))]}
    ) as client:
        page = sign_in(client, item, practice)
        client.get("/attachment/0")
    assert item.token in urls[0]
    assert not any(item.token in u for u in urls[1:])
    assert item.token not in page.text
    assert not any(secret in u for u in urls for secret in PLANTED)


def test_security_headers_on_every_response(
    portal: str, practice: FakePractice, item: PortalItem
) -> None:
    """Pages, errors, redirects and static files all carry the security headers."""
    with httpx.Client(base_url=portal) as client:
        responses = [
            client.get("/"),
            client.get("/p/not-a-real-token-but-long-enough"),
            client.get("/message"),
            client.get("/static/portal.css"),
            client.get("/no/such/page"),
            client.get(f"/p/{item.token}"),
        ]
    assert [r.status_code for r in responses] == [200, 404, 401, 200, 404, 303]
    for resp in responses:
        h = resp.headers
        csp = h["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert h["strict-transport-security"].startswith("max-age=")
        assert h["x-frame-options"] == "DENY"
        assert h["x-content-type-options"] == "nosniff"
        assert h["referrer-policy"] == "no-referrer"
    page = responses[0].text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "<script" not in page and "style=" not in page


def test_session_cookies_are_strict(portal: str, practice: FakePractice, item: PortalItem) -> None:
    """Session and CSRF cookies are HttpOnly and SameSite=Strict."""
    with httpx.Client(base_url=portal) as client:
        resp = client.get(f"/p/{item.token}")
    cookies = resp.headers.get_list("set-cookie")
    assert len(cookies) == 2
    for c in cookies:
        assert "HttpOnly" in c and "SameSite=strict" in c and "Path=/" in c


def test_post_without_matching_csrf_is_refused(
    portal: str, practice: FakePractice, item: PortalItem
) -> None:
    """A POST with no, a wrong, or another session's CSRF token does nothing."""
    with httpx.Client(base_url=portal) as other:
        foreign = csrf(start(other, item))
    with httpx.Client(base_url=portal) as client:
        page = start(client, item)
        assert client.post("/verify/send", data={}).status_code == FORBIDDEN
        assert client.post("/verify/send", data={"csrf": "x" * 43}).status_code == FORBIDDEN
        assert client.post("/verify/send", data={"csrf": foreign}).status_code == FORBIDDEN
        assert practice.outbox == []
        message = sign_in(client, item, practice)
        token = csrf(message)
        assert token != csrf(page)  # a new token after verification
        assert client.post("/reply", data={"csrf": csrf(page), "reply": REPLY}).status_code == (
            FORBIDDEN
        )
        client.cookies.set(SETTINGS.csrf_cookie, "forged")
        assert client.post("/reply", data={"csrf": token, "reply": REPLY}).status_code == FORBIDDEN
    assert not any(to == SENDER for to, _raw in practice.outbox)


def test_five_wrong_codes_lock_the_message(
    portal: str, practice: FakePractice, clock: Clock, item: PortalItem
) -> None:
    """Five wrong codes lock the item for 15 minutes, audited, even across new sessions."""
    with httpx.Client(base_url=portal) as client:
        page = send_code(client, start(client, item))
        wrong = f"{(int(practice.last_code()) + 1) % 1_000_000:06d}"
        statuses = [
            client.post(
                "/verify", data={"csrf": csrf(page), "code": wrong, "dob": DOB.isoformat()}
            ).status_code
            for _ in range(5)
        ]
        assert statuses == [BAD_REQUEST] * 4 + [TOO_MANY]
    assert practice.actions() == ["portal-code-failed"] * 5 + ["portal-locked"]
    failed = [d["failed"] for a, d, _r in practice.events if a == "portal-code-failed"]
    assert failed == [1, 2, 3, 4, 5]
    with httpx.Client(base_url=portal) as fresh:
        assert start(fresh, item).status_code == TOO_MANY
        assert "locked" in fresh.get("/verify").text
    clock.advance(timedelta(minutes=16))
    with httpx.Client(base_url=portal) as later:
        assert sign_in(later, item, practice).status_code == HTTP_OK


def test_date_of_birth_is_required_when_the_roster_has_one(
    portal: str, practice: FakePractice, item: PortalItem
) -> None:
    """The right code with a wrong or missing date of birth fails; with the right one it works."""
    with httpx.Client(base_url=portal) as client:
        page = send_code(client, start(client, item))
        assert 'name="dob"' in page.text
        bad = client.post(
            "/verify", data={"csrf": csrf(page), "code": practice.last_code(), "dob": "1961-04-18"}
        )
        assert bad.status_code == BAD_REQUEST
        page = send_code(client, client.get("/verify"))
        missing = client.post("/verify", data={"csrf": csrf(page), "code": practice.last_code()})
        assert missing.status_code == BAD_REQUEST
        assert client.get("/message").headers["location"] == "/verify"
    with httpx.Client(base_url=portal) as client:
        assert sign_in(client, item, practice).status_code == HTTP_OK


def test_code_alone_when_no_roster_entry(
    portal: str, app_store: PortalStore, practice: FakePractice, clock: Clock
) -> None:
    """Without a roster entry the page asks only for the code, and the code suffices."""
    item = put(app_store, clock, roster_id=None)
    with httpx.Client(base_url=portal) as client:
        page = send_code(client, start(client, item))
        assert 'name="dob"' not in page.text
        resp = client.post("/verify", data={"csrf": csrf(page), "code": practice.last_code()})
        assert resp.status_code == SEE_OTHER and resp.headers["location"] == "/message"


def test_code_is_sent_to_the_recipient_without_phi(
    portal: str, practice: FakePractice, item: PortalItem
) -> None:
    """The code goes to the stored recipient, and the mail holds nothing from the message."""
    with httpx.Client(base_url=portal) as client:
        send_code(client, start(client, item))
    assert len(practice.outbox) == 1
    to, raw = practice.outbox[0]
    assert to == RECIPIENT
    assert parse(raw)["Subject"] == f"Your code for {SETTINGS.practice_name}"
    for secret in PLANTED:
        if secret != RECIPIENT:
            assert secret.encode() not in raw


def test_used_code_does_not_work_twice(
    portal: str, practice: FakePractice, item: PortalItem
) -> None:
    """A code used by one session is refused in another."""
    with httpx.Client(base_url=portal) as client:
        sign_in(client, item, practice)
        code = practice.last_code()
    with httpx.Client(base_url=portal) as thief:
        page = start(thief, item)
        resp = thief.post(
            "/verify", data={"csrf": csrf(page), "code": code, "dob": DOB.isoformat()}
        )
        assert resp.status_code == BAD_REQUEST
        assert thief.get("/message").status_code == SEE_OTHER


def test_sending_codes_is_rate_limited(
    portal: str, practice: FakePractice, item: PortalItem
) -> None:
    """After five codes in an hour no more mail is sent."""
    with httpx.Client(base_url=portal) as client:
        page = start(client, item)
        for _ in range(5):
            page = send_code(client, page)
        sixth = client.post("/verify/send", data={"csrf": csrf(page)})
        assert sixth.status_code == TOO_MANY
    assert len(practice.outbox) == 5


def test_session_expires(
    portal: str, practice: FakePractice, clock: Clock, item: PortalItem
) -> None:
    """Thirty minutes after verification the session no longer reads the message."""
    with httpx.Client(base_url=portal) as client:
        sign_in(client, item, practice)
        clock.advance(timedelta(minutes=31))
        assert client.get("/message").status_code == UNAUTHORIZED
        assert client.get("/attachment/0").status_code == UNAUTHORIZED
    assert "portal-download" not in practice.actions()


def test_expired_link(portal: str, practice: FakePractice, clock: Clock, item: PortalItem) -> None:
    """A link past its expiry shows an expired page and is audited."""
    clock.advance(timedelta(days=15))
    with httpx.Client(base_url=portal) as client:
        resp = client.get(f"/p/{item.token}")
    assert resp.status_code == GONE
    assert practice.events == [
        (
            "portal-expired",
            {"item": item.item_id, "ref": "PG-20261128-PORTAL01"},
            "PG-20261128-PORTAL01",
        )
    ]


def test_unverified_session_cannot_read(
    portal: str, practice: FakePractice, item: PortalItem
) -> None:
    """Before the code, the message, attachments, reply and consent all send to /verify."""
    with httpx.Client(base_url=portal) as client:
        page = start(client, item)
        for path in ("/message", "/attachment/0", "/consent"):
            assert client.get(path).headers["location"] == "/verify"
        resp = client.post("/reply", data={"csrf": csrf(page), "reply": REPLY})
        assert resp.headers["location"] == "/verify"
    assert practice.events == []


def test_consent_in_the_portal(portal: str, practice: FakePractice, item: PortalItem) -> None:
    """Accepting the disclosure records consent, tells the practice without PHI, and audits."""
    with httpx.Client(base_url=portal) as client:
        sign_in(client, item, practice)
        page = client.get("/consent")
        assert page.status_code == HTTP_OK and DISCLOSURE[1] in page.text
        unticked = client.post("/consent", data={"csrf": csrf(page), "version": DISCLOSURE[0]})
        assert unticked.status_code == BAD_REQUEST
        stale = client.post(
            "/consent", data={"csrf": csrf(page), "version": "1999-01", "accept": "yes"}
        )
        assert stale.status_code == BAD_REQUEST
        assert practice.consents == []
        done = client.post(
            "/consent",
            data={
                "csrf": csrf(page),
                "version": DISCLOSURE[0],
                "accept": "yes",
                "scope": "appointment_reminders",
                "days": "365",
            },
        )
        assert done.status_code == HTTP_OK
    [(roster_id, address, version, terms)] = practice.consents
    assert (roster_id, address, version) == (ROSTER_ID, RECIPIENT, DISCLOSURE[0])
    assert terms.scopes == ("appointment_reminders",)
    to, raw = practice.outbox[-1]
    assert to == SETTINGS.practice_address
    assert b"C-0001" in raw
    for secret in PLANTED:
        assert secret.encode() not in raw
    action, details, _ref = practice.events[-1]
    assert action == "portal-consent"
    assert details["consent_id"] == "C-0001" and details["version"] == DISCLOSURE[0]


def test_logout_ends_the_session(portal: str, practice: FakePractice, item: PortalItem) -> None:
    """Signing out forgets the session on the server."""
    with httpx.Client(base_url=portal) as client:
        page = sign_in(client, item, practice)
        old = client.cookies.get(SETTINGS.session_cookie)
        assert client.post("/logout", data={"csrf": csrf(page)}).status_code == HTTP_OK
        assert old is not None
        client.cookies.set(SETTINGS.session_cookie, old)
        assert client.get("/message").status_code == UNAUTHORIZED


def test_no_phi_or_token_in_audit_or_logs(
    portal: str, practice: FakePractice, caplog: pytest.LogCaptureFixture, item: PortalItem
) -> None:
    """Audit details and every log record stay free of PHI, addresses and the token."""
    with caplog.at_level(logging.DEBUG):
        with httpx.Client(base_url=portal) as first:
            page = send_code(first, start(first, item))
            first.post("/verify", data={"csrf": csrf(page), "code": "0000000", "dob": "x"})
        with httpx.Client(base_url=portal) as client:
            page = sign_in(client, item, practice)
            client.get("/attachment/0")
            client.post("/reply", data={"csrf": csrf(page), "reply": REPLY})
    # The test's own HTTP client logs its URLs and headers; only the server side counts.
    server_side = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert any(r.name == "uvicorn.access" for r in server_side)  # pytest attaches anyway
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in server_side)
    audited = repr(practice.events)
    for secret in (*PLANTED, SENDER, item.token, REPLY, ATTACHMENT_NAME):
        assert secret not in logged, secret
        assert secret not in audited, secret
    assert practice.actions() == [
        "portal-code-failed",
        "portal-view",
        "portal-download",
        "portal-reply",
    ]
    for _a, details, ref in practice.events:
        assert details["item"] == item.item_id and ref == "PG-20261128-PORTAL01"
