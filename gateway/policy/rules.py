"""Policies as data: an ordered list of rules, first match wins, per recipient.

A policy file is YAML loaded into frozen models; every mistake is reported with the file, line
and column, and a bad file never replaces a good one. Deciding is read-only: the policy looks at
the envelope, the detection result and the message's headers, and returns a Decision with one
Route per group of recipients that share a rule. The act stage carries the routes out.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from detectors.extract.envelope import message_encrypted_kind
from gateway.config import Frozen, GroupSettings
from gateway.model import (
    ConfigError,
    Decision,
    Detection,
    Envelope,
    HeaderEdit,
    ParsedMessage,
    Route,
    Step,
)
from gateway.yamlconf import load_yaml, validate


def _as_tuple(value: Any) -> Any:
    """Let a YAML scalar stand for a one-item list."""
    if value is None:
        return ()
    if isinstance(value, str | int | float | bool):
        return (value,)
    return value


Names = Annotated[tuple[str, ...], BeforeValidator(_as_tuple)]


class PartyMatch(Frozen):
    """Matches an address by exact address, domain (and its subdomains) or group."""

    address: Names = ()
    domain: Names = ()
    group: Names = ()

    @model_validator(mode="after")
    def _not_empty(self) -> PartyMatch:
        if not (self.address or self.domain or self.group):
            raise ValueError("give at least one of address, domain, group")
        return self

    def matches(self, address: str, groups: frozenset[str]) -> bool:
        """True when the address fits any of the listed addresses, domains or groups."""
        addr = address.lower()
        domain = addr.rpartition("@")[2]
        if any(addr == a.lower() for a in self.address):
            return True
        if any(domain == d.lower() or domain.endswith("." + d.lower()) for d in self.domain):
            return True
        return any(g in groups for g in self.group)


class PhiScore(Frozen):
    """PHI with at least this score."""

    min_score: float = Field(ge=0.0, le=1.0)


class EntityMatch(Frozen):
    """Entity types found: any of, all of, and a minimum count of the matching findings."""

    any_of: Names = ()
    all_of: Names = ()
    min_count: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _not_empty(self) -> EntityMatch:
        if not (self.any_of or self.all_of):
            raise ValueError("give any_of or all_of")
        return self


class SizeMatch(Frozen):
    """Message size bounds in bytes."""

    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)


Where = Literal["subject", "body", "attachment", "header"]


class Conditions(Frozen):
    """Everything a rule can test; all given conditions must hold. Empty matches everything."""

    sender: PartyMatch | None = None
    recipient: PartyMatch | None = None
    phi: bool | PhiScore | None = None
    entities: EntityMatch | None = None
    where: Annotated[tuple[Where, ...], BeforeValidator(_as_tuple)] = ()
    trigger: bool | None = None
    already_encrypted: bool | None = None
    unscannable: bool | None = None
    size: SizeMatch | None = None
    misdirected: bool | None = None


class ActionSpec(Frozen):
    """An action with its options."""

    type: str
    methods: Annotated[tuple[Literal["smime", "pgp"], ...], BeforeValidator(_as_tuple)] = (
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
    fallback: Annotated[tuple[ActionField, ...], BeforeValidator(_as_tuple)] = ()
    monitor: bool = False


class Triggers(Frozen):
    """How a sender asks for encryption: subject tags and headers, removed before delivery."""

    subject_tags: Names = ("[secure]", "[encrypt]")
    headers: Names = ("X-Phigate-Encrypt",)


class PolicyDocument(Frozen):
    """A whole policy file."""

    version: Literal[1]
    description: str = ""
    monitor: bool = False
    triggers: Triggers = Triggers()
    rules: tuple[Rule, ...] = Field(min_length=1)


@functools.lru_cache(maxsize=1)
def known_entities() -> frozenset[str]:
    """Every entity type the detectors can report, for checking policy files."""
    from detectors.config import DetectorConfig
    from detectors.recognizers import build_registry

    names: set[str] = {"PERSON", "PATIENT_NAME", "PROVIDER_NAME", "MEDICAID_ID", "LOCATION"}
    for rec in build_registry(DetectorConfig()):
        names.update(rec.entities)
    thresholds = DetectorConfig().decision
    for group in (
        thresholds.strong_identifiers,
        thresholds.linked_identifiers,
        thresholds.contact_identifiers,
        thresholds.health_entities,
    ):
        names.update(group)
    return frozenset(names)


def load_policy(
    path: Path,
    known_actions: Iterable[str],
    known_groups: Iterable[str] = (),
    entities: Iterable[str] | None = None,
) -> PolicyDocument:
    """Load and check a policy file; every error names the file, line and column."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{source}: policy file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: cannot read: {exc}") from None
    data, marks = load_yaml(text, source)
    if not isinstance(data, dict):
        raise ConfigError(f"{source}:1:1: a policy must be a mapping with 'version' and 'rules'")
    doc = validate(PolicyDocument, data, marks, source)
    actions = set(known_actions)
    groups = set(known_groups)
    valid_entities = set(entities) if entities is not None else known_entities()

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
        for side in ("sender", "recipient"):
            party = getattr(rule.when, side)
            for g in party.group if party else ():
                if g not in groups:
                    raise ConfigError(
                        f"{at('rules', i, 'when', side, 'group')}: rules.{i}.when.{side}.group: "
                        f"unknown group {g!r} (known: {', '.join(sorted(groups)) or 'none'})"
                    )
        if rule.when.entities:
            for e in (*rule.when.entities.any_of, *rule.when.entities.all_of):
                if e not in valid_entities:
                    raise ConfigError(
                        f"{at('rules', i, 'when', 'entities')}: rules.{i}.when.entities: "
                        f"unknown entity type {e!r}"
                    )
        if rule.name in seen:
            raise ConfigError(
                f"{at('rules', i, 'name')}: rules.{i}.name: duplicate rule name {rule.name!r}"
            )
        seen.add(rule.name)
    return doc


