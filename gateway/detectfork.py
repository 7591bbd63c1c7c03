"""The fork server the detection processes start from (gateway.detectpool).

multiprocessing's "forkserver" start method, with the PHI engine preloaded in the server
(`gateway.detect_preload`), so each detection process is forked with the model in memory. This
module imports nothing heavy: `phigate serve` starts the server before the CLI's own imports
(gateway.cli.boot), and its three seconds of loading run beside them.
"""

from __future__ import annotations

import argparse
import multiprocessing
import multiprocessing.context
import multiprocessing.forkserver
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

# The module the fork server imports before it forks any detection process.
PRELOAD = "gateway.detect_preload"


def context() -> multiprocessing.context.BaseContext:
    """The start method detection processes use, with the engine preloaded."""
    # multiprocessing starts the fork server as `python -c ...`, which puts the working directory
    # first on its sys.path, and Python 3.11's fork server ignores the sys.path it is handed. So
    # a `gateway/` or `detectors/` (or `regex.py`) in the directory `phigate serve` runs in was
    # what the detection processes imported, not the installed code the worker runs: another
    # checkout's, or whatever a writable data directory holds. PYTHONSAFEPATH keeps the working
    # directory off the path of every Python process started from here on (phigate starts no
    # other Python process).
    if os.environ.get("PYTHONSAFEPATH") != "1":
        os.environ["PYTHONSAFEPATH"] = "1"
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([PRELOAD])
    return ctx


def start() -> None:
    """Start the fork server now (it loads the engine in the background of this process)."""
    context()
    multiprocessing.forkserver.ensure_running()


def wanted_early(args: Sequence[str]) -> bool:
    """Whether `phigate serve ARGS` will scan in detection processes in this very process.

    A best guess from the flags and the config file, made before the settings are loaded (that
    is the point): a wrong "no" only means the worker starts the server itself a little later,
    and a wrong "yes" a server that loads and is stopped. No: several workers (each forks its
    own), the null detector, `detection.processes: 0`, a config file that cannot be read.
    """
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--config", type=Path)
    parser.add_argument("--workers", type=int)
    try:
        flags, _rest = parser.parse_known_args(list(args))
        config: Any = yaml.safe_load(flags.config.read_text()) if flags.config else {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError, SystemExit):
        return False
    config = config if isinstance(config, dict) else {}
    detection = config.get("detection")
    detection = detection if isinstance(detection, dict) else {}
    workers = flags.workers if flags.workers is not None else config.get("workers", 1)
    return workers == 1 and _in_processes(
        detection.get("detector", "phi"), detection.get("processes", 1)
    )


def wanted_for(settings: Any) -> bool:
    """Whether a worker with these settings scans in detection processes, read off the loaded
    settings (a forked worker of several, gateway.ops.server)."""
    return _in_processes(settings.detection.detector, settings.detection.processes)


def _in_processes(detector: object, processes: object) -> bool:
    """The one rule both guesses read: the PHI detector, and `detection.processes` not 0."""
    return detector == "phi" and processes != 0


def stop() -> None:
    """Stop this process's fork server, if it started one.

    The supervisor calls this before it forks its workers: a forked worker cannot use its
    parent's server (multiprocessing checks the server with waitpid, which only a parent may
    call), so each worker starts its own.
    """
    # multiprocessing has no public way to stop it; _stop is what its own tests use.
    multiprocessing.forkserver._forkserver._stop()  # type: ignore[attr-defined]
