"""Run `phigate` in-process through its one entry point, with the test's hooks."""

from __future__ import annotations

from collections.abc import Sequence

from gateway.cli.context import Hooks
from gateway.cli.main import main


def phigate(argv: Sequence[str], hooks: Hooks | None = None) -> int:
    """Run a command line and return its exit code.

    Without `hooks` nothing outside the named store is reached: no audit log, no next hop, no
    OpenPGP keyring, no other key source.
    """
    return main(list(argv), hooks or Hooks())
