"""The keys page: an imported S/MIME certificate is listed with its status, expiry and source;
imports are audited; an auditor cannot import or trust."""

from __future__ import annotations

from pathlib import Path

import httpx

from gateway.audit import AuditLog
from tests.gateway.console.conftest import Console, csrf_of
from tests.support.pki import Pki

FORBIDDEN = 403
UNPROCESSABLE = 422


def _csrf(client: httpx.Client) -> str:
    return csrf_of(client.get("/keys").text)


def test_import_lists_the_certificate(
    console: Console, pki: Pki, audit_log: AuditLog, policy_file: Path
) -> None:
    """An officer imports a partner's certificate; the list shows it as imported, with its
    fingerprint and expiry, and the import is audited."""
    leaf = pki.issue("results@lab.example", stem="console-lab")
    client = console.signed_in("olga")
    resp = client.post(
        "/keys/import",
        data={"csrf": _csrf(client), "kind": "smime"},
        files={"file": ("lab.pem", leaf.cert_path.read_bytes())},
    )
    assert resp.status_code == 200, resp.text
    assert "imported 1 certificate" in resp.text
    assert leaf.fingerprint[:16] in resp.text
    assert leaf.cert.not_valid_after_utc.isoformat() in resp.text
    assert "<td>imported</td>" in resp.text
    assert [
        r["action"] for r in audit_log.records(100) if r["action"].startswith("console-keys")
    ] == ["console-keys-import-smime"]


def test_garbage_is_refused(console: Console) -> None:
    """A file that is no certificate gets a clear error and nothing is listed."""
    client = console.signed_in("ann")
    resp = client.post(
        "/keys/import",
        data={"csrf": _csrf(client), "kind": "smime"},
        files={"file": ("x.pem", b"not a certificate")},
    )
    assert resp.status_code == UNPROCESSABLE
    assert "No certificates or keys." in resp.text


def test_auditor_reads_but_cannot_import_or_trust(console: Console, pki: Pki) -> None:
    """An auditor sees the list; import and trust are 403."""
    leaf = pki.issue("intake@heart.example", stem="console-heart")
    client = console.signed_in("aud")
    page = client.get("/keys")
    assert page.status_code == 200 and "Import" not in page.text
    token = csrf_of(page.text)
    resp = client.post(
        "/keys/import",
        data={"csrf": token, "kind": "smime"},
        files={"file": ("h.pem", leaf.cert_path.read_bytes())},
    )
    assert resp.status_code == FORBIDDEN
    trust = client.post(
        "/keys/trust", data={"csrf": token, "fingerprint": "AB" * 20, "address": "a@b.example"}
    )
    assert trust.status_code == FORBIDDEN
    assert leaf.fingerprint[:16] not in client.get("/keys").text
