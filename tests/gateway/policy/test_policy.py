"""Policy rules: conditions per recipient, first match wins, fallbacks, monitor mode, triggers."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from detectors.findings import Finding
from gateway.actions.deliver import DeliverAction
from gateway.config import DeliverySettings, GroupSettings
from gateway.message import RfcParser
from gateway.mime.headers import apply_header_edits
from gateway.model import (
    ActContext,
    ActResult,
    ConfigError,
    Delivery,
    Detection,
    Envelope,
    Outcome,
    Reply,
)
from gateway.pipeline import Pipeline
from gateway.policy.facts import Groups
from gateway.policy.rules import PolicyDocument, RulePolicy, load_policy
from gateway.yamlconf import load_yaml, validate

ALL_ACTIONS = ["deliver", "encrypt", "portal", "block", "quarantine", "consent_allow", "tag"]
GROUPS = Groups(
    {
        "internal": GroupSettings(domains=("practice.example",)),
        "business_associates": GroupSettings(domains=("lab.example",)),
        "patients": GroupSettings(domains=("gmail.com",), addresses=("pat@home.example",)),
    }
)
RAW = (
    b"From: Dr A <a@practice.example>\r\nTo: x@lab.example\r\nSubject: [secure] Labs\r\n"
    b"X-Phigate-Encrypt: yes\r\nMessage-ID: <p1@practice.example>\r\n\r\nbody text\r\n"
)


def _doc(text: str) -> PolicyDocument:
    data, marks = load_yaml(text, "test.yaml")
    return validate(PolicyDocument, data, marks, "test.yaml")


def _finding(entity: str, part: str = "body", category: str = "identifier") -> Finding:
    return Finding(entity, part, 0, 4, 0.9, "test", "****", category)


def _decide(
    text: str,
    detection: Detection,
    rcpts=("x@lab.example",),
    raw: bytes = RAW,
    sender="a@practice.example",
):
    policy = RulePolicy(_doc(text), GROUPS)
    parsed = RfcParser().parse(raw)
    envelope = Envelope(sender, tuple(rcpts))
    facts = policy.facts(parsed, envelope, detection)
    return policy.decide(parsed, envelope, detection, facts)


PHI = Detection(
    phi=True, score=0.8, findings=(_finding("MRN"), _finding("DIAGNOSIS", category="health"))
)
SSN_IN_SUBJECT = Detection(phi=True, score=0.9, findings=(_finding("US_SSN", "subject"),))
CLEAN = Detection()


@pytest.mark.parametrize(
    ("when", "detection", "rcpt", "matches"),
    [
        ("{phi: true}", PHI, "x@lab.example", True),
        ("{phi: true}", CLEAN, "x@lab.example", False),
        ("{phi: false}", CLEAN, "x@lab.example", True),
        ("{phi: {min_score: 0.85}}", PHI, "x@lab.example", False),
        ("{phi: {min_score: 0.75}}", PHI, "x@lab.example", True),
        ("{recipient: {domain: lab.example}}", CLEAN, "x@lab.example", True),
        ("{recipient: {domain: lab.example}}", CLEAN, "x@sub.lab.example", True),
        ("{recipient: {domain: lab.example}}", CLEAN, "x@notlab.example", False),
        ("{recipient: {address: Pat@Home.example}}", CLEAN, "pat@home.example", True),
        ("{recipient: {group: patients}}", CLEAN, "someone@gmail.com", True),
        ("{recipient: {group: patients}}", CLEAN, "pat@home.example", True),
        ("{recipient: {group: [internal, business_associates]}}", CLEAN, "x@lab.example", True),
        ("{recipient: {group: internal}}", CLEAN, "x@lab.example", False),
        ("{sender: {group: internal}}", CLEAN, "x@lab.example", True),
        ("{sender: {domain: other.example}}", CLEAN, "x@lab.example", False),
        ("{entities: {any_of: [US_SSN, MRN]}}", PHI, "x@lab.example", True),
        ("{entities: {all_of: [US_SSN, MRN]}}", PHI, "x@lab.example", False),
        ("{entities: {all_of: [MRN, DIAGNOSIS]}}", PHI, "x@lab.example", True),
        ("{entities: {any_of: [MRN], min_count: 2}}", PHI, "x@lab.example", False),
        ("{where: subject}", SSN_IN_SUBJECT, "x@lab.example", True),
        ("{where: [attachment, body]}", SSN_IN_SUBJECT, "x@lab.example", False),
        ("{trigger: true}", CLEAN, "x@lab.example", True),
        ("{already_encrypted: true}", CLEAN, "x@lab.example", False),
        ("{unscannable: true}", Detection(unscannable=("zip",)), "x@lab.example", True),
        ("{size: {max: 50}}", CLEAN, "x@lab.example", False),
        ("{size: {min: 50, max: 100000}}", CLEAN, "x@lab.example", True),
    ],
)
def test_each_condition(when: str, detection: Detection, rcpt: str, matches: bool):
    """Each condition matches exactly when it should."""
    text = f"version: 1\nrules:\n  - name: r\n    when: {when}\n    action: block\n  - name: rest\n    action: deliver\n"
    decision = _decide(text, detection, (rcpt,))
    assert decision.routes[0].rule == ("r" if matches else "rest")


def test_first_match_wins_per_recipient_and_recipients_are_split():
    """Each recipient gets its own first matching rule; recipients sharing a rule share a route."""
    text = """version: 1
