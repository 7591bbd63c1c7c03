"""Every option and argument of every `phigate` command says what it is for (issue 11): the test
walks the one parser the CLI builds from the registry, subcommands included."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

from gateway.cli.main import build_parser, command_registry


def _walk(parser: argparse.ArgumentParser, path: str) -> Iterator[tuple[str, argparse.Action]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _walk(sub, f"{path} {name}")
        elif not isinstance(action, argparse._HelpAction):
            yield path, action


def test_every_option_has_a_help_text() -> None:
    """An option or argument without help is listed by command and name."""
    actions = list(_walk(build_parser(command_registry()), "phigate"))
    assert len(actions) > 100  # the walk reached the subcommands
    missing = [
        f"{path} {'/'.join(action.option_strings) or action.dest}"
        for path, action in actions
        if not action.help or action.help == argparse.SUPPRESS
    ]
    assert missing == [], "options without help:\n  " + "\n  ".join(missing)


def test_the_walk_finds_an_option_without_help() -> None:
    """The check itself can fail: a parser with one undocumented option is caught."""
    parser = argparse.ArgumentParser(prog="phigate")
    sub = parser.add_subparsers().add_parser("demo")
    sub.add_argument("--quiet", action="store_true")
    sub.add_argument("--loud", action="store_true", help="say more")
    undocumented = [a.dest for _p, a in _walk(parser, "phigate") if not a.help]
    assert undocumented == ["quiet"]
