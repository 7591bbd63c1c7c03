"""Policies as data: an ordered list of rules, first match wins, per recipient.

A policy file is YAML loaded into frozen models; every mistake is reported with the file, line
and column, and a bad file never replaces a good one. Deciding is read-only and pure: the policy
looks at the envelope, the detection result, the message's headers and the facts resolved for
them beforehand (gateway.policy.facts), and returns a PolicyDecision with one Route per group of
recipients that share a rule. The act stage carries the routes out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from detectors.findings import ENTITY_TYPES
from detectors.masking import mask_address
from gateway.config import Frozen
from gateway.model import (
    ConfigError,
    Detection,
    Envelope,
    Facts,
    ParsedMessage,
    PolicyDecision,
    PolicyError,
    Route,
    Step,
)
from gateway.policy.conditions import (
    Condition,
    Conditions,
    KnownNames,
    as_tuple,
    builtin_conditions,
    check_conditions,
)
from gateway.policy.facts import PATIENTS, Groups, Triggers, resolve_facts
from gateway.yamlconf import load_yaml, validate


class ActionSpec(Frozen):
    """An action with its options."""

    type: str
    methods: Annotated[tuple[Literal["smime", "pgp"], ...], BeforeValidator(as_tuple)] = (
        "smime",
        "pgp",
    )
    tls: Literal["require", "verify"] | None = None
    notify: bool = True
    header: str | None = None
    subject_tag: str | None = None

    @model_validator(mode="after")
    def _tag_has_something(self) -> ActionSpec:
        if self.type == "tag" and not (self.header or self.subject_tag):
            raise ValueError("a tag action needs header or subject_tag")
        if self.header is not None and not re.fullmatch(r"[A-Za-z0-9-]+: [^\r\n]*", self.header):
            raise ValueError("header must look like 'Name: value' on one line")
        return self

    def step(self) -> Step:
        """The action as a pipeline step."""
        params = self.model_dump(exclude={"type"}, exclude_none=True)
        return Step(self.type, params)


def _action(value: Any) -> Any:
    if isinstance(value, str):
        return {"type": value}
    if isinstance(value, dict) and len(value) == 1 and "type" not in value:
        # short form: {encrypt: {methods: [smime]}}
        ((name, opts),) = value.items()
        return {"type": name, **(opts or {})}
    return value


ActionField = Annotated[ActionSpec, BeforeValidator(_action)]


class Rule(Frozen):
    """One rule: its conditions, the action, fallbacks when the action cannot serve a recipient."""

    name: str = Field(min_length=1, max_length=100)
    description: str = ""
    when: Conditions = Conditions()
    action: ActionField
    fallback: Annotated[tuple[ActionField, ...], BeforeValidator(as_tuple)] = ()
    monitor: bool = False
    # What the sender's notice tells them to do next when this rule stops a message; empty: the
    # defaults for what happened (gateway.notices.context.default_next_steps).
    next_steps: Annotated[
        tuple[Annotated[str, Field(min_length=1)], ...], BeforeValidator(as_tuple)
    ] = ()

    def situation(self) -> str:
        """What the rule is about, for the notice's default next steps: misdirected, unscannable or ''."""
        if self.when.misdirected is True:
            return "misdirected"
        if self.when.unscannable is True:
            return "unscannable"
        return ""

    def steps(self) -> tuple[Step, ...]:
        """The action and its fallbacks as pipeline steps, each carrying what its notice needs."""
        extra: dict[str, Any] = {"situation": self.situation()}
        if self.next_steps:
            extra["next_steps"] = self.next_steps
        return tuple(
            Step(s.action, {**s.params, **extra})
            for s in (self.action.step(), *(f.step() for f in self.fallback))
        )


class PolicyDocument(Frozen):
    """A whole policy file."""

    version: Literal[1]
    description: str = ""
    monitor: bool = False
    triggers: Triggers = Triggers()
    rules: tuple[Rule, ...] = Field(min_length=1)


def known_entities() -> frozenset[str]:
    """Every entity type the detectors can report, for checking policy files."""
    return ENTITY_TYPES


