"""The duplicate window: how long phigate holds a message the next hop has accepted before it
answers its own 250 (RFC 1047). A node killed inside that window makes the sending MTA send the
message again, so it is what multi-node delivery "exactly once" rests on.

One phigate process relays N messages, one at a time, from this process's client to this
process's sink. The sink notes the monotonic clock as it answers 250; the client notes it as
it reads phigate's 250. The difference is the window (two loopback hops included); the script
prints its median and 95th percentile, and its share of the whole message time.

    .venv/bin/python bench/duplicate_window.py                  # SQLite audit log in a temp dir
    .venv/bin/python bench/duplicate_window.py --pg postgresql+psycopg://postgres@127.0.0.1/test
    .venv/bin/python bench/duplicate_window.py --own-domains    # with the console's sender directory
"""

from __future__ import annotations

import argparse
import os
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

if str(Path(__file__).resolve().parent.parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.args import positive_int  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
SENDER = "dr.lee@practice.example"


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


class StampingSink:
    """The next hop: accepts every message and notes when it answered 250, by Message-ID."""

    def __init__(self) -> None:
        self.port = free_port()
        self.accepted_at: dict[str, float] = {}
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname=LOOPBACK, port=self.port)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        """aiosmtpd's hook: note the time, then answer 250 (written right after this returns)."""
        raw = envelope.original_content or b""
        mid = next(
            (
                line.split(b":", 1)[1].strip().decode()
                for line in raw.split(b"\r\n")
                if line.lower().startswith(b"message-id:")
            ),
            "",
        )
        with self._lock:
            self.accepted_at[mid] = time.monotonic()
        return "250 2.0.0 Ok"

    def __enter__(self) -> StampingSink:
        self._controller.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self._controller.stop()


def _config(work: Path, audit_url: str, own_domains: bool) -> Path:
    cfg = work / "phigate.yaml"
    console = (
        f"console:\n  url: 'sqlite:///{work}/console.db'\n  own_domains: [practice.example]\n"
        if own_domains
        else ""
    )
    cfg.write_text(
        f"audit:\n  url: '{audit_url}'\n  key_file: '{work}/audit.key'\n"
        f"  anchor_file: '{work}/audit.anchor'\n"
        f"quarantine:\n  url: 'sqlite:///{work}/q.db'\n  master_key_file: '{work}/q.key'\n"
        f"patients:\n  url: 'sqlite:///{work}/p.db'\n  key_file: '{work}/roster.key'\n"
        "detection:\n  detector: 'null'\n"
        "metrics:\n  listen: null\n"
        "notices:\n  postmaster: postmaster@practice.example\n" + console
    )
    return cfg


@contextmanager
def audit_url(pg: str | None, work: Path) -> Iterator[str]:
    """SQLite in `work`, or a throw-away schema on the PostgreSQL server `pg` (dropped after)."""
    if pg is None:
        yield f"sqlite:///{work}/audit.db"
        return
    schema = f"bench_window_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(pg, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{pg}?options=-csearch_path%3D{schema}"
    finally:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def _wait_port(proc: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("phigate exited before it listened")
        try:
            with socket.create_connection((LOOPBACK, port), timeout=1) as s:
                s.recv(100)
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"phigate did not listen on {port}")


def _message(i: int) -> tuple[str, bytes]:
    mid = f"<window-{i}@practice.example>"
    raw = (
        f"From: {SENDER}\r\nTo: lab@lab.example\r\nSubject: note {i}\r\nMessage-ID: {mid}\r\n\r\n"
        f"The office opens at 8 tomorrow (note {i}).\r\n"
    ).encode()
    return mid, raw


def measure(messages: int, pg: str | None, own_domains: bool) -> None:
    """Run the messages through one phigate process and print the window's figures."""
    with (
        tempfile.TemporaryDirectory(prefix="phigate-window-") as tmp,
        StampingSink() as sink,
        audit_url(pg, Path(tmp)) as url,
    ):
        work = Path(tmp)
        port = free_port()
        phigate = [str(REPO_ROOT / ".venv" / "bin" / "phigate")]
        args = ["--listen", f"{LOOPBACK}:{port}", "--next-hop", f"{LOOPBACK}:{sink.port}"]
        proc = subprocess.Popen(
            [*phigate, "serve", *args, "--config", str(_config(work, url, own_domains))],
            cwd=work,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            _wait_port(proc, port)
            windows: list[float] = []
            totals: list[float] = []
            with smtplib.SMTP(LOOPBACK, port, timeout=30) as client:
                for i in range(messages + 20):
                    mid, raw = _message(i)
                    started = time.monotonic()
                    client.sendmail(SENDER, ["lab@lab.example"], raw)
                    answered = time.monotonic()
                    if i < 20:
                        continue  # warm-up: first connections, first audit batches
                    windows.append(answered - sink.accepted_at[mid])
                    totals.append(answered - started)
        finally:
            proc.terminate()
            proc.wait(20)
    ms = sorted(w * 1000 for w in windows)
    p95 = ms[int(0.95 * (len(ms) - 1))]
    share = statistics.median(w / t for w, t in zip(windows, totals, strict=True))
    where = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(
        f"audit on {where}{', sender directory on' if own_domains else ''}: {len(ms)} messages; "
        f"window median {statistics.median(ms):.2f} ms, p95 {p95:.2f} ms; "
        f"window / whole message time {share:.2f}"
    )


def main() -> None:
    """Parse the flags and measure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=positive_int, default=300, help="messages timed")
    parser.add_argument(
        "--pg",
        metavar="URL",
        help="audit log on this PostgreSQL server, in a throw-away schema (default: SQLite)",
    )
    parser.add_argument(
        "--own-domains",
        action="store_true",
        help="set console.own_domains, so the console's sender directory is written too",
    )
    args = parser.parse_args()
    measure(args.messages, args.pg, args.own_domains)


if __name__ == "__main__":
    main()
