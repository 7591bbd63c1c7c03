"""A real Postfix in a private directory, a capturing SMTP sink and a gateway process runner.

The Postfix instance is built from the shipped snippets in ``deploy/postfix/``
(ports 10025 and 10026 are swapped for free high ports), so the tests exercise
exactly the configuration that sites copy.

Run ``python -m tests.support.postfix passthrough --listen H:P --next-hop H:P``
for a stand-in pass-through relay that answers like phigate (250 only after
the next hop accepted, 451 otherwise). Setting ``PHIGATE_TEST_GATEWAY=passthrough``
makes :func:`gateway_argv` use it instead of ``phigate serve``, which helps to
tell a Postfix problem from a gateway problem.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path
from types import TracebackType
from typing import Self

import aiosmtplib
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.support.ports import free_port  # noqa: F401

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY_DIR = REPO_ROOT / "deploy" / "postfix"
POSTFIX = Path("/usr/sbin/postfix")
POSTCONF = Path("/usr/sbin/postconf")
POSTQUEUE = Path("/usr/sbin/postqueue")
LOOPBACK = "127.0.0.1"

# The loopback ports the shipped snippets use.
SNIPPET_GATEWAY_PORT = 10025
SNIPPET_REINJECT_PORT = 10026

SMTP_SERVICE_READY = 220
SMTP_OK = 250
SMTP_START_MAIL_INPUT = 354
SMTP_TEMPFAIL = 451

_QUEUED_AS = re.compile(rb"queued as ([0-9A-Za-z]+)")


class HarnessError(RuntimeError):
    """A test server could not be set up, or did not reach the expected state in time."""


def require_postfix() -> None:
    """Fail loudly (never skip) when a private Postfix cannot be run here."""
    missing = [str(path) for path in (POSTFIX, POSTCONF, POSTQUEUE) if not path.exists()]
    if missing:
        raise HarnessError(
            f"Postfix is not installed (missing {', '.join(missing)}); "
            "install the Debian 'postfix' package (make test does this)"
        )
    if os.geteuid() != 0:
        raise HarnessError("a private Postfix needs root: 'postfix -c DIR start' refuses otherwise")


def port_accepts(port: int, host: str = LOOPBACK) -> bool:
    """Tell whether something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def wait_until(
    condition: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    context: Callable[[], str] | None = None,
    interval: float = 0.1,
) -> None:
    """Poll condition until it holds, or raise HarnessError naming what did not happen."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return
        if time.monotonic() >= deadline:
            detail = f"\n{context()}" if context is not None else ""
            raise HarnessError(f"timed out after {timeout:.0f}s waiting for {what}{detail}")
        time.sleep(interval)


# --------------------------------------------------------------------------
# master.cf and main.cf snippets


@dataclass(frozen=True)
class MasterEntry:
    """One master.cf service entry: its name, the six columns plus command, and its -o options."""

    service: str
    columns: tuple[str, ...]
    options: tuple[tuple[str, str], ...]

    def option(self, name: str) -> str | None:
        """Return the value of one -o option, or None when the entry does not set it."""
        for key, value in self.options:
            if key == name:
                return value
        return None

    def clone(
        self,
        *,
        service: str | None = None,
        options: Iterable[tuple[str, str]] | None = None,
    ) -> MasterEntry:
        """Return a copy with another service name and/or option list."""
        return replace(
            self,
            service=self.service if service is None else service,
            options=self.options if options is None else tuple(options),
        )

    def render(self) -> str:
        """Render the entry in master.cf syntax."""
        lines = [" ".join((self.service, *self.columns))]
        lines.extend(f"  -o {key}={value}" for key, value in self.options)
        return "\n".join(lines)


def parse_master_cf(text: str) -> list[MasterEntry]:
    """Parse master.cf text into entries (comments dropped, -o options split out)."""
    logical: list[str] = []
    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        if raw[0].isspace():
            if not logical:
                raise ValueError(f"continuation line without an entry: {raw!r}")
            logical[-1] += " " + raw.strip()
        else:
            logical.append(raw.strip())
    entries = []
    for line in logical:
        words = line.split()
        if len(words) < 8:
            raise ValueError(f"master.cf entry has fewer than 8 fields: {line!r}")
        service, columns, rest = words[0], tuple(words[1:8]), words[8:]
        options: list[tuple[str, str]] = []
        plain_args: list[str] = []
        index = 0
        while index < len(rest):
            if rest[index] == "-o" and index + 1 < len(rest):
                key, _, value = rest[index + 1].partition("=")
                options.append((key, value))
                index += 2
            else:
                plain_args.append(rest[index])
                index += 1
        entries.append(MasterEntry(service, columns + tuple(plain_args), tuple(options)))
    return entries


def parse_main_cf(text: str) -> dict[str, str]:
    """Parse main.cf text into parameter values (comments dropped, continuations joined)."""
    params: dict[str, str] = {}
    last: str | None = None
    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        if raw[0].isspace():
            if last is None:
                raise ValueError(f"continuation line without a parameter: {raw!r}")
            params[last] = f"{params[last]} {raw.strip()}".strip()
            continue
        key, sep, value = raw.partition("=")
        if not sep:
            raise ValueError(f"main.cf line is not 'name = value': {raw!r}")
        last = key.strip()
        params[last] = value.strip()
    return params


def snippet_text(mode: str, name: str) -> str:
    """Return a shipped snippet, e.g. snippet_text('after-queue', 'master.cf')."""
    return (DEPLOY_DIR / mode / name).read_text(encoding="utf-8")


def snippet_entry(mode: str, service: str) -> MasterEntry:
    """Return the master.cf entry named service from a shipped snippet."""
    for entry in parse_master_cf(snippet_text(mode, "master.cf")):
        if entry.service == service:
            return entry
    raise HarnessError(f"deploy/postfix/{mode}/master.cf has no '{service}' entry")


def swap_ports(value: str, ports: Mapping[int, int]) -> str:
    """Replace ':OLD' port suffixes in a Postfix value with the mapped ports."""

    def substitute(match: re.Match[str]) -> str:
        return f":{ports[int(match.group(1))]}"

    alternatives = "|".join(str(port) for port in ports)
    return re.sub(rf":({alternatives})\b", substitute, value)


# --------------------------------------------------------------------------
# The Postfix instance


@dataclass(frozen=True)
class PostfixPorts:
    """The loopback ports one test Postfix and its neighbours use."""

    after_queue: int  # front smtpd: queues, then content_filter hands mail to the gateway
    before_queue: int  # front smtpd with smtpd_proxy_filter to the gateway
    reinject: int  # the reinjection listener the gateway delivers to
    gateway: int  # where phigate (or the stand-in) listens
    sink: int  # the relayhost: a capturing aiosmtpd server

    @classmethod
    def allocate(cls, *, sink: int) -> PostfixPorts:
        """Pick free ports for everything but the already running sink."""
        return cls(free_port(), free_port(), free_port(), free_port(), sink)


@dataclass(frozen=True)
class QueueEntry:
    """One message in Postfix's queue, as `postqueue -j` reports it."""

    queue_id: str
    queue_name: str
    recipients: tuple[str, ...]
    delay_reasons: tuple[str, ...]


