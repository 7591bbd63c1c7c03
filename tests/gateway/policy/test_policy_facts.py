"""Policy facts: the roster is asked once per message, off the event loop, and never by decide."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest

from detectors.findings import Finding
from gateway.actions.deliver import DeliverAction
from gateway.components import default_registry
from gateway.config import DeliverySettings, GroupSettings
from gateway.message import RfcParser
from gateway.model import Detection, Envelope, Outcome, Reply
from gateway.pipeline import Pipeline
from gateway.policy.conditions import Condition, builtin_conditions, conditions_from
from gateway.policy.facts import Groups
from gateway.policy.rules import PolicyDocument, RulePolicy
from gateway.yamlconf import load_yaml, validate

RAW = b"From: a@practice.example\r\nTo: x@lab.example\r\nSubject: Labs\r\n\r\nbody text\r\n"
SENDER = "a@practice.example"
PATIENT = "R-000007"

# Several rules test each recipient's groups and whether the copy is misdirected, so a
# per-rule lookup would ask the roster many times per recipient.
POLICY = """version: 1
rules:
  - {name: internal-only, when: {sender: {group: patients}}, action: block}
  - {name: misdirected, when: {misdirected: true}, action: quarantine}
  - {name: partners, when: {recipient: {group: business_associates}}, action: deliver}
  - {name: staff, when: {recipient: {group: internal}}, action: deliver}
  - {name: patients, when: {recipient: {group: patients}}, action: portal}
  - {name: rest, action: block}
"""

HEALTH = Detection(
    phi=True,
    score=0.9,
    findings=(Finding("DIAGNOSIS", "body", 0, 4, 0.9, "test", "****", "health"),),
    patients=(PATIENT,),
)


class CountingRoster:
    """A roster that counts its lookups, notes the thread they ran on, and can be switched off."""

    def __init__(self, addresses: dict[str, tuple[str, ...]]) -> None:
        self.addresses = addresses
        self.asked: list[str] = []
        self.on_loop: list[str] = []
        self.closed = False

    def ids_by_email(self, address: str) -> tuple[str, ...]:
        if self.closed:
            raise AssertionError(f"the roster was asked about {address} after the facts")
        try:
            asyncio.get_running_loop()
            self.on_loop.append(address)
        except RuntimeError:
            pass  # no loop in this thread: off the event loop, as it must be
        self.asked.append(address)
        return self.addresses.get(address.lower(), ())


def _policy(roster: CountingRoster) -> RulePolicy:
    data, marks = load_yaml(POLICY, "p.yaml")
    doc = validate(PolicyDocument, data, marks, "p.yaml")
    groups = Groups(
        {
            "internal": GroupSettings(domains=("practice.example",)),
            "business_associates": GroupSettings(domains=("lab.example",)),
            "patients": GroupSettings(domains=("gmail.com",)),
        },
        roster,
    )
    return RulePolicy(doc, groups)


RCPTS = ("x@lab.example", "pat@home.example", "other@home.example", "y@practice.example")
ROSTER = {"pat@home.example": (PATIENT,)}


def test_decide_reads_only_the_facts_and_the_roster_is_asked_once_per_address():
    """One roster lookup per address per message; deciding afterwards asks the roster nothing."""
    roster = CountingRoster(ROSTER)
    policy = _policy(roster)
    parsed = RfcParser().parse(RAW)
    envelope = Envelope(SENDER, RCPTS)
    facts = policy.facts(parsed, envelope, HEALTH)
    assert sorted(roster.asked) == sorted({SENDER, *RCPTS})
    roster.closed = True  # any lookup from here on fails the test
    decision = policy.decide(parsed, envelope, HEALTH, facts)
    routes = {r.rule: r.recipients for r in decision.routes}
    assert routes == {
        "partners": ("x@lab.example",),
        "patients": ("pat@home.example",),
        "misdirected": ("other@home.example",),
        "staff": ("y@practice.example",),
    }
    assert decision.misdirected == 1


def test_a_recipient_named_twice_is_looked_up_once():
    """The same recipient twice in the envelope costs one roster lookup."""
    roster = CountingRoster(ROSTER)
    policy = _policy(roster)
    envelope = Envelope(SENDER, ("pat@home.example", "pat@home.example"))
    policy.facts(RfcParser().parse(RAW), envelope, HEALTH)
    assert roster.asked.count("pat@home.example") == 1


# As in the shipped policy: the only rule that tests the roster-backed `patients` group needs PHI.
PHI_GATED = """version: 1
rules:
  - {name: phi-to-patients, when: {phi: true, recipient: {group: patients}}, action: portal}
  - {name: rest, action: deliver}