def load_policy(
    path: Path,
    known_actions: Iterable[str],
    known_groups: Iterable[str] = (),
    entities: Iterable[str] | None = None,
    conditions: Mapping[str, Condition] | None = None,
) -> PolicyDocument:
    """Load and check a policy file; every error names the file, line and column."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{source}: policy file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: cannot read: {exc}") from None
    return parse_policy(text, source, known_actions, known_groups, entities, conditions)


def parse_policy(
    text: str,
    source: str,
    known_actions: Iterable[str],
    known_groups: Iterable[str] = (),
    entities: Iterable[str] | None = None,
    conditions: Mapping[str, Condition] | None = None,
) -> PolicyDocument:
    """Check a policy's text (a draft not yet in a file); errors name `source`:line:column."""
    data, marks = load_yaml(text, source)
    if not isinstance(data, dict):
        raise ConfigError(f"{source}:1:1: a policy must be a mapping with 'version' and 'rules'")
    doc = validate(PolicyDocument, data, marks, source)
    actions = set(known_actions)
    known = KnownNames(
        groups=frozenset(known_groups),
        entities=frozenset(entities) if entities is not None else known_entities(),
    )
    tests = conditions if conditions is not None else builtin_conditions()

    def at(*path: str | int) -> str:
        p: tuple[str | int, ...] = tuple(path)
        while p and p not in marks:
            p = p[:-1]
        line, col = marks.get(p, (1, 1))
        return f"{source}:{line}:{col}"

    seen: set[str] = set()
    for i, rule in enumerate(doc.rules):
        for j, spec in enumerate((rule.action, *rule.fallback)):
            where = ("rules", i, "action") if j == 0 else ("rules", i, "fallback", j - 1)
            if spec.type not in actions:
                raise ConfigError(
                    f"{at(*where)}: rules.{i}.{'action' if j == 0 else 'fallback'}: unknown action "
                    f"{spec.type!r} (known: {', '.join(sorted(actions))})"
                )
        for name, value in _given(rule.when, tests):
            for sub, problem in tests[name].problems(value, known):
                raise ConfigError(
                    f"{at('rules', i, 'when', name, *sub)}: "
                    f"rules.{i}.when.{'.'.join((name, *sub))}: {problem}"
                )
        if rule.name in seen:
            raise ConfigError(
                f"{at('rules', i, 'name')}: rules.{i}.name: duplicate rule name {rule.name!r}"
            )
        seen.add(rule.name)
    return doc


def _given(when: Conditions, conditions: Mapping[str, Condition]) -> list[tuple[str, Any]]:
    """The conditions a rule gives (a value other than unset), in the order they are tested."""
    out = []
    for name in conditions:
        value = getattr(when, name, None)
        if value is not None and value != ():
            out.append((name, value))
    return out


def rule_matches(
    rule: Rule,
    facts: Facts,
    recipient: str,
    conditions: Mapping[str, Condition] | None = None,
) -> tuple[bool, str]:
    """Whether a rule matches for one recipient, and why (or why not). Pure: reads only facts."""
    tests = conditions if conditions is not None else _BUILTIN
    rcpt = facts.recipient(recipient)
    for name, value in _given(rule.when, tests):
        ok, why = tests[name].matches(value, facts, rcpt)
        if not ok:
            return False, why
    return True, "matched"


_BUILTIN = builtin_conditions()


def roster_rules_phi(document: PolicyDocument) -> frozenset[object]:
    """The `phi` conditions of the rules that test a recipient's `patients` group (roster-backed)."""
    return frozenset(
        r.when.phi
        for r in document.rules
        if r.when.recipient is not None and PATIENTS in r.when.recipient.group
    )


def may_need_roster(rules_phi: frozenset[object], phi: bool) -> bool:
    """Whether a rule testing the `patients` group can match a message with this `phi` verdict."""
    return any(cond is None or not isinstance(cond, bool) or cond == phi for cond in rules_phi)


