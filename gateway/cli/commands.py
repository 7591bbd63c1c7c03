"""Every built-in `phigate` command, registered by name in the one registry."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from gateway.cli import (
    audit,
    console,
    keylookup,
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


def _with_subcommands(command: Command, extra: tuple[Command, ...]) -> Command:
    """`command` with more sub-commands from another module (`keys lookup`)."""
    return dataclasses.replace(command, subcommands=(*command.subcommands, *extra))


#: The commands of each module (a Command is immutable, so one instance serves every run).
BUILT_IN: tuple[Command, ...] = (
    *serve.COMMANDS,
    *policy.COMMANDS,
    *portal.COMMANDS,
    *scan.COMMANDS,
    *(_with_subcommands(c, keylookup.COMMANDS) if c.name == "keys" else c for c in keys.COMMANDS),
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
