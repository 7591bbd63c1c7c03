"""Policy facts that need no roster lookup are resolved on the loop; any that may ask the roster are not."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from gateway.actions.deliver import DeliverAction
from gateway.config import DeliverySettings, GroupSettings
from gateway.message import RfcParser
from gateway.model import Detection, Envelope, Facts, ParsedMessage, PolicyDecision
from gateway.pipeline import INLINE_PARSE_BYTES, Pipeline
from gateway.policy.facts import Groups
from gateway.policy.rules import PolicyDocument, RulePolicy
from gateway.yamlconf import load_yaml, validate
from tests.gateway.policy.test_policy_facts import (
    HEALTH,
    PHI_GATED,
    RAW,
    ROSTER,
    SENDER,
    CountingRoster,
    Sink,
)

CLEAN = Detection(phi=False, score=0.0)
SENDER_GROUP_RULE = """version: 1
rules:
  - {name: from-patients, when: {sender: {group: patients}}, action: block}
  - {name: rest, action: deliver}
"""


def _rule_policy(text: str, roster: CountingRoster | None) -> RulePolicy:
    data, marks = load_yaml(text, "p.yaml")
    groups = Groups({"patients": GroupSettings(domains=("gmail.com",))}, roster)
    return RulePolicy(validate(PolicyDocument, data, marks, "p.yaml"), groups)


class DetectorOf:
    name = "fixed"
    cheap = True  # on the loop: only the policy's facts may go to the offload

    def __init__(self, detection: Detection) -> None:
        self.detection = detection

    def detect(self, message: Any, envelope: Envelope) -> Detection:
        return self.detection


def _run(policy: Any, detection: Detection, raw: bytes = RAW) -> int:
    """Run one message; return how many jobs the pipeline handed to its offload."""
    jobs: list[int] = []

    async def offload(fn: Callable[[], Any]) -> Any:
        jobs.append(1)
        return await asyncio.get_running_loop().run_in_executor(None, fn)

    deliver = DeliverAction(DeliverySettings())
    actions: dict[str, Any] = {name: deliver for name in ("deliver", "block", "portal")}
    pipeline = Pipeline(
        RfcParser(), DetectorOf(detection), policy, actions, Sink(), offload=offload
    )
    verdict = asyncio.run(pipeline.run(Envelope(SENDER, ("pat@home.example",)), raw))
    assert verdict.reply.code == 250
    return len(jobs)


@pytest.mark.parametrize(
    ("text", "detection", "blocks"),
    [
        (PHI_GATED, CLEAN, False),  # no rule about patients can match mail without PHI
        (PHI_GATED, HEALTH, True),  # PHI: the patients rule can match, and it names patients
        (PHI_GATED, Detection(phi=False, patients=("R-1",)), True),  # misdirection check
        (SENDER_GROUP_RULE, CLEAN, True),  # the sender's groups may come from the roster
    ],
)
def test_facts_block_says_when_the_roster_may_be_asked(text, detection, blocks):
    """`facts_block` is True exactly when resolving the facts may look up the roster."""
    roster = CountingRoster(ROSTER)
    policy = _rule_policy(text, roster)
    assert policy.facts_block(detection) is blocks
    policy.facts(RfcParser().parse(RAW), Envelope(SENDER, ("pat@home.example",)), detection)
    if not blocks:
        assert roster.asked == []


def test_without_a_roster_facts_never_block():
    """A policy whose groups have no roster resolves its facts in memory."""
    assert _rule_policy(SENDER_GROUP_RULE, None).facts_block(HEALTH) is False


@pytest.mark.parametrize(
    ("text", "detection", "offloaded"),
    [(PHI_GATED, CLEAN, 0), (PHI_GATED, HEALTH, 1), (SENDER_GROUP_RULE, CLEAN, 1)],
)
def test_the_pipeline_resolves_facts_on_the_loop_only_when_they_need_no_roster(
    text, detection, offloaded
):
    """Small mail whose facts need no roster skips the thread hop; roster lookups stay off the loop."""
    roster = CountingRoster(ROSTER)
    assert _run(_rule_policy(text, roster), detection) == offloaded
    assert roster.on_loop == []


class PlainPolicy:
    """A policy without `facts_block`: its facts may block, so they go to the offload."""

    name = "plain"

    def facts(self, message: ParsedMessage, envelope: Envelope, detection: Detection) -> Facts:
        return Facts(sender=envelope.mail_from)

    def decide(
        self, message: ParsedMessage, envelope: Envelope, detection: Detection, facts: Facts
    ) -> PolicyDecision:
        return PolicyDecision(action="deliver", rule="r1", reason="because")


def test_a_policy_that_cannot_say_has_its_facts_offloaded():
    """No `facts_block`: the pipeline assumes the facts may block."""
    assert _run(PlainPolicy(), CLEAN) == 1


def test_a_large_message_has_its_facts_offloaded_even_without_a_roster_lookup():
    """Past the inline size the facts (a look into an encrypted body, say) stay off the loop."""
    big = RAW + b"x" * (INLINE_PARSE_BYTES + 1) + b"\r\n"
    # Parse and facts both go to the offload for a message this size.
    assert _run(_rule_policy(PHI_GATED, CountingRoster(ROSTER)), CLEAN, big) == 2
