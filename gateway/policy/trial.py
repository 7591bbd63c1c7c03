"""One policy, built one way: the gateway, `phigate policy test` and the console all decide alike.

`policy_stages` builds the recipient groups, the detector and the RulePolicy from the settings
exactly as the gateway's composition root does (gateway.app.Gateway calls it too), so a trial
cannot drift from what the gateway would do. `PolicyTrial.run` then parses, detects, resolves
the facts and decides with those stages, and walks each recipient's action and fallbacks the way
the act stage would (looking keys, consents and the portal up, read-only), reporting the action
that would finally apply and every rule hit and miss with its reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.utils import getaddresses
from pathlib import Path
from typing import Any

from detectors.extract import ExtractLimits
from gateway.config import Settings
from gateway.crypto.methods import PgpMethod, SmimeMethod
from gateway.detect import PhiDetector
from gateway.detectpool import ProcessPhiDetector, RosterSource
from gateway.message import RfcParser
from gateway.model import (
    ConfigError,
    Detection,
    Detector,
    Envelope,
    Facts,
    ParsedMessage,
    PolicyDecision,
    PolicyError,
    Route,
)
from gateway.patients.consent import ConsentRegistry
from gateway.patients.roster import PatientRoster
from gateway.policy import shipped as shipped_policies
from gateway.policy.conditions import conditions_from
from gateway.policy.facts import Groups, Roster
from gateway.policy.rules import PolicyDocument, RulePolicy, load_policy, parse_policy
from gateway.registry import Registry

#: Why an action cannot serve anyone when its service is not configured.
UNAVAILABLE = {
    "portal": "no portal is configured",
    "consent_allow": "no consent registry is configured",
}
#: The final action of a recipient no action or fallback can serve (the gateway answers 451).
TEMPFAIL = "tempfail"
#: What errors in a draft policy's text are attributed to (`<draft>:3:5: ...`).
DRAFT_SOURCE = "<draft>"


# ---------------------------------------------------------------------------- building the stages


@dataclass(frozen=True)
class PolicyStages:
    """The groups, policy document, detector and RulePolicy one gateway (or trial) decides with."""

    groups: Groups
    document: PolicyDocument
    detector: Detector
    policy: RulePolicy


def build_groups(settings: Settings, roster: Roster | None) -> Groups:
    """The recipient groups as the gateway sees them: configured, roster-backed `patients`."""
    return Groups(settings.groups, roster, settings.patients.allowed_groups)


def build_detector(
    settings: Settings, registry: Registry, roster: Roster | None, *, processes: bool = False
) -> Detector:
    """The configured detector with the gateway's extraction limits and the roster.

    With ``processes`` (the gateway's own), the PHI detector scans in `detection.processes`
    processes of its own when that is above 0; a trial scans on its caller's thread.
    """
    d = settings.detection
    if d.detector == "null":
        detector: Detector = registry.create("detector", "null")
        return detector
    limits = ExtractLimits(
        ocr_enabled=d.ocr,
        ocr_timeout_s=d.ocr_timeout,
        time_budget_s=d.time_budget,
        max_part_bytes=d.max_attachment_size,
    )
    detector = registry.create("detector", d.detector, d.engine, limits, roster)
    count = d.processes_per_worker(settings.workers)
    if processes and count > 0 and type(detector) is PhiDetector:
        # The built-in engine moves to processes of its own; a plugin's detector stays as it is.
        source = RosterSource(settings.patients.url, settings.patients.key_file)
        return ProcessPhiDetector(
            detector.config,
            detector.limits,
            detector.roster,
            count,
            roster_source=source if detector.roster is not None else None,
            niceness=d.niceness,
        )
    return detector


def policy_stages(
    settings: Settings,
    registry: Registry,
    roster: Roster | None,
    policy_file: Path | None = None,
    *,
    groups: Groups | None = None,
    policy_text: str | None = None,
    processes: bool = False,
) -> PolicyStages:
    """Build the decision stages from settings; ConfigError names file:line for a bad policy.

    `policy_file` replaces the configured one, and `policy_text` any file (a draft being edited,
    whose errors name DRAFT_SOURCE:line:column); `groups` replaces the groups built from the
    settings (a caller that already holds them); ``processes`` as for `build_detector`.
    """
    groups = groups or build_groups(settings, roster)
    if policy_text is not None:
        document = parse_policy(policy_text, DRAFT_SOURCE, registry.names("action"), groups.names())
    else:
        path = shipped_policies.resolve(policy_file or settings.policy_file)
        document = load_policy(path, registry.names("action"), groups.names())
    return PolicyStages(
        groups=groups,
        document=document,
        detector=build_detector(settings, registry, roster, processes=processes),
        policy=RulePolicy(document, groups, conditions_from(registry)),
    )


class LazyRoster:
    """A roster opened on first use (a trial of mail that asks nothing opens no database)."""

    def __init__(self, opener: Callable[[], Any]) -> None:
        self._opener = opener
        self._roster: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._roster is None:
            self._roster = self._opener()
        return getattr(self._roster, name)

    def close(self) -> None:
        """Close the roster if it was opened."""
        if self._roster is not None:
            self._roster.close()
            self._roster = None


def configured_roster(settings: Settings) -> LazyRoster | None:
    """The configured patient roster, opened lazily; None when it has no key yet.

    A roster without its key file has no entries the gateway could match (the gateway would
    create an empty one), so deciding without it gives the same answers and writes no key.
    """
    p = settings.patients
    if not p.key_file.exists():
        return None
    return LazyRoster(lambda: PatientRoster(p.url, p.key_file))


# ---------------------------------------------------------------------------- what the act stage can do


class KeyCheck:
    """Whether a recipient has a usable key or a covering consent (real stores, or a suite's say)."""

    def __init__(
        self,
        settings: Settings,
        assumed: Mapping[str, Sequence[str]] | None = None,
        consents: Sequence[str] | None = None,
        *,
        portal: bool | None = None,
    ) -> None:
        self.settings = settings
        self.suite_consents = None if consents is None else {c.lower() for c in consents}
        self.suite_portal = bool(portal)
        # A suite states which recipients have keys, so its results do not depend on the stores.
        self.assumed = (
            None if assumed is None else {k.lower(): tuple(v) for k, v in assumed.items()}
        )
        self._methods: dict[str, Any] | None = None

    def portal_available(self) -> bool:
        """Whether the portal action can hold messages (built-in portal on, or a webhook)."""
        if self.assumed is not None:
            return self.suite_portal
        p = self.settings.portal
        return p.enabled or p.webhook_url is not None

    def consent(self, address: str, entity_types: Sequence[str]) -> tuple[bool, str]:
        """Whether a valid consent covers every entity type (read-only: records no use)."""
        if self.suite_consents is not None or self.assumed is not None:
            ok = address.lower() in (self.suite_consents or set())
            return ok, "consent assumed by the suite" if ok else "no consent in the suite"
        p = self.settings.patients
        if not p.key_file.exists():
            return False, "no patient roster"
        roster = PatientRoster(p.url, p.key_file)
        registry = ConsentRegistry(p.url, roster, disclosure_dir=p.disclosure_dir)
        try:
            result = registry.check(address, entity_types, datetime.now(UTC))
        finally:
            registry.close()
            roster.close()
        if result.allowed:
            return True, f"consent {result.consent.consent_id if result.consent else ''} covers it"
        if result.outside:
            return False, f"consent does not cover {', '.join(result.outside)}"
        return False, result.reason

    def usable(self, method: str, address: str) -> tuple[bool, str]:
        """Whether the recipient has a usable key for the method, and why (or why not)."""
        if self.assumed is not None:
            ok = method in self.assumed.get(address.lower(), ())
            return ok, "key assumed by the suite" if ok else f"no {method} key in the suite"
        if self._methods is None:
            try:
                self._methods = {
                    "smime": SmimeMethod(self.settings.smime),
                    "pgp": PgpMethod(self.settings.pgp, self.settings.smime),
                }
            except (ConfigError, OSError) as exc:
                self._methods = {}
                return False, f"key stores unavailable: {exc}"
        m = self._methods.get(method)
        if m is None:
            return False, f"no {method} support"
        ok, why = m.usable(address)
        return bool(ok), str(why)


# ---------------------------------------------------------------------------- the trial


@dataclass(frozen=True)
class RuleTried:
    """One rule tried for one recipient: whether it matched, and why (or why not)."""

    rule: str
    matched: bool
    reason: str


@dataclass
class RecipientResult:
    """What the policy does for one recipient: final action, method, rule, and the reasons."""

    address: str
    action: str
    method: str | None
    rule: str
    reasons: list[str] = field(default_factory=list)
    tried: tuple[RuleTried, ...] = ()
    misdirected: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The result as JSON output shows it: every field, in order."""
        return asdict(self)


@dataclass(frozen=True)
class TrialReport:
    """What the policy decided for one message and what would happen to each recipient."""

    recipients: tuple[RecipientResult, ...]
    decision: str  # the PolicyDecision's action ("split" across routes), or "tempfail"
    rule: str
    phi: bool
    score: float
    entities: Mapping[str, int]
    trigger: bool
    already_encrypted: bool
    unscannable: bool
    monitor: bool
    misdirected: int

    def as_dict(self) -> dict[str, Any]:
        """The report as `policy test --json` prints it."""
        return {
            "recipients": [r.as_dict() for r in self.recipients],
            "decision": self.decision,
            "rule": self.rule,
            "phi": self.phi,
            "score": round(self.score, 3),
            "entities": dict(self.entities),
            "trigger": self.trigger,
            "already_encrypted": self.already_encrypted,
            "unscannable": self.unscannable,
            "monitor": self.monitor,
            "misdirected": self.misdirected,
        }


def envelope_from_headers(parsed: ParsedMessage, sender: str | None, to: Sequence[str]) -> Envelope:
    """The envelope as given, or taken from From and To/Cc/Bcc."""
    msg = parsed.message
    if sender is None:
        found = getaddresses([str(v) for v in msg.get_all("From", [])])
        sender = found[0][1] if found else ""
    if not to:
        to = [
            a
            for _, a in getaddresses(
                [str(v) for h in ("To", "Cc", "Bcc") for v in msg.get_all(h, [])]
            )
            if a
        ]
    return Envelope(mail_from=sender, rcpt_tos=tuple(to))


def walk_route(
    route: Route, facts: Facts, rcpt: str, keys: KeyCheck, reasons: list[str]
) -> tuple[str, str | None]:
    """The action (and method) that serves one recipient of a route, trying fallbacks in order."""
    if route.monitor:
        reasons.append(f"monitor mode: would {route.step.action}; delivers unchanged")
        return "deliver", None
    for step in (route.step, *route.fallback):
        if step.action == "encrypt":
            for method in step.params.get("methods", ("smime", "pgp")):
                usable, note = keys.usable(method, rcpt)
                reasons.append(f"encrypt/{method}: {'usable' if usable else note}")
                if usable:
                    return "encrypt", method
        elif step.action == "consent_allow":
            ok, note = keys.consent(rcpt, sorted(facts.entity_counts))
            reasons.append(f"consent_allow: {note}")
            if ok:
                return "consent_allow", None
        elif step.action == "portal" and keys.portal_available():
            return "portal", None
        elif step.action in UNAVAILABLE:
            reasons.append(f"{step.action}: {UNAVAILABLE[step.action]}")
        else:
            return step.action, None
    reasons.append("no action or fallback can serve this recipient: not sent")
    return TEMPFAIL, None


def _route_of(decision: PolicyDecision | None, rcpt: str) -> Route | None:
    if decision is None:
        return None
    return next((r for r in decision.routes if rcpt in r.recipients), None)


class PolicyTrial:
    """Parse, detect, resolve facts and decide as the gateway does, for one message at a time."""

    def __init__(self, stages: PolicyStages, roster: LazyRoster | None = None) -> None:
        self.stages = stages
        self._roster = roster

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        registry: Registry,
        policy_file: Path | None = None,
        *,
        policy_text: str | None = None,
    ) -> PolicyTrial:
        """A trial with the configured roster, groups and detector, and the configured policy,
        another policy file, or a draft policy's text."""
        roster = configured_roster(settings)
        try:
            stages = policy_stages(settings, registry, roster, policy_file, policy_text=policy_text)
        except BaseException:
            if roster is not None:
                roster.close()
            raise
        return cls(stages, roster)

    @property
    def document(self) -> PolicyDocument:
        """The policy being tried."""
        return self.stages.document

    def close(self) -> None:
        """Close the roster if the trial opened it."""
        if self._roster is not None:
            self._roster.close()

    def __enter__(self) -> PolicyTrial:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(
        self,
        raw: bytes,
        keys: KeyCheck,
        *,
        sender: str | None = None,
        to: Sequence[str] = (),
    ) -> TrialReport:
        """What the policy does with one message, per recipient, and why."""
        parsed = RfcParser().parse(raw)
        env = envelope_from_headers(parsed, sender, to)
        if not env.rcpt_tos:
            raise ConfigError("the message names no recipients; pass --to")
        detection: Detection = self.stages.detector.detect(parsed, env)
        policy = self.stages.policy
        facts = policy.facts(parsed, env, detection)
        decision: PolicyDecision | None
        try:
            decision = policy.decide(parsed, env, detection, facts)
        except PolicyError:
            decision = None  # a recipient no rule matches: the gateway answers 451 for all
        results = []
        seen: set[str] = set()
        for rcpt in env.rcpt_tos:
            if rcpt in seen:
                continue
            seen.add(rcpt)
            rule, trail = policy.trail(facts, rcpt)
            tried = tuple(RuleTried(name, why == "matched", why) for name, why in trail)
            reasons = [f"{name}: {why}" for name, why in trail]
            route = _route_of(decision, rcpt)
            if rule is None:
                reasons.append("no rule matched")
            if route is None:
                if rule is not None:
                    reasons.append("another recipient matched no rule: the message waits (451)")
                action, method = TEMPFAIL, None
            else:
                action, method = walk_route(route, facts, rcpt, keys, reasons)
            results.append(
                RecipientResult(
                    rcpt,
                    action,
                    method,
                    rule.name if rule is not None else "(none)",
                    reasons,
                    tried,
                    facts.recipient(rcpt).misdirected,
                )
            )
        return TrialReport(
            recipients=tuple(results),
            decision=decision.action if decision is not None else TEMPFAIL,
            rule=decision.rule if decision is not None else "(none)",
            phi=detection.phi,
            score=detection.score,
            entities=dict(detection.summary.get("entities", {})),
            trigger=facts.triggered,
            already_encrypted=facts.already_encrypted,
            unscannable=facts.unscannable,
            monitor=self.stages.document.monitor,
            misdirected=decision.misdirected if decision is not None else 0,
        )


def try_message(
    settings: Settings,
    registry: Registry,
    raw: bytes,
    *,
    policy_file: Path | None = None,
    policy_text: str | None = None,
    sender: str | None = None,
    to: Sequence[str] = (),
    keys: KeyCheck | None = None,
) -> TrialReport:
    """One message through a policy as the configured gateway would decide it (the console's call).

    The policy is the configured one, `policy_file`, or `policy_text` (a draft; a mistake in it is
    a ConfigError naming `<draft>:line:column`).
    """
    with PolicyTrial.from_settings(
        settings, registry, policy_file, policy_text=policy_text
    ) as trial:
        return trial.run(raw, keys or KeyCheck(settings), sender=sender, to=to)
