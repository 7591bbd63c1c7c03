"""The pipeline's shape: stage results on the Verdict, fail-closed errors, one registry."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime

import pytest

from gateway.actions.deliver import DeliverAction
from gateway.components import default_registry
from gateway.config import DeliverySettings
from gateway.detect import NullDetector
from gateway.message import RfcParser
from gateway.model import (
    ActResult,
    Delivery,
    Detection,
    Envelope,
    Facts,
    HeaderEdit,
    Outcome,
    ParsedMessage,
    PolicyDecision,
    Reply,
    StageResult,
    Verdict,
)
from gateway.pipeline import Pipeline
from gateway.registry import DuplicateName, Registry

RAW = b"From: a@practice.example\r\nTo: b@partner.example\r\nSubject: x\r\n\r\nhello\r\n"
ENV = Envelope(mail_from="a@practice.example", rcpt_tos=("b@partner.example",))


ACCEPTED = Reply(250, "2.0.0", "Ok")


class RecordingDeliverer:
    def __init__(self, reply: Reply = ACCEPTED) -> None:
        self.calls: list[tuple[Delivery, ...]] = []
        self.reply = reply

    async def deliver(self, deliveries: tuple[Delivery, ...], ref_id: str) -> Outcome:
        self.calls.append(deliveries)
        return Outcome(reply=self.reply, next_hop_reply=str(self.reply))


class FixedPolicy:
    name = "fixed"

    def __init__(self, action: str = "deliver") -> None:
        self.action = action

    def facts(self, message: ParsedMessage, envelope: Envelope, detection: Detection) -> Facts:
        return Facts(sender=envelope.mail_from)

    def decide(
        self, message: ParsedMessage, envelope: Envelope, detection: Detection, facts: Facts
    ) -> PolicyDecision:
        return PolicyDecision(action=self.action, rule="r1", reason="because")


class BrokenDetector:
    name = "broken"

    def detect(self, message: ParsedMessage, envelope: Envelope) -> Detection:
        raise KeyError("boom")


def _pipeline(detector=None, policy=None, deliverer=None) -> tuple[Pipeline, RecordingDeliverer]:
    d = deliverer or RecordingDeliverer()
    p = Pipeline(
        RfcParser(),
        detector or NullDetector(),
        policy or FixedPolicy(),
        {"deliver": DeliverAction(DeliverySettings())},
        d,
    )
    return p, d


def test_each_stage_records_its_conclusion_and_the_original_bytes_leave():
    """parse, detect, decide, act and deliver each leave a StageResult; the raw bytes go out."""
    p, d = _pipeline()
    v = asyncio.run(p.run(ENV, RAW))
    assert [s.stage for s in v.stages] == ["parse", "detect", "decide", "act", "deliver"]
    assert v.reply.code == 250 and v.action == "deliver"
    assert v.decision is not None and v.decision.rule == "r1"
    assert d.calls[0][0].content == RAW
    assert d.calls[0][0].recipients == ENV.rcpt_tos


def test_parse_defects_are_recorded_on_the_verdict():
    """A message with MIME defects is still relayed, and its defects are on the Verdict."""
    raw = b"From: a@practice.example\r\nContent-Type: multipart/mixed\r\n\r\nno boundary at all\r\n"
    p, _ = _pipeline()
    v = asyncio.run(p.run(ENV, raw))
    assert "NoBoundaryInMultipartDefect" in v.defects
    assert v.stages[0].details["defects"] == list(v.defects)


def test_a_detector_error_fails_closed_with_451_and_nothing_is_delivered():
    """A crashing detector never lets the message out unscanned: 451, no delivery."""
    p, d = _pipeline(detector=BrokenDetector())
    v = asyncio.run(p.run(ENV, RAW))
    assert (v.reply.code, v.reply.status) == (451, "4.3.0")
    assert d.calls == []
    assert v.stages[-1].reason == "detector-failed"


def test_a_policy_naming_an_unknown_action_fails_closed():
    """A decision for an action nobody registered is a 451, not a delivery."""
    p, d = _pipeline(policy=FixedPolicy("teleport"))
    v = asyncio.run(p.run(ENV, RAW))
    assert v.reply.code == 451 and d.calls == []
    assert v.stages[-1].reason == "policy-failed"


def test_an_unparseable_message_gets_554_5_6_0():
    """Content with no header fields is refused permanently and never delivered."""
    p, d = _pipeline()
    v = asyncio.run(p.run(ENV, b"\r\n\r\njust a body\r\n"))
    assert (v.reply.code, v.reply.status) == (554, "5.6.0")
    assert d.calls == []


def test_an_action_may_answer_without_delivering():
    """An action that returns its own reply skips delivery (block, quarantine, portal)."""

    class Holding:
        name = "hold"

        async def act(self, ctx) -> ActResult:
            return ActResult(stored=True, note=f"held (ref {ctx.ref_id})")

    d = RecordingDeliverer()
    p = Pipeline(RfcParser(), NullDetector(), FixedPolicy("hold"), {"hold": Holding()}, d)
    v = asyncio.run(p.run(ENV, RAW))
    assert v.reply.code == 250 and d.calls == []
    assert v.stages[-1].outcome == "skipped"
    assert "stored" in v.reply.text


def test_a_duplicate_name_in_the_registry_fails():
    """Registering two components under one name is refused."""
    reg = Registry()
    reg.register("action", "deliver", DeliverAction)
    with pytest.raises(DuplicateName):
        reg.register("action", "deliver", DeliverAction)
    with pytest.raises(ValueError):
        reg.register("gizmo", "x", DeliverAction)


# What the default registry must hold, by kind: the seven policy actions, every `when:` key of a
# policy as a condition, both encryptors, and the two detectors (the test venv has no plugins).
DEFAULT_COMPONENTS = {
    "action": "deliver encrypt portal block quarantine consent_allow tag",
    "condition": "sender recipient phi phi_band entities where trigger already_encrypted unscannable "
    "size misdirected",
    "encryptor": "smime pgp",
    "detector": "null phi",
}


@pytest.mark.parametrize("kind", sorted(DEFAULT_COMPONENTS))
def test_the_default_registry_knows_every_built_in_component(kind: str):
    """Each built-in component is registered by name under its kind, and nothing else is."""
    assert set(default_registry().names(kind)) == set(DEFAULT_COMPONENTS[kind].split())


def test_an_unknown_component_is_named_in_the_error():
    with pytest.raises(KeyError, match="no action named 'teleport'"):
        default_registry().create("action", "teleport")


MULTIPART = (
    b"From: a@practice.example\r\nTo: b@partner.example\r\nSubject: results\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
    b"--XX\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
    b"--XX\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
    b"\r\nAAEC\r\n--XX--\r\n"
)


class CountingParser(RfcParser):
    def __init__(self) -> None:
        super().__init__()
        self.parsed = 0

    def parse(self, raw: bytes) -> ParsedMessage:
        self.parsed += 1
        return super().parse(raw)


class EditingPolicy(FixedPolicy):
    def decide(
        self, message: ParsedMessage, envelope: Envelope, detection: Detection, facts: Facts
    ) -> PolicyDecision:
        edits = (HeaderEdit("Subject", "[checked] results"), HeaderEdit("X-Phigate", "1", "add"))
        return PolicyDecision(action="deliver", rule="r1", reason="because", edits=edits)


def test_header_edits_reach_the_act_step_without_a_second_parse():
    """The act step gets the edited message, and the message was parsed once (issue 14)."""
    parser = CountingParser()
    d = RecordingDeliverer()
    deliver = DeliverAction(DeliverySettings())
    p = Pipeline(parser, NullDetector(), EditingPolicy(), {"deliver": deliver}, d)
    v = asyncio.run(p.run(ENV, MULTIPART))
    assert v.reply.code == 250
    assert parser.parsed == 1
    out = d.calls[0][0].content
    head, _, body = out.partition(b"\r\n\r\n")
    head += b"\r\n"
    assert b"Subject: [checked] results\r\n" in head and b"X-Phigate: 1\r\n" in head
    assert b"Subject: results\r\n" not in head
    assert body == MULTIPART.partition(b"\r\n\r\n")[2]


def test_an_edited_copy_reads_like_the_edited_bytes_parsed_afresh():
    """with_header_edits' view equals a full parse of the edited bytes: headers and parts."""
    parser = RfcParser()
    parsed = parser.parse(MULTIPART)
    edits = (HeaderEdit("Subject", "Grüße"), HeaderEdit("To", None, "remove"))
    edited = parser.with_header_edits(parsed, edits)
    fresh = parser.parse(edited.raw)
    assert edited.raw == fresh.raw
    assert dict(edited.headers) == dict(fresh.headers)
    assert edited.header("subject") == "Grüße" and edited.header("to") is None
    assert edited.message.items() == fresh.message.items()
    walk = [(p.get_content_type(), p.get_payload(decode=True)) for p in edited.message.walk()]
    assert walk == [
        (p.get_content_type(), p.get_payload(decode=True)) for p in fresh.message.walk()
    ]
    # the original view is untouched
    assert parsed.header("subject") == "results" and parsed.header("to") == "b@partner.example"


