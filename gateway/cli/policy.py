"""`phigate policy check|test`: validate a policy, and show what it does to a message.

`policy test` runs the real parse, detect, facts and decide stages, built as the gateway builds
them (gateway.policy.trial: the same groups with the roster, detector and RulePolicy), then walks
each recipient's action and fallbacks the way the gateway would (looking keys up, read-only) and
reports the action that would finally apply, the method, the rule, and every rule hit and miss
with its reason.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from gateway.app import shipped_path
from gateway.cli.command import Command
from gateway.cli.context import Context
from gateway.cli.exits import EXIT_FAILED, EXIT_OK
from gateway.cli.options import config_option
from gateway.components import default_registry
from gateway.config import Frozen, GroupSettings, Settings
from gateway.model import ConfigError
from gateway.policy.facts import Groups
from gateway.policy.rules import load_policy
from gateway.policy.trial import (
    KeyCheck,
    PolicyTrial,
    RecipientResult,
    configured_roster,
    envelope_from_headers,
    policy_stages,
)
from gateway.registry import Registry
from gateway.yamlconf import load_yaml, validate

__all__ = ("KeyCheck", "RecipientResult", "Tester", "envelope_from_headers", "run_suite")


class Tester:
    """Parse, detect and decide with one settings object and one policy, as the gateway does.

    A thin shell over gateway.policy.trial.PolicyTrial (the stages the gateway builds); the
    roster is the configured one unless `roster=False` (a suite states its own world).
    """

    def __init__(
        self,
        settings: Settings,
        policy_path: Path | None,
        registry: Registry | None = None,
        *,
        roster: bool = True,
    ) -> None:
        self.settings = settings
        registry = registry or default_registry()
        opened = configured_roster(settings) if roster else None
        self.trial = PolicyTrial(policy_stages(settings, registry, opened, policy_path), opened)
        self.document = self.trial.document

    def run(
        self, raw: bytes, sender: str | None, to: Sequence[str], keys: KeyCheck
    ) -> dict[str, Any]:
        """What the policy does with one message, per recipient, and why."""
        return self.trial.run(raw, keys, sender=sender, to=to).as_dict()

    def close(self) -> None:
        """Close the roster if it was opened."""
        self.trial.close()


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
        flag = " [misdirected: not this patient's address]" if r.get("misdirected") else ""
        out.write(f"  {r['address']}: {r['action']}{method} by rule {r['rule']}{flag}\n")
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
    registry: Registry | None = None,
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
    # A suite states keys, consents and the portal, so its results do not depend on the stores.
    tester = Tester(settings, policy_path, registry, roster=False)
    keys = KeyCheck(settings, suite.keys, suite.consents, portal=suite.portal)
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
    if args.suite:
        return run_suite(
            shipped_path(Path(args.suite)),
            settings,
            shipped_path(Path(args.policy)) if args.policy else None,
            sys.stdout,
            ctx.registry,
        )
    if not args.message:
        raise ConfigError("give MSG.eml or --suite DIR")
    policy = shipped_path(Path(args.policy)) if args.policy else None
    several = len(args.message) > 1
    # One tester for every message: the engine and the policy load once.
    tester = Tester(settings, policy, ctx.registry)
    keys = KeyCheck(settings)  # its key stores open once, on first use
    try:
        for name in args.message:
            report = tester.run(_read_message(name), args.sender, args.to or (), keys)
            if args.json:
                # One JSON object a line; with several messages each names its file.
                print(json.dumps({"message": name, **report} if several else report))
                continue
            if several:
                print(f"{name}:")
            render(report, args.explain, sys.stdout)
    finally:
        tester.close()
    return EXIT_OK


def _read_message(name: str) -> bytes:
    """The bytes of MSG.eml, or of stdin for `-`; an unreadable file is a one-line error."""
    if name == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(name).read_bytes()
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read: {exc.strerror or exc}") from None


def _check_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file", type=Path, help="the policy YAML file (a policies/... name: the shipped one)"
    )
    config_option(parser, "gateway config (for its recipient groups)", None)


def _test_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "message",
        nargs="*",
        help="MSG.eml (or - for stdin); several are tested in turn, each on a line of its own "
        "with --json",
    )
    parser.add_argument("--policy", help="policy file (default: the config's policy_file)")
    config_option(parser, "gateway config", None)
    parser.add_argument(
        "--explain", action="store_true", help="every rule hit and miss with its reason"
    )
    parser.add_argument(
        "--json", action="store_true", help="print the decision per recipient as JSON"
    )
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