class Groups:
    """Which configured groups an address belongs to (rostered patients are in `patients`)."""

    def __init__(
        self,
        groups: Mapping[str, GroupSettings],
        roster: Any = None,
        allowed: Sequence[str] = ("internal", "business_associates"),
    ) -> None:
        self._groups = dict(groups)
        self.roster = roster
        self.allowed = tuple(allowed)

    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self._groups))

    def of(self, address: str) -> frozenset[str]:
        """The groups an address is in."""
        addr = address.lower()
        domain = addr.rpartition("@")[2]
        out = set()
        for name, g in self._groups.items():
            if addr in (a.lower() for a in g.addresses) or any(
                domain == d.lower() or domain.endswith("." + d.lower()) for d in g.domains
            ):
                out.add(name)
        if self.roster is not None and "patients" not in out and self.roster.by_email(addr):
            out.add("patients")
        return frozenset(out)


class Facts:
    """What the rules test, worked out once per message."""

    def __init__(
        self,
        message: ParsedMessage,
        envelope: Envelope,
        detection: Detection,
        triggers: Triggers,
    ) -> None:
        self.sender = envelope.mail_from
        self.phi = detection.phi
        self.score = detection.score
        findings = list(detection.findings)
        self.entity_counts: dict[str, int] = {}
        self.where: set[str] = set()
        for f in findings:
            entity = getattr(f, "entity", "")
            part = str(getattr(f, "part", ""))
            self.entity_counts[entity] = self.entity_counts.get(entity, 0) + 1
            self.where.add("attachment" if part.startswith("attachment:") else part.split(":")[0])
        self.unscannable = bool(detection.unscannable)
        self.size = len(message.raw)
        self.patients: tuple[str, ...] = tuple(detection.summary.get("patients", ()))
        self.already_encrypted = is_encrypted(message) is not None
        self.edits, self.triggered = trigger_edits(message, triggers)


def is_encrypted(message: ParsedMessage) -> str | None:
    """'smime' or 'pgp' when the sender already encrypted the message (a real envelope), else None."""
    ctype = (message.header("Content-Type") or "").lower()
    if not (
        "pkcs7-mime" in ctype or "encrypted" in ctype or b"-----BEGIN PGP MESSAGE" in message.raw
    ):
        return None  # the common case, decided without looking at the body
    return message_encrypted_kind(message.message)


def trigger_edits(
    message: ParsedMessage, triggers: Triggers
) -> tuple[tuple[HeaderEdit, ...], bool]:
    """Header edits that remove the sender's encryption triggers, and whether any was present."""
    edits: list[HeaderEdit] = []
    subject = message.header("Subject") or ""
    lowered = subject.lower()
    hit = False
    for tag in triggers.subject_tags:
        if tag.lower() in lowered:
            hit = True
            subject = re.sub(re.escape(tag), "", subject, flags=re.I)
            lowered = subject.lower()
    if hit:
        edits.append(HeaderEdit("Subject", " ".join(subject.split())))
    for name in triggers.headers:
        if message.header(name) is not None:
            hit = True
            edits.append(HeaderEdit(name, None))
    return tuple(edits), hit


