"""The console over a real uvicorn with TLS: sign-in, roles, CSRF, lock-out, trace,
quarantine and the audit trail of every action."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from gateway.audit import AuditLog
from gateway.quarantine import QuarantineStore
from tests.gateway.console.conftest import PASSWORD, Console, csrf_of
from tests.support.quarantine import PLANTED, RAW, RECIPIENTS, SENDER, put
from tests.support.reports import ALICE, MESSAGES, SINCE, UNTIL, fill_month

SEE_OTHER = 303
FORBIDDEN = 403
NOT_FOUND = 404


def _events(log: AuditLog, prefix: str) -> list[dict[str, object]]:
    return [r for r in log.records(500) if str(r["action"]).startswith(prefix)]


def _post(client: httpx.Client, path: str, page: str, **data: str) -> httpx.Response:
    return client.post(path, data={"csrf": csrf_of(client.get(page).text), **data})


def test_login_sets_host_cookies_and_is_audited(console: Console, audit_log: AuditLog) -> None:
    """Password + TOTP signs in; the session cookie is __Host-, Secure, HttpOnly, SameSite."""
    client = console.client()
    resp = console.login(client, "olga")
    assert resp.status_code == SEE_OTHER and resp.headers["location"] == "/"
    cookie = next(
        c for c in resp.headers.get_list("set-cookie") if c.startswith("__Host-pgconsole=")
    )
    for attr in ("Secure", "HttpOnly", "SameSite=strict", "Path=/"):
        assert attr in cookie
    assert client.get("/trace").status_code == 200
    logins = _events(audit_log, "console-login")
    assert [r["action"] for r in logins] == ["console-login"]
    assert PASSWORD not in str(logins)


def test_wrong_and_replayed_codes_are_refused(console: Console, audit_log: AuditLog) -> None:
    """A wrong code fails; a code that already signed in once fails the second time."""
    client = console.client()
    assert console.login(client, "olga", code="000000").status_code == FORBIDDEN
    code = console.code("olga")
    assert console.login(console.client(), "olga", code=code).status_code == SEE_OTHER
    again = console.login(console.client(), "olga", code=code)
    assert again.status_code == FORBIDDEN and "Sign-in failed" in again.text
    reasons = [r["stages"][0]["reason"] for r in _events(audit_log, "console-login-failed")]
    assert sorted(reasons) == ["replayed code", "wrong code"]


def test_lockout_after_three_failures(console: Console) -> None:
    """Three wrong passwords lock the account: the right password and code then fail too,
    until the lock-out has passed."""
    for _ in range(3):
        assert (
            console.login(console.client(), "ann", password="wrong password!").status_code
            == FORBIDDEN
        )
    assert console.login(console.client(), "ann").status_code == FORBIDDEN
    (ann,) = [u for u in console.store.users() if u.name == "ann"]
    assert ann.locked_until is not None and ann.locked_until > console.clock()
    console.clock.advance(timedelta(minutes=16))
    assert console.login(console.client(), "ann").status_code == SEE_OTHER


def test_unknown_user_and_disabled_user(console: Console, audit_log: AuditLog) -> None:
    """An unknown name is refused like a wrong password, and the audit record does not keep
    it (it may be a password typed into the name field); disabling a user ends their session."""
    assert console.login(console.client(), "nobody", code="123456").status_code == FORBIDDEN
    failed = _events(audit_log, "console-login-failed")
    assert [r["stages"][0]["reason"] for r in failed] == ["unknown user"]
    assert "nobody" not in str(failed)
    client = console.signed_in("olga")
    console.store.disable("olga")
    resp = client.get("/trace")
    assert resp.status_code == SEE_OTHER and resp.headers["location"] == "/login"


def test_post_without_csrf_is_refused(console: Console, store: QuarantineStore) -> None:
    """A POST without the session's CSRF token (or a login without the login cookie) is 403
    and changes nothing."""
    entry = put(store)
    client = console.signed_in("ann")
    resp = client.post(f"/quarantine/{entry}/delete", data={"csrf": "forged"})
    assert resp.status_code == FORBIDDEN
    assert client.post(f"/quarantine/{entry}/delete").status_code == FORBIDDEN
    assert store.meta(entry)["status"] == "held"
    fresh = console.client()
    no_cookie = fresh.post(
        "/login",
        data={"csrf": "x", "user": "ann", "password": PASSWORD, "code": console.code("ann")},
    )
    assert no_cookie.status_code == FORBIDDEN and "__Host-pgconsole=" not in str(no_cookie.headers)


@pytest.mark.parametrize("action", ["reveal", "release", "delete"])
def test_auditor_may_not_act(
    console: Console, store: QuarantineStore, audit_log: AuditLog, action: str
) -> None:
    """An auditor reads the quarantine but every mutating route answers 403."""
    entry = put(store)
    client = console.signed_in("aud")
    page = client.get(f"/quarantine/{entry}")
    assert page.status_code == 200 and "Reveal message" not in page.text
    resp = client.post(f"/quarantine/{entry}/{action}", data={"csrf": csrf_of(page.text)})
    assert resp.status_code == FORBIDDEN
    assert store.meta(entry)["status"] == "held" and not console.released
    assert _events(audit_log, "console-denied")
    assert not _events(audit_log, f"quarantine-{action}")
    assert client.get("/senders").status_code == FORBIDDEN


def test_quarantine_masked_view_then_audited_reveal(
    console: Console, store: QuarantineStore, audit_log: AuditLog
) -> None:
    """The entry page shows no PHI; an officer's reveal shows the message and is audited."""
    entry = put(store)
    client = console.signed_in("olga")
    listing = client.get("/quarantine")
    assert entry in listing.text
    page = client.get(f"/quarantine/{entry}")
    for phi in PLANTED:
        assert phi not in page.text and phi not in listing.text
    shown = client.post(f"/quarantine/{entry}/reveal", data={"csrf": csrf_of(page.text)})
    assert shown.status_code == 200 and "SSN 123-45-6789" in shown.text
    (reveal,) = _events(audit_log, "quarantine-reveal")
    assert reveal["stages"][0]["entry"] == entry and reveal["stages"][0]["by"] == "olga"
    for phi in PLANTED:
        assert phi not in str(audit_log.records(500))


