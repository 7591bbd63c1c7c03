"""How a `phigate` command is defined, and the helpers commands share."""

from __future__ import annotations

import argparse
import getpass
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from gateway.cli.context import AuditEvent, Context
from gateway.cli.exits import EXIT_ERROR
from gateway.model import PhigateError

Runner = Callable[[Context, argparse.Namespace], int]
Options = Callable[[argparse.ArgumentParser], None]


def no_options(parser: argparse.ArgumentParser) -> None:
    """A command without options of its own."""


@dataclass(frozen=True)
class Command:
    """One command or sub-command: its name, help, options and what it does.

    A command with `subcommands` and no `run` is a group: one of them must be named. One with
    both (`report`) runs itself unless a sub-command is named. `shared` adds the options every
    sub-command takes.
    """

    name: str
    help: str
    run: Runner | None = None
    options: Options = no_options
    subcommands: tuple[Command, ...] = ()
    shared: Options = no_options
    description: str | None = None
    metavar: str | None = None

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Add this command's options and sub-commands to its parser."""
        self.options(parser)
        if self.run is not None:
            parser.set_defaults(run=self.run)
        if not self.subcommands:
            return
        sub = parser.add_subparsers(
            dest=f"{self.name}_command", metavar=self.metavar, required=self.run is None
        )
        # argparse copies a sub-command's defaults over what was parsed before its name, so
        # `portal --config X rotate-key` would lose X: an option the parent has too gets no
        # default in the child and keeps the parent's value unless it is given again.
        parent_dests = {action.dest for action in parser._actions}
        for command in self.subcommands:
            child = sub.add_parser(command.name, help=command.help, description=command.description)
            self.shared(child)
            command.add_arguments(child)
            for action in child._actions:
                if action.dest in parent_dests and action.dest != "help":
                    action.default = argparse.SUPPRESS


class CommandFailed(Exception):
    """A command stops with one line on stderr and an exit code; the entry point prints it."""

    def __init__(self, line: str, exit_code: int = EXIT_ERROR) -> None:
        super().__init__(line)
        self.line = line
        self.exit_code = exit_code


@contextmanager
def failing_as(prefix: str) -> Iterator[None]:
    """Turn an expected error inside the block into one line, `PREFIX: CODE: message`, exit 2."""
    try:
        yield
    except PhigateError as exc:
        raise CommandFailed(f"{prefix}: {exc.code}: {exc}") from exc


def operator(name: str | None) -> str:
    """Who is acting: the name given, else the user behind sudo, else the login name."""
    return name or os.environ.get("SUDO_USER") or getpass.getuser()


def print_fields(fields: Iterable[tuple[str, object]], width: int) -> None:
    """One `label: value` line per field, labels right-aligned to `width`."""
    for label, value in fields:
        print(f"{label:>{width}}: {value}")


def group(name: str, help: str, *subcommands: Command, shared: Options = no_options) -> Command:
    """A command whose sub-commands do the work (`phigate audit verify`); `shared` adds the
    options every one of them takes."""
    return Command(name, help, metavar="SUBCOMMAND", shared=shared, subcommands=subcommands)


def required_audit(ctx: Context, prefix: str, what: str) -> AuditEvent:
    """The audit hook a change must be recorded through; without one the change is refused."""
    audit = ctx.hooks.audit_event
    if audit is None:
        raise CommandFailed(
            f"{prefix}: refusing to {what}: no audit hook is configured to record it"
        )
    return audit


def record_change(
    audit: AuditEvent, prefix: str, action: str, details: Mapping[str, Any], done: str
) -> None:
    """Record a change already made; when the log refuses it, say what was done all the same."""
    try:
        audit(action, details)
    except PhigateError as exc:
        raise CommandFailed(
            f"{prefix}: {exc.code}: {done}, but the audit log did not take the record of it"
        ) from exc