"""


@pytest.mark.parametrize(
    ("detection", "asked"),
    [
        (Detection(phi=False, score=0.0), []),  # no rule about patients can match: no lookup
        (HEALTH, ["pat@home.example"]),
    ],
)
def test_the_roster_is_asked_only_when_a_patients_rule_can_match(detection, asked):
    """Mail without PHI costs no roster lookup when every `patients` rule needs PHI."""
    roster = CountingRoster(ROSTER)
    data, marks = load_yaml(PHI_GATED, "p.yaml")
    groups = Groups({"patients": GroupSettings(domains=("gmail.com",))}, roster)
    policy = RulePolicy(validate(PolicyDocument, data, marks, "p.yaml"), groups)
    envelope = Envelope(SENDER, ("pat@home.example",))
    facts = policy.facts(RfcParser().parse(RAW), envelope, detection)
    assert roster.asked == asked
    decision = policy.decide(RfcParser().parse(RAW), envelope, detection, facts)
    assert decision.rule == ("phi-to-patients" if detection.phi else "rest")


def test_the_facts_say_who_is_a_patient_and_who_is_misdirected():
    """A rostered address is in `patients`; another outside address of mail about them is misdirected."""
    roster = CountingRoster(ROSTER)
    facts = _policy(roster).facts(RfcParser().parse(RAW), Envelope(SENDER, RCPTS), HEALTH)
    pat = facts.recipient("pat@home.example")
    other = facts.recipient("other@home.example")
    partner = facts.recipient("x@lab.example")
    assert "patients" in pat.groups and not pat.misdirected
    assert "patients" not in other.groups and other.misdirected
    assert partner.groups == {"business_associates"} and not partner.misdirected
    assert facts.patients == (PATIENT,) and facts.entity_counts == {"DIAGNOSIS": 1}


class Sink:
    def __init__(self) -> None:
        self.deliveries: tuple[Any, ...] = ()

    async def deliver(self, deliveries: tuple[Any, ...], ref_id: str) -> Outcome:
        self.deliveries = deliveries
        return Outcome(Reply(250, "2.0.0", "Ok"))


class FixedDetector:
    name = "fixed"
    cheap = True  # on the loop: only the policy's facts go to the thread pool here

    def detect(self, message: Any, envelope: Envelope) -> Detection:
        return HEALTH


@pytest.mark.parametrize("rcpt", ["x@lab.example", "pat@home.example"])
def test_the_pipeline_resolves_facts_in_the_stage_threads(rcpt: str):
    """The pipeline asks the roster in its offload threads, never on the event loop."""
    roster = CountingRoster(ROSTER)
    threads: list[str] = []

    async def offload(fn: Callable[[], Any]) -> Any:
        def job() -> Any:
            threads.append(threading.current_thread().name)
            return fn()

        return await asyncio.get_running_loop().run_in_executor(None, job)

    deliver = DeliverAction(DeliverySettings())
    actions: dict[str, Any] = {
        name: deliver for name in ("deliver", "block", "quarantine", "portal")
    }
    pipeline = Pipeline(
        RfcParser(), FixedDetector(), _policy(roster), actions, Sink(), offload=offload
    )
    verdict = asyncio.run(pipeline.run(Envelope(SENDER, (rcpt,)), RAW))
    assert verdict.reply.code == 250
    assert roster.asked and roster.on_loop == []
    assert threads and threading.main_thread().name not in threads


def test_a_policy_refuses_to_run_without_a_condition_for_every_key():
    """A registry missing a condition `when:` accepts would let rules pass it by: refused."""
    conditions = builtin_conditions()
    del conditions["misdirected"]
    data, marks = load_yaml(POLICY, "p.yaml")
    with pytest.raises(ValueError, match="misdirected"):
        RulePolicy(validate(PolicyDocument, data, marks, "p.yaml"), conditions=conditions)


def test_the_registry_conditions_are_the_ones_the_policy_tests():
    """The gateway's conditions come from the registry, built-ins in the order rules test them."""
    conditions = conditions_from(default_registry())
    assert list(conditions) == list(builtin_conditions())
    assert all(isinstance(c, Condition) for c in conditions.values())
