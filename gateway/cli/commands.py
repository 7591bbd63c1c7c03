"""Every built-in `phigate` command, registered by name in the one registry.

A command is named here with its module and its one-line help, not imported: its module (and
what that imports, the PHI engine for `scan` and `serve`) loads only when the command is built.
`phigate audit verify` then starts in a fraction of the time `phigate serve` takes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gateway.cli.command import Command
from gateway.registry import Registry, resolve


@dataclass(frozen=True)
class BuiltIn:
    """A built-in command: its name, the module whose COMMANDS define it, its one-line help."""

    name: str
    module: str
    help: str


BUILT_IN: tuple[BuiltIn, ...] = (
    BuiltIn("serve", "gateway.cli.serve", "run the SMTP gateway"),
    BuiltIn("config", "gateway.cli.serve", "check a config file"),
    BuiltIn("send", "gateway.cli.serve", "send a sample or given message to the gateway"),
    BuiltIn(
        "passwd", "gateway.cli.serve", "print a credentials line (user:argon2 hash) for SMTP AUTH"
    ),
    BuiltIn("policy", "gateway.cli.policy", "check and test policy files"),
    BuiltIn(
        "portal",
        "gateway.cli.portal",
        "serve the secure patient pickup portal (TLS); rotate-key adds a new master key",
    ),
    BuiltIn("scan", "gateway.cli.scan", "scan messages for PHI (masked output)"),
    BuiltIn("keys", "gateway.cli.keys", "recipient certificates and keys"),
    BuiltIn("quarantine", "gateway.cli.quarantine", "review, release and delete held messages"),
    BuiltIn("audit", "gateway.cli.audit", "inspect and check the tamper-evident audit log"),
    BuiltIn("patients", "gateway.cli.patients", "the patient roster (stored as keyed hashes)"),
    BuiltIn("consent", "gateway.cli.patients", "patients' consents to unencrypted email"),
    BuiltIn(
        "report",
        "gateway.cli.reports",
        "compliance report from the audit log (or: report disclosures --patient ID)",
    ),
    BuiltIn(
        "status",
        "gateway.cli.status",
        "each gateway node's heartbeat, policy version and newest audit record",
    ),
    BuiltIn(
        "console",
        "gateway.cli.console",
        "serve the compliance officer's web console (TLS), or manage its users",
    ),
)

SUMMARIES: dict[str, str] = {b.name: b.help for b in BUILT_IN}


def load(built_in: BuiltIn) -> Command:
    """The command itself, from its module's COMMANDS (importing the module)."""
    commands: tuple[Command, ...] = resolve(f"{built_in.module}:COMMANDS")
    for command in commands:
        if command.name == built_in.name:
            return command
    raise LookupError(f"{built_in.module} defines no command {built_in.name!r}")


def _factory(built_in: BuiltIn) -> Callable[[], Command]:
    return lambda: load(built_in)


def register(reg: Registry) -> None:
    """Register every built-in command under kind "command"; the factory returns the Command."""
    for built_in in BUILT_IN:
        reg.register("command", built_in.name, _factory(built_in))