def rule_matches(rule: Rule, facts: Facts, recipient: str, groups: Groups) -> tuple[bool, str]:
    """Whether a rule matches for one recipient, and why (or why not)."""
    w = rule.when
    if w.sender is not None and not w.sender.matches(facts.sender, groups.of(facts.sender)):
        return False, "sender does not match"
    if w.recipient is not None and not w.recipient.matches(recipient, groups.of(recipient)):
        return False, "recipient does not match"
    if isinstance(w.phi, bool) and w.phi != facts.phi:
        return False, f"phi is {facts.phi}"
    if isinstance(w.phi, PhiScore) and not (facts.phi and facts.score >= w.phi.min_score):
        return False, f"phi score {facts.score:.2f} < {w.phi.min_score}"
    if w.entities is not None:
        e = w.entities
        matching = [n for n in (*e.any_of, *e.all_of) if facts.entity_counts.get(n)]
        if e.all_of and not all(facts.entity_counts.get(n) for n in e.all_of):
            return False, "not all of the entity types were found"
        if e.any_of and not any(facts.entity_counts.get(n) for n in e.any_of):
            return False, "none of the entity types were found"
        if sum(facts.entity_counts.get(n, 0) for n in set(matching)) < e.min_count:
            return False, f"fewer than {e.min_count} matching findings"
    if w.where and not (set(w.where) & facts.where):
        return False, f"nothing found in {', '.join(w.where)}"
    if w.trigger is not None and w.trigger != facts.triggered:
        return False, f"sender trigger is {facts.triggered}"
    if w.already_encrypted is not None and w.already_encrypted != facts.already_encrypted:
        return False, f"already_encrypted is {facts.already_encrypted}"
    if w.unscannable is not None and w.unscannable != facts.unscannable:
        return False, f"unscannable is {facts.unscannable}"
    if w.misdirected is not None:
        flagged = is_misdirected(facts, recipient, groups)
        if flagged != w.misdirected:
            return False, f"misdirected is {flagged}"
    if w.size is not None:
        if w.size.min is not None and facts.size < w.size.min:
            return False, f"size {facts.size} < {w.size.min}"
        if w.size.max is not None and facts.size > w.size.max:
            return False, f"size {facts.size} > {w.size.max}"
    return True, "matched"


def is_misdirected(facts: Facts, recipient: str, groups: Groups) -> bool:
    """Mail about a rostered patient to an outside address that is not that patient's own."""
    if not facts.patients or groups.roster is None:
        return False
    if groups.of(recipient) & set(groups.allowed):
        return False
    return not any(groups.roster.is_address_of(rid, recipient) for rid in facts.patients)


class RulePolicy:
    """First matching rule wins, per recipient; recipients that share a rule share a route.

    See Policy.
    """

    name = "rules"

    def __init__(self, document: PolicyDocument, groups: Groups | None = None) -> None:
        self.document = document
        self.groups = groups or Groups({})
        # Each rule's route, built once: deciding then only fills in the recipients.
        self._routes = {
            r.name: Route(
                recipients=(),
                step=r.action.step(),
                fallback=tuple(s.step() for s in r.fallback),
                rule=r.name,
                reason=r.description or "matched",
                monitor=document.monitor or r.monitor,
            )
            for r in document.rules
        }

    def decide(self, message: ParsedMessage, envelope: Envelope, detection: Detection) -> Decision:
        """See Policy."""
        facts = Facts(message, envelope, detection, self.document.triggers)
        by_rule: dict[str, list[str]] = {}
        hits: list[str] = []
        misdirected = sum(is_misdirected(facts, r, self.groups) for r in envelope.rcpt_tos)
        for rcpt in envelope.rcpt_tos:
            for rule in self.document.rules:
                ok, why = rule_matches(rule, facts, rcpt, self.groups)
                if ok:
                    by_rule.setdefault(rule.name, []).append(rcpt)
                    hits.append(f"{_mask_addr(rcpt)}: {rule.name}: matched")
                    break
                hits.append(f"{_mask_addr(rcpt)}: {rule.name}: {why}")
            else:
                raise_no_rule(rcpt)
        routes = tuple(
            replace(self._routes[name], recipients=tuple(rcpts)) for name, rcpts in by_rule.items()
        )
        actions = {r.step.action for r in routes}
        first = routes[0]
        return Decision(
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
    from gateway.model import PolicyError

    raise PolicyError(
        f"no rule matched recipient {_mask_addr(recipient)}; add a final catch-all rule"
    )


def _mask_addr(address: str) -> str:
    local, _, domain = address.rpartition("@")
    if not local:
        return address
    return f"{local[0]}***@{domain}"