def tests_sender_groups(document: PolicyDocument) -> bool:
    """Whether any rule tests the sender's groups (else the sender needs no roster lookup)."""
    return any(r.when.sender is not None and r.when.sender.group for r in document.rules)


class RulePolicy:
    """First matching rule wins, per recipient; recipients that share a rule share a route.

    See Policy.
    """

    name = "rules"

    def __init__(
        self,
        document: PolicyDocument,
        groups: Groups | None = None,
        conditions: Mapping[str, Condition] | None = None,
    ) -> None:
        self.document = document
        self.groups = groups or Groups({})
        self.conditions = dict(conditions) if conditions is not None else builtin_conditions()
        check_conditions(self.conditions)
        self._sender_groups = tests_sender_groups(document)
        self._roster_rules_phi = roster_rules_phi(document)
        # Each rule's route, built once: deciding then only fills in the recipients.
        self._routes = {
            r.name: Route(
                recipients=(),
                step=r.steps()[0],
                fallback=r.steps()[1:],
                rule=r.name,
                reason=r.description or "matched",
                monitor=document.monitor or r.monitor,
            )
            for r in document.rules
        }

    def facts_block(self, detection: Detection) -> bool:
        """Whether `facts` may ask the roster for this detection; if not, it only reads memory."""
        if self.groups.roster is None:
            return False
        return (
            self._sender_groups
            or bool(detection.patients)
            or may_need_roster(self._roster_rules_phi, detection.phi)
        )

    def facts(self, message: ParsedMessage, envelope: Envelope, detection: Detection) -> Facts:
        """See Policy. Asks the roster: the pipeline runs this off the event loop."""
        return resolve_facts(
            message,
            envelope,
            detection,
            self.document.triggers,
            self.groups,
            sender_groups=self._sender_groups,
            roster_groups=may_need_roster(self._roster_rules_phi, detection.phi),
        )

    def trail(
        self, facts: Facts, recipient: str
    ) -> tuple[Rule | None, tuple[tuple[str, str], ...]]:
        """The rule that matches one recipient (None if none does) and each rule tried, with why.

        decide() and the policy trial (gateway.policy.trial) both walk the rules through here, so
        what `phigate policy test` explains is what the gateway decided.
        """
        tried: list[tuple[str, str]] = []
        for rule in self.document.rules:
            ok, why = rule_matches(rule, facts, recipient, self.conditions)
            tried.append((rule.name, "matched" if ok else why))
            if ok:
                return rule, tuple(tried)
        return None, tuple(tried)

    def decide(
        self, message: ParsedMessage, envelope: Envelope, detection: Detection, facts: Facts
    ) -> PolicyDecision:
        """See Policy."""
        by_rule: dict[str, list[str]] = {}
        hits: list[str] = []
        misdirected = sum(facts.recipient(r).misdirected for r in envelope.rcpt_tos)
        for rcpt in envelope.rcpt_tos:
            matched, trail = self.trail(facts, rcpt)
            hits.extend(f"{mask_address(rcpt)}: {name}: {why}" for name, why in trail)
            if matched is None:
                raise_no_rule(rcpt)
            else:
                by_rule.setdefault(matched.name, []).append(rcpt)
        routes = tuple(
            replace(self._routes[name], recipients=tuple(rcpts)) for name, rcpts in by_rule.items()
        )
        actions = {r.step.action for r in routes}
        first = routes[0]
        return PolicyDecision(
            action=first.step.action if len(actions) == 1 else "split",
            rule=first.rule if len(routes) == 1 else ",".join(r.rule for r in routes),
            reason=first.reason if len(routes) == 1 else f"{len(routes)} routes",
            hits=tuple(hits),
            routes=routes,
            edits=facts.edits,
            monitor=all(r.monitor for r in routes),
            misdirected=misdirected,
        )


def raise_no_rule(recipient: str) -> None:
    """No rule matched: the policy is incomplete, so fail closed."""
    raise PolicyError(
        f"no rule matched recipient {mask_address(recipient)}; add a final catch-all rule"
    )