def test_release_delivers_and_marks_released(
    console: Console, store: QuarantineStore, audit_log: AuditLog
) -> None:
    """Release hands the held bytes to the next hop for the original recipients."""
    entry = put(store)
    client = console.signed_in("olga")
    resp = _post(client, f"/quarantine/{entry}/release", f"/quarantine/{entry}")
    assert resp.status_code == SEE_OTHER
    assert console.released == [(RAW, SENDER, RECIPIENTS)]
    assert store.meta(entry)["status"] == "released"
    assert [r["action"] for r in _events(audit_log, "quarantine-release")] == ["quarantine-release"]


def test_failed_release_keeps_the_entry_held(
    console: Console, store: QuarantineStore, audit_log: AuditLog
) -> None:
    """When the next hop refuses, the entry stays held and the failure is audited."""
    entry = put(store)
    console.deliver_ok = False
    client = console.signed_in("ann")
    resp = _post(client, f"/quarantine/{entry}/release", f"/quarantine/{entry}")
    assert resp.status_code == 502 and "still held" in resp.text
    assert store.meta(entry)["status"] == "held"
    assert _events(audit_log, "quarantine-release-failed")


def test_delete_shreds(console: Console, store: QuarantineStore) -> None:
    """Delete crypto-shreds the entry."""
    entry = put(store)
    client = console.signed_in("ann")
    resp = _post(client, f"/quarantine/{entry}/delete", f"/quarantine/{entry}")
    assert resp.status_code == SEE_OTHER
    assert store.meta(entry)["status"] == "deleted"


