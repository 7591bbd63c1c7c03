"""Options several commands share, and how their values become settings changes."""

from __future__ import annotations

import argparse
from pathlib import Path


def config_option(
    parser: argparse.ArgumentParser, help: str = "gateway config file", metavar: str | None = "FILE"
) -> None:
    """The `--config` option; the context is built from it once, for every command."""
    parser.add_argument("--config", type=Path, metavar=metavar, help=help)


def store_options(parser: argparse.ArgumentParser, prefix: str, url: str, key_help: str) -> None:
    """`--config`, `--url` and `--key-file` of a command that opens one store.

    The flags land in `PREFIX_url` and `PREFIX_key_file`; `url` is the default shown in help.
    """
    config_option(parser)
    parser.add_argument("--url", dest=f"{prefix}_url", help=f"database URL (default {url})")
    parser.add_argument("--key-file", dest=f"{prefix}_key_file", type=Path, help=key_help)


def switches(parser: argparse.ArgumentParser, *flags: tuple[str, str | None]) -> None:
    """On/off options, each a (flag, help) pair."""
    for flag, help in flags:
        parser.add_argument(flag, action="store_true", help=help)


def given(**values: object) -> dict[str, object]:
    """The settings changes the flags name, leaving out those not given."""
    return {name: value for name, value in values.items() if value}


#: The `--json` switch of the listing commands.
JSON = ("--json", "print JSON instead of a table")
