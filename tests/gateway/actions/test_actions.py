"""Actions on loopback: tag, DKIM on changed copies only, and unavailable actions falling through."""

from __future__ import annotations

import smtplib
from pathlib import Path

import dkim

from tests.support import POLICIES
from tests.support.dkim import DOMAIN, SELECTOR, dns_for
from tests.support.gateway import make_settings, port_of, running_gateway

# The DKIM tests' fixtures, reused here.

RAW = (
    b"From: Desk <desk@practice.example>\r\nTo: a@partner.example\r\nSubject: Hours\r\n"
    b"Date: Mon, 16 Nov 2026 09:30:00 -0500\r\nMessage-ID: <t1@practice.example>\r\n\r\n"
    b"We are closed on Friday.\r\n"
)


def _policy(tmp_path: Path, rules: str) -> str:
    p = tmp_path / "p.yaml"
    p.write_text("version: 1\nrules:\n" + rules)
    return str(p)


def _send(port: int, rcpts: list[str]) -> int:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        s.ehlo()
        s.mail("desk@practice.example")
        for r in rcpts:
            s.rcpt(r)
        return s.data(RAW)[0]


def test_tag_adds_a_header_and_a_subject_tag_and_keeps_the_body(tmp_path: Path, sink):
    """A tag rule adds its header and subject prefix; everything else is byte-identical."""
    policy = _policy(
        tmp_path,
        '  - {name: t, action: {tag: {header: "X-PHI-Reviewed: yes", subject_tag: "[EXTERNAL]"}}}\n',
    )
    with running_gateway(make_settings(tmp_path, sink[1], policy_file=policy)) as gw:
        assert _send(port_of(gw), ["a@partner.example"]) == 250
    out = sink[0].messages[0].content
    assert b"Subject: [EXTERNAL] Hours\r\n" in out
    assert b"X-PHI-Reviewed: yes\r\n" in out
    assert out.split(b"\r\n\r\n", 1)[1] == RAW.split(b"\r\n\r\n", 1)[1]


def test_dkim_signs_what_phigate_changed_but_not_untouched_mail(
    tmp_path: Path, sink, key_file, rsa_key
):
    """A tagged copy carries a valid DKIM signature; an untouched copy is passed on unsigned."""
    policy = _policy(
        tmp_path,
        '  - {name: t, when: {recipient: {domain: tagged.example}}, action: {tag: {subject_tag: "[EXT]"}}}\n'
        "  - {name: rest, action: deliver}\n",
    )
    settings = make_settings(
        tmp_path,
        sink[1],
        policy_file=policy,
        dkim={"domain": DOMAIN, "selector": SELECTOR, "key_file": str(key_file)},
    )
    with running_gateway(settings) as gw:
        assert _send(port_of(gw), ["x@tagged.example", "y@plain.example"]) == 250
    by_rcpt = {m.rcpt_tos[0]: m.content for m in sink[0].messages}
    assert by_rcpt["y@plain.example"] == RAW
    tagged = by_rcpt["x@tagged.example"]
    assert tagged.startswith(b"DKIM-Signature:")
    assert dkim.verify(tagged, dnsfunc=dns_for(rsa_key))


def test_portal_and_consent_fall_through_until_configured(tmp_path: Path, sink):
    """With no portal or consent registry, those actions serve nobody and the fallback applies."""
    policy = _policy(
        tmp_path, "  - {name: p, action: portal, fallback: [consent_allow, deliver]}\n"
    )
    with running_gateway(make_settings(tmp_path, sink[1], policy_file=policy)) as gw:
        assert _send(port_of(gw), ["a@partner.example"]) == 250
    assert [m.content for m in sink[0].messages] == [RAW]


def test_the_shipped_policy_examples_pass():
    """`phigate policy test --suite policies/examples` passes every case."""
    import io

    from gateway.cli.policy import run_suite
    from gateway.config import load_settings

    out = io.StringIO()
    code = run_suite(POLICIES / "examples", load_settings(None), None, out)
    assert code == 0, out.getvalue()
    assert "10 passed, 0 failed" in out.getvalue()
