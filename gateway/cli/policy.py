"""`phigate policy check|test`: validate a policy, and show what it does to a message.

`policy test` runs the real parse, detect and decide stages, then walks each recipient's action
and fallbacks the way the gateway would (looking keys up, read-only) and reports the action that
would finally apply, the method, the rule, and every rule hit and miss with its reason.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.utils import getaddresses
from pathlib import Path
from typing import IO, Any

from detectors.extract import ExtractLimits
from gateway.app import shipped_path
from gateway.cli.command import Command
from gateway.cli.context import Context
from gateway.cli.exits import EXIT_FAILED, EXIT_OK
from gateway.cli.options import config_option
from gateway.config import Frozen, GroupSettings, Settings
from gateway.crypto.methods import PgpMethod, SmimeMethod
from gateway.detect import PhiDetector
from gateway.message import RfcParser
from gateway.model import ConfigError, Detection, Envelope, Facts, ParsedMessage, Step
from gateway.patients.consent import ConsentRegistry
from gateway.patients.roster import PatientRoster
from gateway.policy.facts import Groups, resolve_facts
from gateway.policy.rules import PolicyDocument, load_policy, rule_matches
from gateway.yamlconf import load_yaml, validate

#: The built-in actions, for a suite run without the registry (the CLI passes the registry's).
ACTIONS = ("deliver", "encrypt", "portal", "block", "quarantine", "consent_allow", "tag")
UNAVAILABLE = {
    "portal": "no portal is configured",
    "consent_allow": "no consent registry is configured",
}


@dataclass
class RecipientResult:
    """What the policy does for one recipient."""

    address: str
    action: str
    method: str | None
    rule: str
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The result as JSON output shows it: every field, in order."""
        return asdict(self)


class KeyCheck:
    """Whether a recipient has a usable key or a covering consent (real stores, or a suite's say)."""

    def __init__(
        self,
        settings: Settings,
        assumed: Mapping[str, Sequence[str]] | None = None,
        consents: Sequence[str] | None = None,
    ) -> None:
        self.settings = settings
        self.suite_consents = None if consents is None else {c.lower() for c in consents}
        self.suite_portal = False
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


def resolve(
    document: PolicyDocument,
    facts: Facts,
    recipients: Sequence[str],
    keys: KeyCheck,
) -> list[RecipientResult]:
    """Walk rules and fallbacks for each recipient as the gateway would."""
    out: list[RecipientResult] = []
    for rcpt in recipients:
        reasons: list[str] = []
        for rule in document.rules:
            ok, why = rule_matches(rule, facts, rcpt)
            reasons.append(f"{rule.name}: {why}")
            if not ok:
                continue
            monitor = document.monitor or rule.monitor
            steps: list[Step] = [rule.action.step(), *(s.step() for s in rule.fallback)]
            if monitor:
                reasons.append(f"monitor mode: would {steps[0].action}; delivers unchanged")
                out.append(RecipientResult(rcpt, "deliver", None, rule.name, reasons))
                break
            final: RecipientResult | None = None
            for step in steps:
                if step.action == "encrypt":
                    for method in step.params.get("methods", ("smime", "pgp")):
                        usable, note = keys.usable(method, rcpt)
                        reasons.append(f"encrypt/{method}: {'usable' if usable else note}")
                        if usable:
                            final = RecipientResult(rcpt, "encrypt", method, rule.name, reasons)
                            break
                elif step.action == "consent_allow":
                    ok, note = keys.consent(rcpt, sorted(facts.entity_counts))
                    reasons.append(f"consent_allow: {note}")
                    if ok:
                        final = RecipientResult(rcpt, "consent_allow", None, rule.name, reasons)
                elif step.action == "portal" and (keys.portal_available()):
                    final = RecipientResult(rcpt, "portal", None, rule.name, reasons)
                elif step.action in UNAVAILABLE:
                    reasons.append(f"{step.action}: {UNAVAILABLE[step.action]}")
                else:
                    final = RecipientResult(rcpt, step.action, None, rule.name, reasons)
                if final is not None:
                    break
            if final is None:
                reasons.append("no action or fallback can serve this recipient: not sent")
                final = RecipientResult(rcpt, "tempfail", None, rule.name, reasons)
            out.append(final)
            break
        else:
            out.append(
                RecipientResult(rcpt, "tempfail", None, "(none)", [*reasons, "no rule matched"])
            )
    return out


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


class Tester:
    """Parse, detect and decide with one settings object and one policy."""

    def __init__(self, settings: Settings, policy_path: Path, actions: Collection[str]) -> None:
        self.settings = settings
        self.groups = Groups(settings.groups)
        self.document = load_policy(policy_path, actions, self.groups.names())
        self._detector: PhiDetector | None = None

    def detect(self, parsed: ParsedMessage, envelope: Envelope) -> Detection:
        """Run the gateway's detector (built on first use: it loads spaCy)."""
        if self._detector is None:
            d = self.settings.detection
            self._detector = PhiDetector(d.engine, ExtractLimits(ocr_enabled=d.ocr))
        result: Detection = self._detector.detect(parsed, envelope)
        return result

    def run(
        self, raw: bytes, sender: str | None, to: Sequence[str], keys: KeyCheck
    ) -> dict[str, Any]:
        """What the policy does with one message, per recipient, and why."""
        parsed = RfcParser().parse(raw)
        env = envelope_from_headers(parsed, sender, to)
        if not env.rcpt_tos:
            raise ConfigError("the message names no recipients; pass --to")
        detection = self.detect(parsed, env)
        facts = resolve_facts(parsed, env, detection, self.document.triggers, self.groups)
        results = resolve(self.document, facts, env.rcpt_tos, keys)
        return {
            "recipients": [r.as_dict() for r in results],
            "phi": detection.phi,
            "score": round(detection.score, 3),
            "entities": dict(detection.summary.get("entities", {})),
            "trigger": facts.triggered,
            "already_encrypted": facts.already_encrypted,
            "unscannable": facts.unscannable,
            "monitor": self.document.monitor,
        }


