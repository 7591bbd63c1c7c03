"""Every built-in `phigate` command, registered by name in the one registry."""

from __future__ import annotations

from collections.abc import Callable

from gateway.cli import (
    audit,
    console,
    keys,
    patients,
    policy,
    portal,
    quarantine,
    reports,
    scan,
    serve,
    status,
)
from gateway.cli.command import Command
from gateway.registry import Registry

#: The commands of each module (a Command is immutable, so one instance serves every run).
BUILT_IN: tuple[Command, ...] = (
    *serve.COMMANDS,
    *policy.COMMANDS,
    *portal.COMMANDS,
    *scan.COMMANDS,
    *keys.COMMANDS,
    *quarantine.COMMANDS,
    *audit.COMMANDS,
    *patients.COMMANDS,
    *reports.COMMANDS,
    *status.COMMANDS,
    *console.COMMANDS,
)


def _factory(command: Command) -> Callable[[], Command]:
    return lambda: command


def register(reg: Registry) -> None:
    """Register every built-in command under kind "command"; the factory returns the Command."""
    for command in BUILT_IN:
        reg.register("command", command.name, _factory(command))
