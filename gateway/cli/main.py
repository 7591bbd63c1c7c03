"""The `phigate` command line: one parser built from the registry's commands, one context."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from gateway.cli.command import Command, CommandFailed
from gateway.cli.commands import register
from gateway.cli.context import Context, Hooks
from gateway.cli.exits import EXIT_ERROR
from gateway.cli.hooks import gateway_hooks
from gateway.components import default_registry
from gateway.config import Settings
from gateway.model import ConfigError, PhigateError
from gateway.registry import Registry


def command_registry() -> Registry:
    """The one registry with the built-in components, plugins and commands."""
    registry = default_registry()
    register(registry)
    return registry


def build_parser(registry: Registry) -> argparse.ArgumentParser:
    """The parser of every registered command and its options."""
    parser = argparse.ArgumentParser(
        prog="phigate",
        description="Outbound email DLP and encryption gateway for medical practices.",
    )
    parser.set_defaults(config=None)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in registry.names("command"):
        command: Command = registry.create("command", name)
        command.add_arguments(
            sub.add_parser(command.name, help=command.help, description=command.description)
        )
    return parser


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def main(argv: Sequence[str] | None = None, hooks: Hooks | None = None) -> int:
    """Entry point of the `phigate` console script.

    `hooks` replaces the gateway's own (audit log, next hop, key stores, clock), for tests.
    """
    registry = command_registry()
    args = build_parser(registry).parse_args(argv)

    def make_hooks(settings: Settings) -> Hooks:
        return gateway_hooks(settings) if hooks is None else hooks

    ctx = Context(args.config, registry, make_hooks)
    try:
        code: int = args.run(ctx, args)
        return code
    except CommandFailed as exc:
        print(exc.line, file=sys.stderr)
        return exc.exit_code
    except ConfigError as exc:
        print(f"phigate: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except PhigateError as exc:
        # A bad key file, a store that cannot open: one line naming it, never a traceback.
        print(f"phigate: {exc.code}: {_one_line(exc)}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        # The reader (e.g. `head`) went away: stop quietly, like other Unix tools.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
