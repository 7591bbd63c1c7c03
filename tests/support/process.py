"""Run `phigate serve` as a real process, reading its JSON log lines."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
# The console script's own entry (gateway.cli.boot), so `serve` starts as an operator's does.
PHIGATE = [sys.executable, "-m", "gateway.cli.boot"]


def serve_args(port: int, next_hop_port: int, config: Path, *extra: str) -> list[str]:
    """The `phigate serve` arguments for a gateway on loopback port relaying to next_hop_port."""
    return [
        "--listen",
        f"127.0.0.1:{port}",
        "--next-hop",
        f"127.0.0.1:{next_hop_port}",
        "--config",
        str(config),
        *extra,
    ]


class PhigateProcess:
    """A phigate server process whose stderr is collected line by line."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [*PHIGATE, "serve", *args],
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            start_new_session=True,  # its own process group, so stop() can reach every worker
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        out = []
        for line in list(self.lines):
            try:
                ev = json.loads(line)
            except json.JSONDecodeError:
                continue
            if name is None or ev.get("event") == name:
                out.append(ev)
        return out

    def wait_event(self, name: str, count: int = 1, timeout: float = 30) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.events(name)
            if len(found) >= count:
                return found
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no {count}x {name!r} event; stderr:\n" + "\n".join(self.lines[-40:]))

    def wait_port(self, port: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("phigate exited:\n" + "\n".join(self.lines[-40:]))
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.recv(100)
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"phigate did not listen on {port}")

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # any worker the supervisor left behind
        except ProcessLookupError:
            pass
        self._reader.join(5)
        return self.proc.returncode