# Postfix daemons every instance needs; none chrooted (the private queue has no chroot jail).
_BASE_MASTER_CF = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


class _StopsOnExit:
    """Leaving a `with` block stops the server, however the block ends."""

    def stop(self) -> None:
        raise NotImplementedError

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class PostfixInstance(_StopsOnExit):
    """A real Postfix with its own config, queue, data directory and log file under root."""

    def __init__(self, root: Path, ports: PostfixPorts) -> None:
        self.root = root
        self.ports = ports
        self.config_dir = root / "etc"
        self.queue_dir = root / "spool"
        self.data_dir = root / "data"
        self.maillog = root / "maillog"
        self._master_pid: int | None = None

    # -- configuration -------------------------------------------------------

    def _port_map(self) -> dict[int, int]:
        return {
            SNIPPET_GATEWAY_PORT: self.ports.gateway,
            SNIPPET_REINJECT_PORT: self.ports.reinject,
        }

    def _swap(self, options: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(key, swap_ports(value, self._port_map())) for key, value in options]

    def plumbing(self) -> dict[str, str]:
        """The private instance's own main.cf parameters: its directories, loopback only, no
        DNS, no TLS, fast retries (every test Postfix starts from these)."""
        return {
            "compatibility_level": "3.6",
            "queue_directory": str(self.queue_dir),
            "data_directory": str(self.data_dir),
            "maillog_file": str(self.maillog),
            "maillog_file_prefixes": str(self.root),
            "inet_interfaces": LOOPBACK,
            "inet_protocols": "ipv4",
            "myhostname": "postfix.phigate-test.invalid",
            "mydestination": "",
            "mynetworks": "127.0.0.0/8",
            "alias_maps": "",
            "alias_database": "",
            "smtpd_relay_restrictions": "permit_mynetworks, reject",
            "smtp_tls_security_level": "none",
            "smtpd_tls_security_level": "none",
            "smtp_dns_support_level": "disabled",
            "queue_run_delay": "1s",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
            "biff": "no",
        }

    def main_cf(self) -> str:
        """Render main.cf: test plumbing plus the shipped after-queue parameters."""
        shipped = parse_main_cf(snippet_text("after-queue", "main.cf"))
        params = {
            **self.plumbing(),
            "relayhost": f"[{LOOPBACK}]:{self.ports.sink}",
            **{key: swap_ports(value, self._port_map()) for key, value in shipped.items()},
        }
        return "".join(f"{key} = {value}\n" for key, value in params.items())

    def master_cf(self) -> str:
        """Render master.cf: base daemons, two front listeners and the shipped phigate entries."""
        transport = snippet_entry("after-queue", "phigate")
        reinject = snippet_entry("after-queue", f"{LOOPBACK}:{SNIPPET_REINJECT_PORT}")
        submission = snippet_entry("before-queue", "submission")
        proxy_options = [
            (key, value)
            for key, value in submission.options
            if key.startswith("smtpd_proxy_") or key == "smtpd_client_connection_count_limit"
        ]
        # The shipped main.cf sets content_filter globally, as sites do. Only the
        # before-queue front listener, which sites run without content_filter,
        # switches it off here so that its mail is not filtered twice.
        after_front = reinject.clone(
            service=f"{LOOPBACK}:{self.ports.after_queue}",
            options=[("syslog_name", "postfix/front-aq")],
        )
        before_front = reinject.clone(
            service=f"{LOOPBACK}:{self.ports.before_queue}",
            options=[
                ("syslog_name", "postfix/front-bq"),
                ("content_filter", ""),
                *self._swap(proxy_options),
            ],
        )
        entries = [
            after_front,
            before_front,
            transport.clone(options=self._swap(transport.options)),
            reinject.clone(
                service=f"{LOOPBACK}:{self.ports.reinject}",
                options=self._swap(reinject.options),
            ),
        ]
        return _BASE_MASTER_CF + "".join(entry.render() + "\n" for entry in entries)

    # -- life cycle ---------------------------------------------------------

    def _run(self, argv: Sequence[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
        if check and result.returncode != 0:
            raise HarnessError(
                f"{' '.join(argv)} exited {result.returncode}\nstdout: {result.stdout}\n"
                f"stderr: {result.stderr}\n{self.describe()}"
            )
        return result

    def start(self) -> None:
        """Write the configuration, start Postfix and wait until its listeners accept."""
        require_postfix()
        for directory in (self.config_dir, self.queue_dir, self.data_dir):
            directory.mkdir(parents=True, exist_ok=True)
        # Postfix daemons drop to the postfix user; they must be able to reach the tree.
        self.root.chmod(0o755)
        shutil.chown(self.data_dir, user="postfix")
        (self.config_dir / "main.cf").write_text(self.main_cf(), encoding="utf-8")
        (self.config_dir / "master.cf").write_text(self.master_cf(), encoding="utf-8")
        # postconf reports unknown or malformed parameters on stderr; postfix itself
        # would only tell syslog, which a test machine may not have.
        warnings = self._run([str(POSTCONF), "-c", str(self.config_dir), "-n"]).stderr
        if warnings.strip():
            raise HarnessError(f"postconf complains about the test configuration:\n{warnings}")
        self._run([str(POSTFIX), "-c", str(self.config_dir), "check"])
        self._run([str(POSTFIX), "-c", str(self.config_dir), "start"])
        self._master_pid = self._read_master_pid()
        for port in (self.ports.after_queue, self.ports.before_queue, self.ports.reinject):
            wait_until(
                functools.partial(port_accepts, port),
                timeout=15,
                what=f"Postfix to listen on port {port}",
                context=self.describe,
            )

    def _read_master_pid(self) -> int:
        pid_file = self.queue_dir / "pid" / "master.pid"
        wait_until(
            lambda: pid_file.exists() and pid_file.read_text().strip() != "",
            timeout=15,
            what="Postfix's master.pid",
            context=self.describe,
        )
        return int(pid_file.read_text().strip())

    def _master_alive(self) -> bool:
        if self._master_pid is None:
            return False
        try:
            stat = Path(f"/proc/{self._master_pid}/stat").read_text()
        except FileNotFoundError:
            return False
        # A zombie has exited; it lingers only because its parent has not reaped it.
        state = stat.rpartition(")")[2].split()[0]
        return state not in ("Z", "X")

    def stop(self) -> None:
        """Stop Postfix (abort and kill the master if needed) and remove the whole tree."""
        try:
            if self._master_pid is not None:
                self._run([str(POSTFIX), "-c", str(self.config_dir), "stop"], check=False)
                try:
                    wait_until(self._master_alive_is_false, timeout=15, what="Postfix to stop")
                except HarnessError:
                    self._run([str(POSTFIX), "-c", str(self.config_dir), "abort"], check=False)
                    if self._master_alive():
                        os.kill(self._master_pid, signal.SIGKILL)
                self._master_pid = None
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def _master_alive_is_false(self) -> bool:
        return not self._master_alive()

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    # -- inspection and control --------------------------------------------

    def queue(self) -> list[QueueEntry]:
        """Return every message in the queue (`postqueue -j`)."""
        output = self._run([str(POSTQUEUE), "-c", str(self.config_dir), "-j"]).stdout
        entries = []
        for line in output.splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            recipients = record.get("recipients", [])
            entries.append(
                QueueEntry(
                    queue_id=record["queue_id"],
                    queue_name=record["queue_name"],
                    recipients=tuple(r["address"] for r in recipients),
                    delay_reasons=tuple(r.get("delay_reason", "") for r in recipients),
                )
            )
        return entries

    def queue_listing(self) -> str:
        """Return `postqueue -p` output, for humans and error messages."""
        return self._run([str(POSTQUEUE), "-c", str(self.config_dir), "-p"], check=False).stdout

    def flush(self) -> None:
        """Ask Postfix to retry all deferred mail now (`postqueue -f`)."""
        self._run([str(POSTQUEUE), "-c", str(self.config_dir), "-f"])

    def log_text(self) -> str:
        """Return the whole maillog."""
        try:
            return self.maillog.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def log_lines(self, queue_id: str) -> list[str]:
        """Return the maillog lines about one queue ID."""
        marker = f" {queue_id}: "
        return [line for line in self.log_text().splitlines() if marker in line]

    def describe(self, tail: int = 40) -> str:
        """Summarise the queue and the end of the maillog, for failure messages."""
        lines = self.log_text().splitlines()[-tail:]
        listing = self.queue_listing() if self._master_pid is not None else "(not running)"
        return "postqueue -p:\n" + listing + "\nmaillog tail:\n" + "\n".join(lines)


@contextmanager
def running_postfix(ports: PostfixPorts) -> Iterator[PostfixInstance]:
    """Run a private Postfix in a fresh temporary directory and always stop and remove it."""
    root = Path(tempfile.mkdtemp(prefix="phigate-postfix-"))
    with PostfixInstance(root, ports) as instance:
        yield instance


# --------------------------------------------------------------------------
# The capturing sink


@dataclass(frozen=True)
class CapturedMessage:
    """One message a sink accepted, with its envelope and its exact bytes."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes

    @property
    def body(self) -> bytes:
        """Return the bytes after the blank line that ends the header."""
        _, sep, body = self.content.partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("captured message has no header/body separator")
        return body

    @property
    def message_id(self) -> str | None:
        """Return the Message-ID header value, stripped, or None."""
        headers = BytesHeaderParser(policy=compat32).parsebytes(self.content)
        value = headers.get("Message-ID")
        return None if value is None else str(value).strip()


class _CapturingHandler:
    def __init__(self, sink: CapturingSink) -> None:
        self._sink = sink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content
        if raw is None or envelope.mail_from is None:
            return "554 5.5.1 no message"
        self._sink.record(CapturedMessage(envelope.mail_from, tuple(envelope.rcpt_tos), bytes(raw)))
        return "250 2.0.0 Ok: captured"


class CapturingSink(_StopsOnExit):
    """An aiosmtpd server on loopback that keeps every message it accepts."""

    def __init__(self, port: int | None = None) -> None:
        self.port = free_port() if port is None else port
        self._messages: list[CapturedMessage] = []
        self._lock = threading.Lock()
        self._controller = Controller(_CapturingHandler(self), hostname=LOOPBACK, port=self.port)

    def record(self, message: CapturedMessage) -> None:
        """Store one accepted message (called from the server thread)."""
        with self._lock:
            self._messages.append(message)

    def messages(self) -> tuple[CapturedMessage, ...]:
        """Return a snapshot of every message accepted so far."""
        with self._lock:
            return tuple(self._messages)

    def with_message_id(self, message_id: str) -> list[CapturedMessage]:
        """Return every accepted delivery of the message with this Message-ID."""
        return [m for m in self.messages() if m.message_id == message_id]

    def start(self) -> None:
        """Start listening."""
        self._controller.start()

    def stop(self) -> None:
        """Stop listening."""
        self._controller.stop()

    def __enter__(self) -> Self:
        self.start()
        return self


# --------------------------------------------------------------------------
# Sending mail


@dataclass(frozen=True)
class SubmitResult:
    """How a server answered one SMTP transaction, and at which stage it stopped."""

    stage: str  # "mail", "rcpt" or "data"
    code: int
    reply: bytes

    @property
    def queue_id(self) -> str | None:
        """Return Postfix's queue ID from a '250 ... queued as ID' reply, if any."""
        match = _QUEUED_AS.search(self.reply)
        return None if match is None else match.group(1).decode("ascii")


def submit(
    port: int,
    mail_from: str,
    rcpt_tos: Sequence[str],
    content: bytes,
    *,
    eight_bit: bool = False,
) -> SubmitResult:
    """Send one message (CRLF line endings) over SMTP and report the first non-success reply."""
    if b"\n" in content.replace(b"\r\n", b""):
        raise ValueError("content must use CRLF line endings only")
    with smtplib.SMTP(
        LOOPBACK, port, local_hostname="client.phigate-test.invalid", timeout=60
    ) as c:
        c.ehlo()
        options = ["BODY=8BITMIME"] if eight_bit else []
        code, reply = c.mail(mail_from, options)
        if code != SMTP_OK:
            return SubmitResult("mail", code, reply)
        for rcpt in rcpt_tos:
            code, reply = c.rcpt(rcpt)
            if code != SMTP_OK:
                return SubmitResult("rcpt", code, reply)
        code, reply = c.data(content)
        return SubmitResult("data", code, reply)


# --------------------------------------------------------------------------
# The gateway process (phigate, or the stand-in relay)


def write_phigate_config(directory: Path) -> Path:
    """Write a minimal phigate config (audit database and keys under directory) and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    # phigate creates the key ring and the anchor itself on first start.
    config = directory / "phigate.yaml"
    config.write_text(
        "audit:\n"
        f'  url: "sqlite:///{directory / "audit.db"}"\n'
        f"  key_file: {directory / 'audit.key'}\n"
        f"  anchor_file: {directory / 'audit.anchor'}\n"
        "metrics:\n"
        "  listen: null\n"
        "logging:\n"
        "  level: info\n",
        encoding="utf-8",
    )
    return config


def phigate_executable() -> Path:
    """Return the phigate console script of the running virtualenv."""
    candidate = Path(sys.executable).parent / "phigate"
    if candidate.exists():
        return candidate
    found = shutil.which("phigate")
    if found is None:
        raise HarnessError("the 'phigate' command is not installed in this environment")
    return Path(found)


def gateway_argv(listen_port: int, next_hop_port: int, config: Path) -> list[str]:
    """Return the command that runs the gateway between listen_port and next_hop_port."""
    listen = f"{LOOPBACK}:{listen_port}"
    next_hop = f"{LOOPBACK}:{next_hop_port}"
    if os.environ.get("PHIGATE_TEST_GATEWAY") == "passthrough":
        return [sys.executable, "-m", "tests.support.postfix", "passthrough"] + [
            "--listen",
            listen,
            "--next-hop",
            next_hop,
        ]
    return [
        str(phigate_executable()),
        "serve",
        "--listen",
        listen,
        "--next-hop",
        next_hop,
        "--config",
        str(config),
    ]


def _smtp_banner_ok(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=2.0) as conn:
            conn.settimeout(5.0)
            banner = conn.recv(512)
            conn.sendall(b"QUIT\r\n")
    except OSError:
        return False
    return banner.startswith(str(SMTP_SERVICE_READY).encode())


class GatewayProcess:
    """Runs the gateway as a child process: start waits for its SMTP banner, stop sends SIGTERM."""

    def __init__(
        self, argv: Sequence[str], port: int, log_path: Path, *, ready_timeout: float = 60.0
    ) -> None:
        self.argv = list(argv)
        self.port = port
        self.log_path = log_path
        self.ready_timeout = ready_timeout
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        """Tell whether the child process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the process and wait until its port answers with a 220 banner."""
        if self.running:
            return
        if port_accepts(self.port):
            raise HarnessError(f"port {self.port} is already taken; cannot start the gateway")
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                self.argv,
                cwd=REPO_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        process = self._process

        def ready() -> bool:
            if process.poll() is not None:
                raise HarnessError(
                    f"gateway exited with {process.returncode} before it was ready: "
                    f"{' '.join(self.argv)}\n{self.log_tail()}"
                )
            return _smtp_banner_ok(self.port)

        try:
            wait_until(
                ready,
                timeout=self.ready_timeout,
                what="the gateway's banner",
                context=self.log_tail,
            )
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout: float = 20.0) -> int | None:
        """Send SIGTERM and wait; kill and raise if it does not exit. Returns the exit code."""
        process, self._process = self._process, None
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
                raise HarnessError(
                    f"gateway did not exit within {timeout:.0f}s of SIGTERM\n{self.log_tail()}"
                ) from None
        return process.returncode

    def log_text(self) -> str:
        """Return everything the gateway wrote to stdout and stderr."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 30) -> str:
        """Return the end of the gateway's output, for failure messages."""
        return "gateway output tail:\n" + "\n".join(self.log_text().splitlines()[-lines:])


# --------------------------------------------------------------------------
# The stand-in pass-through relay


class _PassThroughHandler:
    def __init__(self, next_hop: tuple[str, int]) -> None:
        self._next_hop = next_hop

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content
        if raw is None or envelope.mail_from is None:
            return "554 5.5.1 no message"
        host, port = self._next_hop
        try:
            await aiosmtplib.send(
                bytes(raw),
                sender=envelope.mail_from,
                recipients=list(envelope.rcpt_tos),
                hostname=host,
                port=port,
                start_tls=False,
                timeout=60,
            )
        except (aiosmtplib.SMTPException, OSError):
            return "451 4.4.1 next hop unavailable, try again later"
        return "250 2.0.0 Ok: passed on"


def _host_port(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    return host, int(port)


async def _serve_passthrough(listen: tuple[str, int], next_hop: tuple[str, int]) -> None:
    loop = asyncio.get_running_loop()
    handler = _PassThroughHandler(next_hop)
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="phigate-standin.invalid"), listen[0], listen[1]
    )
    stopping = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stopping.set)
    await stopping.wait()
    server.close()
    await server.wait_closed()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the stand-in pass-through relay until SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m tests.support.postfix")
    commands = parser.add_subparsers(dest="command", required=True)
    relay = commands.add_parser("passthrough", help="relay every message to --next-hop")
    relay.add_argument("--listen", required=True, type=_host_port)
    relay.add_argument("--next-hop", required=True, type=_host_port)
    args = parser.parse_args(argv)
    asyncio.run(_serve_passthrough(args.listen, args.next_hop))
    return 0


if __name__ == "__main__":
    sys.exit(main())
