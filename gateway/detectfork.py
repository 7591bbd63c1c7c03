"""The fork server the detection processes start from (gateway.detectpool).

multiprocessing's "forkserver" start method, with the PHI engine preloaded in the server
(`gateway.detect_preload`), so each detection process is forked with the model in memory. This
module imports nothing heavy: `phigate serve` starts the server before the CLI's own imports
(gateway.cli.boot), and its three seconds of loading run beside them.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import multiprocessing.forkserver

# The module the fork server imports before it forks any detection process.
PRELOAD = "gateway.detect_preload"


def context() -> multiprocessing.context.BaseContext:
    """The start method detection processes use, with the engine preloaded."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([PRELOAD])
    return ctx


def start() -> None:
    """Start the fork server now (it loads the engine in the background of this process)."""
    context()
    multiprocessing.forkserver.ensure_running()


def stop() -> None:
    """Stop this process's fork server, if it started one.

    The supervisor calls this before it forks its workers: a forked worker cannot use its
    parent's server (multiprocessing checks the server with waitpid, which only a parent may
    call), so each worker starts its own.
    """
    # multiprocessing has no public way to stop it; _stop is what its own tests use.
    multiprocessing.forkserver._forkserver._stop()  # type: ignore[attr-defined]