def test_trace_by_ref_sender_domain_and_day(console: Console, audit_log: AuditLog) -> None:
    """Trace finds messages by reference, sender address, recipient domain and date, and the
    record page shows every stage as recorded."""
    fill_month(audit_log)
    client = console.signed_in("aud")
    by_ref = client.get("/trace", params={"ref": "M3"})
    assert "/trace/M3" in by_ref.text and "/trace/M1" not in by_ref.text
    by_sender = client.get("/trace", params={"sender": ALICE, "day": "2026-11-10"})
    assert "/trace/M1" in by_sender.text and "/trace/M2" not in by_sender.text
    by_domain = client.get("/trace", params={"domain": "gmail.example", "day": "2026-11-12"})
    assert "/trace/M4" in by_domain.text and "/trace/M1" not in by_domain.text
    one = client.get("/trace/M3")
    assert one.status_code == 200
    for text in ("insurer-portal", "phi-external", "encrypt(pgp):1, portal:1", "decide"):
        assert text in one.text
    assert client.get("/trace/NOPE").status_code == NOT_FOUND
    bad = client.get("/trace", params={"day": "12/11/2026"})
    assert "use YYYY-MM-DD" in bad.text


def test_dashboard_counts_come_from_the_report(console: Console, audit_log: AuditLog) -> None:
    """The dashboard shows the period's PHI types with the counts the messages carried."""
    fill_month(audit_log)
    client = console.signed_in("aud")
    page = client.get("/", params={"days": "31"})
    assert page.status_code == 200 and "Audit chain verified" in page.text
    ssn = sum(
        dict(m.entities).get("US_SSN", 0)
        for m in MESSAGES
        if SINCE <= m.ts < UNTIL and not m.rejected
    )
    assert ssn > 0
    assert f"<title>US_SSN: {ssn}</title>" in page.text
    assert "<title>2026-11-12: 1</title>" in page.text


def test_dashboard_shows_what_monitor_mode_rules_would_have_done(
    console: Console, audit_log: AuditLog
) -> None:
    """The month holds one monitor-mode decision (M7 on 15 November: rule phi-external would
    have encrypted): the dashboard lists it over 31 days, apart from what really happened, and
    a window that ends before it shows none."""
    fill_month(audit_log)
    client = console.signed_in("aud")
    page = client.get("/", params={"days": "31"}).text
    table = page.split('id="monitor"', 1)[1].split("</table>", 1)[0]
    rows = [
        [cell.split(">", 1)[1] for cell in row.split("</td>")[:-1]]
        for row in table.split("<tr>")[2:]
    ]
    assert rows == [["phi-external", "encrypt", "1", "2026-11-15"]]
    console.clock.advance(timedelta(days=16))  # the window now ends 16 days later
    later = console.signed_in("aud").get("/", params={"days": "10"}).text
    assert "Dashboard" in later
    assert 'id="monitor"' not in later and "No rule in monitor mode" in later


def test_sender_directory_for_officers(console: Console, audit_log: AuditLog) -> None:
    """An officer resolves a staff sender's hash to the address; the lookup is audited."""
    digest = audit_log.keyed_hash(ALICE)
    console.store.remember_sender(digest, ALICE, console.clock())
    client = console.signed_in("olga")
    page = client.get("/senders", params={"hash": digest})
    assert ALICE in page.text
    assert _events(audit_log, "console-sender-lookup")


def test_sessions_are_shared_through_the_database(console: Console) -> None:
    """A session made on one node is valid on another console on the same database, and
    signing out ends it everywhere."""
    client = console.signed_in("olga")
    token = client.cookies.get("__Host-pgconsole")
    assert token is not None
    assert console.store.session(token, console.clock()) is not None
    page = client.get("/trace")
    out = client.post("/logout", data={"csrf": csrf_of(page.text)})
    assert out.status_code == SEE_OTHER
    assert console.store.session(token, console.clock()) is None
