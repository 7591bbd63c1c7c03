"""The `phigate` entry point.

For `serve`, the detection processes' fork server starts first (gateway.detectfork), so that its
loading of the PHI engine runs beside the CLI's own imports rather than after them: start-up to
the first accepted message is then the longer of the two, not their sum.
"""

from __future__ import annotations

import sys

from gateway import detectfork

if sys.argv[1:2] == ["serve"] and detectfork.wanted_early(sys.argv[2:]):
    detectfork.start()

from gateway.cli.main import main  # noqa: E402 - after the early start, on purpose

__all__ = ["main"]

if __name__ == "__main__":  # python -m gateway.cli.boot
    sys.exit(main())