rules:
  - {name: patients, when: {phi: true, recipient: {group: patients}}, action: portal, fallback: [block]}
  - {name: partners, when: {phi: true, recipient: {group: business_associates}}, action: {encrypt: {methods: [pgp]}}}
  - {name: catch-all, action: deliver}
"""
    d = _decide(text, PHI, ("p@gmail.com", "x@lab.example", "y@lab.example", "z@else.example"))
    routes = {r.rule: r for r in d.routes}
    assert routes["patients"].recipients == ("p@gmail.com",)
    assert routes["patients"].step.action == "portal"
    assert [s.action for s in routes["patients"].fallback] == ["block"]
    assert routes["partners"].recipients == ("x@lab.example", "y@lab.example")
    assert routes["partners"].step.params["methods"] == ("pgp",)
    assert routes["catch-all"].recipients == ("z@else.example",)
    assert d.action == "split"


def test_trigger_is_removed_by_header_edits_and_only_headers_change():
    """A [secure] tag and X-Phigate-Encrypt header are removed; the body bytes stay identical."""
    d = _decide(
        "version: 1\nrules:\n  - {name: r, when: {trigger: true}, action: deliver}\n", CLEAN
    )
    out = apply_header_edits(RAW, d.edits)
    assert b"Subject: Labs\r\n" in out
    assert b"X-Phigate-Encrypt" not in out and b"[secure]" not in out
    assert out.split(b"\r\n\r\n", 1)[1] == RAW.split(b"\r\n\r\n", 1)[1]


def test_non_ascii_subject_edits_are_encoded():
    """An edited non-ASCII subject is written as an RFC 2047 encoded word."""
    raw = "Subject: [encrypt] Résultats\r\nFrom: a@practice.example\r\n\r\nx\r\n".encode()
    d = _decide("version: 1\nrules:\n  - {name: r, action: deliver}\n", CLEAN, raw=raw)
    out = apply_header_edits(raw, d.edits)
    parsed = RfcParser().parse(out)
    assert str(parsed.message["Subject"]) == "Résultats"
    assert out.split(b"\r\n\r\n")[0].isascii()


def test_no_matching_rule_fails_closed():
    """A policy without a catch-all that matches nothing for a recipient is a policy error."""
    from gateway.model import PolicyError

    with pytest.raises(PolicyError, match="no rule matched"):
        _decide("version: 1\nrules:\n  - {name: r, when: {phi: true}, action: block}\n", CLEAN)


class Recorder:
    """An action that records what it was asked and serves only some recipients."""

    def __init__(self, name: str, serve: set[str] | None = None, reply: Reply | None = None):
        self.name = name
        self.serve = serve
        self.reply = reply
        self.calls: list[ActContext] = []

    async def act(self, ctx: ActContext) -> ActResult:
        self.calls.append(ctx)
        served = [r for r in ctx.envelope.rcpt_tos if self.serve is None or r in self.serve]
        return ActResult(
            deliveries=tuple(
                Delivery(
                    ctx.envelope.mail_from, (r,), b"[" + self.name.encode() + b"]" + ctx.message.raw
                )
                for r in served
            ),
            unserved=tuple(r for r in ctx.envelope.rcpt_tos if r not in served),
            reply=self.reply,
        )


class Sink:
    def __init__(self) -> None:
        self.deliveries: tuple[Delivery, ...] = ()

    async def deliver(self, deliveries, ref_id) -> Outcome:
        self.deliveries = deliveries
        return Outcome(Reply(250, "2.0.0", "Ok"))


def _run(policy_text: str, actions: dict, detection: Detection, rcpts: tuple[str, ...]):
    class FixedDetector:
        name = "fixed"

        def detect(self, message, envelope):
            return detection

    sink = Sink()
    p = Pipeline(RfcParser(), FixedDetector(), RulePolicy(_doc(policy_text), GROUPS), actions, sink)
    verdict = asyncio.run(p.run(Envelope("a@practice.example", rcpts), RAW))
    return verdict, sink


def test_fallbacks_serve_whoever_the_first_action_could_not():
    """encrypt -> portal -> block: each recipient ends with the first action that can serve it."""
    text = "version: 1\nrules:\n  - {name: r, action: encrypt, fallback: [portal, block]}\n"
    encrypt = Recorder("encrypt", serve={"k@lab.example"})
    portal = Recorder("portal", serve=set())
    block = Recorder("block")
    verdict, sink = _run(
        text,
        {
            "encrypt": encrypt,
            "portal": portal,
            "block": block,
            "deliver": DeliverAction(DeliverySettings()),
        },
        PHI,
        ("k@lab.example", "n@lab.example"),
    )
    assert verdict.reply.code == 250
    assert [c.envelope.rcpt_tos for c in encrypt.calls] == [("k@lab.example", "n@lab.example")]
    assert [c.envelope.rcpt_tos for c in portal.calls] == [("n@lab.example",)]
    assert [c.envelope.rcpt_tos for c in block.calls] == [("n@lab.example",)]
    assert block.calls[0].attempted == ("encrypt", "portal")
    assert sorted(d.content[:9] for d in sink.deliveries) == [b"[block]Fr", b"[encrypt]"]
    assert "encrypt:1" in verdict.stages[-2].reason and "block:1" in verdict.stages[-2].reason


def test_nobody_can_serve_fails_closed_with_451():
    """When no action or fallback can serve a recipient, nothing leaves and the reply is 451."""
    text = "version: 1\nrules:\n  - {name: r, action: encrypt, fallback: [portal]}\n"
    verdict, sink = _run(
        text,
        {
            "encrypt": Recorder("encrypt", serve=set()),
            "portal": Recorder("portal", serve=set()),
            "deliver": DeliverAction(DeliverySettings()),
        },
        PHI,
        ("n@lab.example",),
    )
    assert verdict.reply.code == 451 and sink.deliveries == ()


def test_monitor_mode_delivers_unchanged_and_records_what_it_would_do():
    """A monitored rule delivers the original bytes (trigger kept) and the Verdict says so."""
    text = "version: 1\nmonitor: true\nrules:\n  - {name: r, action: block}\n"
    block = Recorder("block")
    verdict, sink = _run(
        text,
        {"block": block, "deliver": DeliverAction(DeliverySettings())},
        PHI,
        ("x@lab.example",),
    )
    assert block.calls == []
    assert [d.content for d in sink.deliveries] == [RAW]
    assert verdict.stages[2].outcome == "monitor:block"


def test_a_reject_for_every_recipient_becomes_the_smtp_reply():
    """Before-queue style: when every route refuses, the SMTP reply carries the 5.7.x refusal."""
    refusal = Reply(550, "5.7.1", "Message blocked by rule r; ref X")
    text = "version: 1\nrules:\n  - {name: r, action: block}\n"
    verdict, sink = _run(
        text,
        {"block": Recorder("block", reply=refusal), "deliver": DeliverAction(DeliverySettings())},
        PHI,
        ("x@lab.example", "y@lab.example"),
    )
    assert (verdict.reply.code, verdict.reply.status) == (550, "5.7.1")
    assert sink.deliveries == (), "the client sees the refusal; no notice is sent as well"


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        (
            "version: 1\nrules:\n  - {name: a, action: {encrypt: {methods: [smime, rot13]}}}\n",
            ":3:",
            "methods",
        ),
        (
            "version: 1\nrules:\n  - {name: a, when: {recipient: {group: vips}}, action: block}\n",
            ":3:",
            "unknown group 'vips'",
        ),
        (
            "version: 1\nrules:\n  - {name: a, when: {entities: {any_of: [SSN]}}, action: block}\n",
            ":3:",
            "unknown entity type 'SSN'",
        ),
        ("version: 1\nrules:\n  - {name: a, when: {phi: maybe}, action: block}\n", ":3:", "phi"),
        (
            "version: 1\nrules:\n  - {name: a, action: block, fallback: [teleport]}\n",
            ":3:",
            "unknown action 'teleport'",
        ),
        (
            "version: 1\nrules:\n  - {name: a, when: {recipient: {}}, action: block}\n",
            ":3:",
            "at least one",
        ),
        ("version: 1\nrules:\n  - {name: a, action: {tag: {}}}\n", ":3:", "header or subject_tag"),
        (
            "version: 1\nrules:\n  - name: a\n    when: {where: [footer]}\n    action: block\n",
            ":4:",
            "where",
        ),
    ],
)
def test_bad_policies_are_refused_with_file_and_line(
    tmp_path: Path, text: str, where: str, what: str
):
    """Unknown keys, wrong types and unknown actions, groups or entity types name the line."""
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_policy(path, ALL_ACTIONS, GROUPS.names())
    assert f"{path}{where}" in str(err.value)
    assert what in str(err.value)


def test_policy_test_cli_takes_several_messages_one_json_line_each(tmp_path: Path, capsys):
    """Several messages are tested in one run: a JSON line each, naming its file, with the
    report a run of that message alone gives; an unreadable one is a one-line error."""
    from gateway.cli.main import main

    clean, phi = tmp_path / "clean.eml", tmp_path / "phi.eml"
    clean.write_bytes(
        b"From: news@practice.example\r\nTo: a@partner.example\r\nSubject: Hours\r\n\r\n"
        b"We are closed on Friday.\r\n"
    )
    phi.write_bytes(
        b"From: dr@practice.example\r\nTo: b@gmail.com\r\nSubject: Results\r\n\r\n"
        b"Patient Jordan Avery, DOB 03/14/1961, MRN 7734102: A1c 8.2%, diabetes.\r\n"
    )
    alone = {}
    for path in (clean, phi):
        assert main(["policy", "test", str(path), "--json"]) == 0
        alone[str(path)] = json.loads(capsys.readouterr().out)
    assert main(["policy", "test", str(clean), str(phi), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line.pop("message") for line in lines] == [str(clean), str(phi)]
    assert lines == [alone[str(clean)], alone[str(phi)]]
    assert lines[0]["recipients"][0]["action"] != lines[1]["recipients"][0]["action"]

    assert main(["policy", "test", str(clean), str(tmp_path / "missing.eml")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{tmp_path / 'missing.eml'}: cannot read" in err[0], err


def test_policy_test_cli_prints_json_per_recipient(tmp_path: Path, capsys):
    """`policy test --json` gives recipients with address, action, method, rule and reasons."""
    from gateway.cli.main import main

    msg = tmp_path / "m.eml"
    msg.write_bytes(
        b"From: news@practice.example\r\nTo: a@partner.example, b@gmail.com\r\nSubject: Hours\r\n\r\n"
        b"We are closed on Friday.\r\n"
    )
    assert main(["policy", "test", str(msg), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    rows = {r["address"]: r for r in report["recipients"]}
    assert set(rows) == {"a@partner.example", "b@gmail.com"}
    for r in rows.values():
        assert set(r) == {
            "address",
            "action",
            "method",
            "rule",
            "reasons",
            "tried",
            "misdirected",
        }
        assert r["action"] == "deliver" and r["rule"] == "no-phi"
        assert any("no-phi: matched" in reason for reason in r["reasons"])
        # every rule tried, a miss with its reason, the last one the match
        assert r["tried"][-1] == {"rule": "no-phi", "matched": True, "reason": "matched"}
        assert all(not t["matched"] and t["reason"] for t in r["tried"][:-1])
        assert r["misdirected"] is False


def test_policy_test_human_output_marks_a_misdirected_recipient() -> None:
    """The text output flags the recipient the roster says is not the patient's own address."""
    import io

    from gateway.cli.policy import render

    row = {"method": None, "rule": "misdirected", "reasons": [], "action": "quarantine"}
    report = {
        "phi": True,
        "score": 0.9,
        "trigger": False,
        "already_encrypted": False,
        "unscannable": False,
        "recipients": [
            {**row, "address": "a@gmail.example", "misdirected": True},
            {**row, "address": "b@gmail.example", "misdirected": False},
        ],
    }
    out = io.StringIO()
    render(report, False, out)
    lines = out.getvalue().splitlines()
    assert lines[1].endswith("[misdirected: not this patient's address]")
    assert "misdirected:" not in lines[2]