def policy_check(ctx: Context, args: argparse.Namespace) -> int:
    """Validate a policy file against the registered actions and the configured groups."""
    doc = load_policy(
        shipped_path(args.file), ctx.registry.names("action"), Groups(ctx.settings.groups).names()
    )
    print(f"{args.file}: ok ({len(doc.rules)} rule(s){', monitor mode' if doc.monitor else ''})")
    return EXIT_OK


def render(report: dict[str, Any], explain: bool, out: IO[str]) -> None:
    """Human output of one message's policy test."""
    out.write(
        f"phi={report['phi']} score={report['score']:.2f} trigger={report['trigger']} "
        f"already_encrypted={report['already_encrypted']} unscannable={report['unscannable']}\n"
    )
    for r in report["recipients"]:
        method = f" ({r['method']})" if r["method"] else ""
        out.write(f"  {r['address']}: {r['action']}{method} by rule {r['rule']}\n")
        if explain:
            for reason in r["reasons"]:
                out.write(f"      {reason}\n")


class SuiteCase(Frozen):
    """One example message and what the policy must do with it."""

    name: str
    message: str
    sender: str | None = None
    to: tuple[str, ...] = ()
    expect: tuple[dict[str, str], ...]


class Suite(Frozen):
    """A policy's own tests: example messages and expected outcomes per recipient."""

    policy: str | None = None
    groups: Mapping[str, GroupSettings] = {}
    keys: Mapping[str, tuple[str, ...]] = {}
    consents: tuple[str, ...] = ()  # recipients with a valid consent covering what is sent
    portal: bool = False  # whether the portal action can hold messages
    cases: tuple[SuiteCase, ...]


def run_suite(
    directory: Path,
    settings: Settings,
    policy: Path | None,
    out: IO[str],
    actions: Collection[str] = ACTIONS,
) -> int:
    """Run every case of DIR/suite.yaml; exit 0 only when all pass."""
    path = directory / "suite.yaml"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    data, marks = load_yaml(text, str(path))
    suite = validate(Suite, data, marks, str(path))
    if suite.groups:
        settings = settings.clone(groups={**settings.groups, **suite.groups})
    policy_path = policy or (directory / suite.policy if suite.policy else None)
    if policy_path is None:
        policy_path = shipped_path(settings.policy_file)
    tester = Tester(settings, policy_path, actions)
    keys = KeyCheck(settings, suite.keys, suite.consents)
    keys.suite_portal = suite.portal
    failures = 0
    for case in suite.cases:
        raw = (directory / case.message).read_bytes()
        report = tester.run(raw, case.sender, case.to, keys)
        got = {r["address"].lower(): r for r in report["recipients"]}
        problems = []
        for exp in case.expect:
            addr = exp.get("address", "").lower()
            r = got.get(addr)
            if r is None:
                problems.append(f"{addr}: not a recipient")
                continue
            for key in ("action", "method", "rule"):
                if key in exp and str(r[key]) != str(exp[key]):
                    problems.append(f"{addr}: {key} is {r[key]!r}, expected {exp[key]!r}")
        status = "ok  " if not problems else "FAIL"
        out.write(f"{status} {case.name}\n")
        for p in problems:
            out.write(f"       {p}\n")
        failures += bool(problems)
    out.write(f"{len(suite.cases) - failures} passed, {failures} failed\n")
    return EXIT_OK if failures == 0 else EXIT_FAILED


def policy_test(ctx: Context, args: argparse.Namespace) -> int:
    """Show what the policy does with a message, or run a suite."""
    settings = ctx.settings
    actions = ctx.registry.names("action")
    if args.suite:
        return run_suite(
            shipped_path(Path(args.suite)),
            settings,
            shipped_path(Path(args.policy)) if args.policy else None,
            sys.stdout,
            actions,
        )
    if not args.message:
        raise ConfigError("give MSG.eml or --suite DIR")
    policy = shipped_path(Path(args.policy) if args.policy else settings.policy_file)
    tester = Tester(settings, policy, actions)
    raw = Path(args.message).read_bytes() if args.message != "-" else sys.stdin.buffer.read()
    report = tester.run(raw, args.sender, args.to or (), KeyCheck(settings))
    if args.json:
        print(json.dumps(report))
    else:
        render(report, args.explain, sys.stdout)
    return EXIT_OK


def _check_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path)
    config_option(parser, "gateway config (for its recipient groups)", None)


def _test_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("message", nargs="?", help="MSG.eml (or - for stdin)")
    parser.add_argument("--policy", help="policy file (default: the config's policy_file)")
    config_option(parser, "gateway config", None)
    parser.add_argument(
        "--explain", action="store_true", help="every rule hit and miss with its reason"
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--from", dest="sender", help="envelope sender (default: From)")
    parser.add_argument("--to", action="append", help="envelope recipient (default: To/Cc/Bcc)")
    parser.add_argument(
        "--suite", help="run DIR/suite.yaml: example messages with expected outcomes"
    )


COMMANDS = (
    Command(
        "policy",
        "check and test policy files",
        subcommands=(
            Command(
                "check",
                "validate a policy file (errors name file:line:column)",
                policy_check,
                _check_options,
            ),
            Command(
                "test",
                "show what a policy does with a message, per recipient",
                policy_test,
                _test_options,
            ),
        ),
    ),
)
