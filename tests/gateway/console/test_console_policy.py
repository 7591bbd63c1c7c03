"""The policy page: a draft's error at its line, a message tried per recipient with every rule
hit and miss, the example suite, and applying (old version kept, audited; auditors refused)."""

from __future__ import annotations

import html
from pathlib import Path

import httpx

from gateway.audit import AuditLog
from tests.gateway.console.conftest import Console, csrf_of

FORBIDDEN = 403
UNPROCESSABLE = 422

MESSAGE = (
    "From: Dr. Who <dr.who@practice.example>\n"
    "To: someone@elsewhere.example\n"
    "Subject: lunch\n"
    "\n"
    "See you at noon.\n"
)


def _broken(text: str) -> tuple[str, int]:
    """The policy with the `internal` rule's action misspelt, and that line's number (1-based)."""
    lines = text.splitlines()
    start = lines.index("  - name: internal")
    n = next(i for i in range(start, len(lines)) if lines[i].strip() == "action: deliver")
    lines[n] = lines[n].replace("deliver", "teleport")
    return "\n".join(lines) + "\n", n + 1


def _form(client: httpx.Client) -> str:
    return csrf_of(client.get("/policy").text)


def test_draft_error_names_its_line(console: Console, policy_file: Path) -> None:
    """A bad draft is refused with <draft>:line:column and that line is marked in the listing."""
    client = console.signed_in("aud")
    draft, line = _broken(policy_file.read_text(encoding="utf-8"))
    resp = client.post("/policy/check", data={"csrf": _form(client), "policy": draft})
    assert resp.status_code == UNPROCESSABLE
    assert f"&lt;draft&gt;:{line}:" in resp.text and "teleport" in resp.text
    assert f'<span id="line-{line}" class="bad">' in resp.text
    good = client.post(
        "/policy/check",
        data={"csrf": _form(client), "policy": policy_file.read_text(encoding="utf-8")},
    )
    assert good.status_code == 200 and "valid policy" in good.text


def test_trial_shows_each_rule_hit_and_miss(console: Console, policy_file: Path) -> None:
    """A pasted message gets its recipient's decision and every rule tried, hit or miss."""
    client = console.signed_in("aud")
    resp = client.post(
        "/policy/trial",
        data={
            "csrf": _form(client),
            "policy": policy_file.read_text(encoding="utf-8"),
            "message": MESSAGE,
        },
    )
    assert resp.status_code == 200, resp.text
    assert "someone@elsewhere.example: deliver" in resp.text
    assert "<td>no-phi</td><td>hit</td>" in resp.text
    assert "<td>phi-elsewhere</td><td>miss</td>" in resp.text


def test_apply_keeps_the_old_version_and_is_audited(
    console: Console, policy_file: Path, audit_log: AuditLog
) -> None:
    """Applying replaces the file, keeps the old one in .history, and records both hashes."""
    old = policy_file.read_text(encoding="utf-8")
    new = old.replace("no PHI found; deliver unchanged", "no PHI found, so deliver as is")
    assert new != old
    auditor = console.signed_in("aud")
    refused = auditor.post("/policy/apply", data={"csrf": _form(auditor), "policy": new})
    assert refused.status_code == FORBIDDEN
    assert policy_file.read_text(encoding="utf-8") == old
    officer = console.signed_in("olga")
    resp = officer.post("/policy/apply", data={"csrf": _form(officer), "policy": new})
    assert resp.status_code == 200 and "Applied" in resp.text
    assert policy_file.read_text(encoding="utf-8") == new
    (kept,) = (policy_file.parent / ".history").iterdir()
    assert kept.read_text(encoding="utf-8") == old
    (event,) = [r for r in audit_log.records(200) if r["action"] == "console-policy-apply"]
    assert event["stages"][0]["by"] == "olga" and event["stages"][0]["kept"] == str(kept)


def test_bad_draft_is_not_applied(console: Console, policy_file: Path) -> None:
    """Apply validates first: a draft with an error leaves the file as it was."""
    old = policy_file.read_text(encoding="utf-8")
    draft, line = _broken(old)
    client = console.signed_in("ann")
    resp = client.post("/policy/apply", data={"csrf": _form(client), "policy": draft})
    assert resp.status_code == UNPROCESSABLE and f"&lt;draft&gt;:{line}:" in resp.text
    assert policy_file.read_text(encoding="utf-8") == old
    assert not (policy_file.parent / ".history").exists()


def test_suite_runs_with_the_draft(console: Console, policy_file: Path) -> None:
    """The example suite runs against the draft and every case is listed with its result."""
    suite = (
        Path(__file__).resolve().parents[3] / "policies" / "examples" / "suite.yaml"
    ).read_text(encoding="utf-8")
    names = [
        line.split("- name:", 1)[1].strip() for line in suite.splitlines() if "- name:" in line
    ]
    client = console.signed_in("aud")
    resp = client.post(
        "/policy/suite",
        data={"csrf": _form(client), "policy": policy_file.read_text(encoding="utf-8")},
    )
    assert resp.status_code == 200
    assert "passed," in resp.text
    for name in names:
        assert html.escape(name, quote=False) in resp.text
