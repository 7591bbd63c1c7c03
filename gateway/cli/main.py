"""The `phigate` command line: one parser built from the registry's commands, one context.

Only the command being run is built (and its module imported); the others appear in the
parser by name and help alone, so that a light command does not pay for the heavy ones.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from gateway.cli.command import Command, CommandFailed
from gateway.cli.commands import SUMMARIES, register
from gateway.cli.context import Context, Hooks
from gateway.cli.exits import EXIT_ERROR
from gateway.components import default_registry
from gateway.config import Settings
from gateway.model import ConfigError, PhigateError
from gateway.registry import Registry, resolve


def command_registry() -> Registry:
    """The one registry with the built-in components, plugins and commands."""
    registry = default_registry()
    register(registry)
    return registry


def build_parser(registry: Registry, only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every registered command and its options.

    With `only`, the other built-in commands are left as their name and help: enough for
    `phigate --help` and for argparse to name the choices, without importing their modules.
    """
    parser = argparse.ArgumentParser(
        prog="phigate",
        description="Outbound email DLP and encryption gateway for medical practices.",
    )
    parser.set_defaults(config=None)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in registry.names("command"):
        if only is not None and name != only and name in SUMMARIES:
            sub.add_parser(name, help=SUMMARIES[name], add_help=False)
            continue
        command: Command = registry.create("command", name)
        command.add_arguments(
            sub.add_parser(command.name, help=command.help, description=command.description)
        )
    return parser


def _command_named(argv: Sequence[str]) -> str:
    """The command argv names: its first word that is not an option ("" for none, as in
    `phigate --help`, which then builds no command)."""
    return next((word for word in argv if not word.startswith("-")), "")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def main(argv: Sequence[str] | None = None, hooks: Hooks | None = None) -> int:
    """Entry point of the `phigate` console script.

    `hooks` replaces the gateway's own (audit log, next hop, key stores, clock), for tests.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    registry = command_registry()
    args = build_parser(registry, only=_command_named(argv)).parse_args(argv)

    def make_hooks(settings: Settings) -> Hooks:
        if hooks is not None:
            return hooks
        # Named, not imported: the hooks reach the audit log, the next hop and the key stores.
        gateway_hooks = resolve("gateway.cli.hooks:gateway_hooks")
        made: Hooks = gateway_hooks(settings)
        return made

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