def test_an_edit_of_the_content_type_parses_the_message_again():
    """A field that shapes the MIME structure is never grafted onto the old parts."""
    parser = RfcParser()
    parsed = parser.parse(MULTIPART)
    edited = parser.with_header_edits(parsed, (HeaderEdit("Content-Type", "text/plain"),))
    assert edited.message.get_content_type() == "text/plain"
    assert not edited.message.is_multipart()


def test_with_stage_copies_like_dataclasses_replace_and_leaves_the_original() -> None:
    """The copy equals replace()'s, field by field, and the verdict it came from is unchanged."""
    verdict = Verdict(ref_id="r1", envelope=ENV, size=10, received_at=datetime.now(UTC))
    first = StageResult("parse", "ok", "clean", 0.5)
    second = StageResult("detect", "no-phi", "nothing found", 0.25, {"score": 0.0})
    reply = Outcome(reply=ACCEPTED)
    one = verdict.with_stage(first, message_id="<m@x>", defects=("d",))
    two = one.with_stage(second, outcome=reply, acted="deliver")
    assert one == dataclasses.replace(verdict, stages=(first,), message_id="<m@x>", defects=("d",))
    assert two == dataclasses.replace(one, stages=(first, second), outcome=reply, acted="deliver")
    assert verdict.stages == () and verdict.message_id is None and one.outcome is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        two.acted = "other"  # type: ignore[misc]
    with pytest.raises(TypeError, match="no_such_field"):
        verdict.with_stage(first, no_such_field=1)
    with pytest.raises(TypeError, match="stages"):
        verdict.with_stage(first, stages=())
