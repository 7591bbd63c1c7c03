"""Every option and argument of every `phigate` command says what it is for (issue 11): the test
walks the one parser the CLI builds from the registry, subcommands included."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

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


def _parse(*argv: str) -> argparse.Namespace:
    return build_parser(command_registry()).parse_args(list(argv))


def test_an_option_before_the_subcommand_name_is_kept() -> None:
    """`portal --config X rotate-key` uses X, as `portal rotate-key --config X` does."""
    assert _parse("portal", "--config", "a.yaml", "rotate-key").config == Path("a.yaml")
    assert _parse("portal", "rotate-key", "--config", "b.yaml").config == Path("b.yaml")
    assert _parse("portal", "--config", "a.yaml").config == Path("a.yaml")
    assert _parse("portal", "rotate-key").config is None


def test_a_command_with_optional_subcommands_keeps_its_options() -> None:
    """Every command that runs itself and has sub-commands keeps an option given before them."""
    parser = build_parser(command_registry())
    checked = 0
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for name, sub in action.choices.items():
            nested = [a for a in sub._actions if isinstance(a, argparse._SubParsersAction)]
            if not nested or "--config" not in sub._option_string_actions:
                continue
            for child_name, child in nested[0].choices.items():
                if "--config" not in child._option_string_actions or any(
                    a.required for a in child._actions if a.option_strings
                ):
                    continue
                ns = parser.parse_args([name, "--config", "x.yaml", child_name, *_required(child)])
                assert ns.config == Path("x.yaml"), f"phigate {name} --config x.yaml {child_name}"
                checked += 1
    assert checked >= 1


def _required(parser: argparse.ArgumentParser) -> list[str]:
    """Placeholder values for a parser's required positional arguments."""
    return [
        "x"
        for a in parser._actions
        if not a.option_strings
        and a.nargs is None
        and not isinstance(a, argparse._SubParsersAction)
    ]
