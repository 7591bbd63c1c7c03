"""Bounded soak: mixed mail through phigate under faults; no mail lost, duplicated or unaudited.

One asyncio program drives everything on 127.0.0.1:

```
load generator (MTA-like, retries 4xx)  ->  phigate serve --workers N  ->  sink (records X-Soak-Seq)
                                                  |
                                         audit database (a private PostgreSQL, or SQLite)
```

While mail flows, faults run on a schedule scaled to the run: the sink stops listening for a
while (next-hop flap), the sink answers 451 for a while, one phigate worker gets SIGKILL every
few minutes, and the audit database is restarted once. At the end the harness checks that every
message that got a 250 reached the sink exactly once and has an audit record, that
`phigate audit verify` passes, that worker RSS stayed flat, and that no temporary failure
happened outside a fault window. It prints the figures and a final PASS/FAIL line (exit 0/1).
See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import glob
import json
import logging
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import weakref
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.pdf import build_pdf  # noqa: E402
from bench.relay import (  # noqa: E402
    LOOPBACK,
    BenchError,
    ManagedProcess,
    children_stopped_on_sigterm,
    default_phigate,
    free_port,
    peak_rss_mb,
    phigate_serve_cmd,
    proc_status_mb,
    progress,
    worker_pids,
    write_phigate_config,
)

MAIL_FROM = "frontdesk@soak-clinic.example"
RCPT_TO = "frontdesk@other-clinic.example"
SEQ_HEADER = "X-Soak-Seq"
PHI_TAG_HEADER = "X-PHI: yes"
FAULT_KINDS = ("flap", "busy", "kill", "db")
# RSS is "flat" when a long-lived process grew by less than this share after the warm-up.
RSS_FLAT_GROWTH = 0.10
# How long a killed worker may take to be replaced and serving before that counts as a failure.
REPLACE_TIMEOUT_S = 120.0
READ_TIMEOUT_S = 300.0  # per SMTP reply, as an MTA waits (RFC 5321 4.5.3.2)
CONNECT_TIMEOUT_S = 30.0
MAX_BACKOFF_S = 8.0
SETTLE_S = 3.0
SMTP_OK = 250
SMTP_START_DATA = 354
SMTP_GREETING = 220
SINK_BUSY_REPLY = "451 4.3.0 Sink busy (soak fault window)"
_REF = re.compile(r"\bref (PG-[A-Za-z0-9-]+)")
_SEQ = re.compile(rb"(?im)^X-Soak-Seq:[ \t]*(\d+)[ \t]*\r?$")
_PHI_TAG = re.compile(rb"(?im)^X-PHI:[ \t]*yes[ \t]*\r?$")

SOAK_POLICY = f"""\
version: 1
description: soak - tag PHI, deliver everything else, so exactly-once can be checked
rules:
  - name: tag-phi
    description: PHI is tagged but still delivered
    when: {{phi: true}}
    action: {{tag: {{header: "{PHI_TAG_HEADER}"}}}}
  - name: deliver-rest
    description: everything else goes to the next hop untouched
    action: deliver
"""


def now() -> float:
    """The harness's clock (monotonic seconds)."""
    return time.monotonic()


# --------------------------------------------------------------------------------------
# Mail: a seeded mix of clean, PHI, PHI attachments and malformed messages.
# --------------------------------------------------------------------------------------

MAIL_MIX: tuple[tuple[str, float], ...] = (
    ("clean", 0.55),
    ("phi", 0.20),
    ("phi_csv", 0.08),
    ("phi_pdf", 0.07),
    ("bare_lf", 0.05),
    ("nul", 0.05),
)
MALFORMED_KINDS = frozenset({"bare_lf", "nul"})
PHI_KINDS = frozenset({"phi", "phi_csv", "phi_pdf"})

_FIRST = ("Maria", "James", "Aisha", "Dmitri", "Linh", "Carlos", "Grace", "Tomasz", "Priya", "Owen")
_LAST = ("Alvarez", "Okafor", "Nguyen", "Kowalski", "Haddad", "Brennan", "Tanaka", "Schmidt")
_DIAGNOSES = (
    "type 2 diabetes mellitus (E11.9)",
    "essential hypertension (I10)",
    "major depressive disorder, recurrent (F33.1)",
    "chronic kidney disease stage 3 (N18.3)",
    "asthma, moderate persistent (J45.40)",
)
_CLEAN_LINES = (
    "The staff meeting moves to Thursday at 3 pm in the small conference room.",
    "Please send the updated supply order for gloves and paper before Friday.",
    "The copier on the second floor is fixed; thanks for your patience.",
    "Reminder: the office closes early on the day before the holiday.",
    "Attached agenda items: parking, the new phone system, and the summer schedule.",
)


@dataclasses.dataclass(frozen=True)
class FakePatient:
    """A made-up patient (never a real person) for the PHI messages."""

    name: str
    dob: str
    mrn: str
    diagnosis: str


def fake_patient(rng: random.Random) -> FakePatient:
    """Return a made-up patient with name, date of birth, MRN and diagnosis."""
    return FakePatient(
        f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
        f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/{rng.randint(1940, 2005)}",
        f"{rng.randint(10_000_000, 99_999_999)}",
        rng.choice(_DIAGNOSES),
    )


def choose_kind(rng: random.Random) -> str:
    """Draw a message kind from MAIL_MIX."""
    kinds, weights = zip(*MAIL_MIX, strict=True)
    return rng.choices(kinds, weights=weights)[0]


def tiny_pdf(lines: Sequence[str]) -> bytes:
    """Return a one-page PDF (Helvetica text) holding the lines, with a correct xref table."""

    def esc(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    shown = " ".join(f"({esc(line)}) Tj T*" for line in lines)
    stream = f"BT /F1 11 Tf 14 TL 72 720 Td {shown} ET".encode("latin-1")
    return build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        ]
    )


def _envelope_headers(msg: EmailMessage, seq: int, run_id: str, subject: str) -> None:
    msg["From"] = f"Front Desk <{MAIL_FROM}>"
    msg["To"] = f"Front Desk <{RCPT_TO}>"
    msg["Subject"] = subject
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = f"<soak-{run_id}-{seq}@soak-clinic.example>"
    msg[SEQ_HEADER] = str(seq)


def build_mail(seq: int, kind: str, rng: random.Random, run_id: str) -> bytes:
    """Return the message bytes (CRLF, except where the kind is malformed on purpose)."""
    msg = EmailMessage(policy=SMTP_POLICY)
    patient = fake_patient(rng)
    _envelope_headers(msg, seq, run_id, f"Soak message {seq}")
    if kind == "phi":
        msg.set_content(
            f"Referral for {patient.name}, DOB {patient.dob}, MRN {patient.mrn}.\n"
            f"Diagnosis: {patient.diagnosis}. Please schedule a follow-up visit.\n"
        )
    elif kind == "phi_csv":
        msg.set_content("Attached is the list you asked for.\n")
        csv = (
            "patient_name,dob,mrn,diagnosis\n"
            f'{patient.name},{patient.dob},{patient.mrn},"{patient.diagnosis}"\n'
        )
        msg.add_attachment(csv.encode(), maintype="text", subtype="csv", filename="patients.csv")
    elif kind == "phi_pdf":
        msg.set_content("Attached is the referral letter.\n")
        pdf = tiny_pdf(
            [
                "Referral letter",
                f"Patient: {patient.name}",
                f"Date of birth: {patient.dob}",
                f"MRN: {patient.mrn}",
                f"Diagnosis: {patient.diagnosis}",
            ]
        )
        msg.add_attachment(pdf, maintype="application", subtype="pdf", filename="referral.pdf")
    else:
        msg.set_content("\n".join(rng.sample(_CLEAN_LINES, 3)) + "\n")
    raw = msg.as_bytes()
    head, _, body = raw.partition(b"\r\n\r\n")
    if kind == "bare_lf":
        return head + b"\r\n\r\n" + body.replace(b"\r\n", b"\n")
    if kind == "nul":
        return head + b"\r\n\r\n" + body.replace(b"\r\n", b"\x00\r\n", 1)
    return raw


# --------------------------------------------------------------------------------------
# The sink: an aiosmtpd next hop that records every seq; it can go down or answer 451.
# --------------------------------------------------------------------------------------


class SinkHandler:
    """aiosmtpd handler that records the X-Soak-Seq of every message it answers 250 to."""

    def __init__(self, drop_nth: int | None = None) -> None:
        self.received: Counter[int] = Counter()
        self.phi_tagged: set[int] = set()
        self.unidentified = 0
        self.busy = False
        self.busy_replies = 0
        self.last_delivery = 0.0
        self._drop_nth = drop_nth
        self._answered = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Record the message and answer 250, or answer 451 inside a busy window."""
        if self.busy:
            self.busy_replies += 1
            return SINK_BUSY_REPLY
        content = envelope.original_content or b""
        head = content.split(b"\r\n\r\n", 1)[0]
        self._answered += 1
        self.last_delivery = now()
        if self._answered == self._drop_nth:
            # Test-only broken invariant: acknowledge a message and forget it.
            return "250 2.0.0 Ok (dropped on purpose)"
        match = _SEQ.search(head)
        if match is None:
            self.unidentified += 1
        else:
            seq = int(match.group(1))
            self.received[seq] += 1
            if _PHI_TAG.search(head):
                self.phi_tagged.add(seq)
        return "250 2.0.0 Ok: stored"

    async def handle_exception(self, error: Exception) -> str:
        """Answer 451 rather than aiosmtpd's 500, so a sink bug is never a permanent failure."""
        return f"451 4.3.0 Sink error ({type(error).__name__})"


class FlappingSink:
    """The next hop: listens on a fixed port and can stop listening (and drop every
    connection) for a while, as a next hop that restarts does."""

    def __init__(self, port: int, handler: SinkHandler) -> None:
        self.port = port
        self.handler = handler
        self._server: asyncio.AbstractServer | None = None
        self._sessions: weakref.WeakSet[SMTP] = weakref.WeakSet()

    def _protocol(self) -> SMTP:
        proto = SMTP(self.handler, hostname="soak-sink.invalid")
        self._sessions.add(proto)
        return proto

    async def up(self) -> None:
        """Start listening."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, LOOPBACK, self.port, backlog=512)

    async def down(self) -> None:
        """Stop listening and cut every open connection."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for proto in list(self._sessions):
            transport = getattr(proto, "transport", None)
            if transport is not None:
                transport.abort()


# --------------------------------------------------------------------------------------
# The audit database: a private PostgreSQL instance (never the machine's shared one).
# --------------------------------------------------------------------------------------


class PostgresError(Exception):
    """The private PostgreSQL instance could not be created, started or stopped."""


def postgres_bindir() -> Path | None:
    """Return the newest /usr/lib/postgresql/*/bin holding initdb and pg_ctl, if any."""
    found = sorted(
        (Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    return found[-1] if found and (found[-1] / "pg_ctl").exists() else None


class PrivatePostgres:
    """A throw-away PostgreSQL cluster on a free loopback port, run as the postgres user when
    the harness is root (initdb refuses root)."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="phigate-soak-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.log = self.root / "postgres.log"
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, user="postgres", group="postgres")
            self._as_user = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the soak database."""
        return f"postgresql+psycopg://postgres@{LOOPBACK}:{self.port}/soak"

    def _cmd(self, tool: str, *args: str) -> list[str]:
        return [*self._as_user, str(self.bindir / tool), *args]

    def _pg_ctl(self, *args: str) -> list[str]:
        options = f"-p {self.port} -c listen_addresses={LOOPBACK} -k {self.root}"
        return self._cmd("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, *args)

    def create(self) -> None:
        """initdb, start, and create the soak database."""
        self._run(self._cmd("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust"))
        self._run(self._pg_ctl("-w", "-t", "60", "start"))
        self._run(
            self._cmd("createdb", "-h", LOOPBACK, "-p", str(self.port), "-U", "postgres", "soak")
        )

    async def stop(self) -> None:
        """Stop the server (fast: open sessions are cut, as in a real restart)."""
        await self._run_async(self._pg_ctl("-w", "-t", "60", "-m", "fast", "stop"))

    async def start(self) -> None:
        """Start the server again and wait until it accepts connections."""
        await self._run_async(self._pg_ctl("-w", "-t", "60", "start"))

    def destroy(self) -> None:
        """Stop the server at once and remove its files."""
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                self._pg_ctl("-w", "-m", "immediate", "stop"), capture_output=True, check=False
            )
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, cmd: list[str]) -> None:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=self.root)
        if proc.returncode != 0:
            raise PostgresError(
                f"{Path(cmd[len(self._as_user)]).name} failed: {proc.stderr.strip()[-400:]}"
            )

    async def _run_async(self, cmd: list[str]) -> None:
        proc = await asyncio.create_subprocess_exec(
            *cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=self.root
        )
        _, err = await proc.communicate()
        if proc.returncode != 0:
            raise PostgresError(f"pg_ctl failed: {err.decode(errors='replace').strip()[-400:]}")


# --------------------------------------------------------------------------------------
# phigate: config, its processes, and its log.
# --------------------------------------------------------------------------------------


def write_soak_config(directory: Path, audit_url: str, detector: str) -> Path:
    """Write the soak policy and a phigate config using it, the given audit database and
    detector, with info logs in JSON (the harness reads the workers' "serving" events)."""
    return write_phigate_config(
        directory,
        detector,
        policy=("soak-policy.yaml", SOAK_POLICY),
        audit_url=audit_url,
        logging="{level: info, format: json}",
    )


class ServingLog:
    """Reads phigate's JSON log as it grows: which pids logged "serving", and how many workers
    died or crashed (with the crash's error type)."""

    _WATCHED = (b'"serving"', b'"worker.died"', b'"worker.crashed"')

    def __init__(self, path: Path) -> None:
        self._path = path
        self._offset = 0
        self._partial = b""
        self.serving: set[int] = set()
        self.deaths = 0
        self.crashes: Counter[str] = Counter()

    def poll(self) -> set[int]:
        """Read what was appended since the last call; return every pid seen serving."""
        try:
            with self._path.open("rb") as f:
                f.seek(self._offset)
                chunk = f.read()
        except OSError:
            return self.serving
        self._offset += len(chunk)
        lines = (self._partial + chunk).split(b"\n")
        self._partial = lines.pop()
        for line in lines:
            if not any(word in line for word in self._WATCHED):
                continue
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if not isinstance(event, dict):
                continue
            name = event.get("event")
            if name == "serving" and isinstance(event.get("pid"), int):
                self.serving.add(event["pid"])
            elif name == "worker.died":
                self.deaths += 1
            elif name == "worker.crashed":
                self.crashes[str(event.get("error_type"))] += 1
        return self.serving

    def trouble(self) -> str:
        """Worker deaths and crashes seen so far, as a short phrase ("" when none)."""
        if not self.deaths and not self.crashes:
            return ""
        crashes = ", ".join(f"{kind} x{n}" for kind, n in self.crashes.most_common())
        return f"{self.deaths} worker death(s) logged" + (
            f"; crashes: {crashes}" if crashes else ""
        )


def current_rss_mb(pid: int) -> float | None:
    """Return the process's resident set size now (VmRSS) in MiB."""
    return proc_status_mb(pid, "VmRSS")


def start_ticks(pid: int) -> int:
    """Return when the process started (clock ticks since boot); 0 if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    return int(text[text.rindex(")") + 2 :].split()[19])


def youngest(pids: Iterable[int]) -> int:
    """Return the most recently started pid, so the oldest worker lives through the run."""
    return max(pids, key=lambda p: (start_ticks(p), p))


# --------------------------------------------------------------------------------------
# Faults: a schedule scaled to the run, and what actually happened.
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PlannedFault:
    """One fault to inject: what, when (seconds after the load starts) and for how long."""

    kind: str
    at_s: float
    duration_s: float


@dataclasses.dataclass
class FaultWindow:
    """A fault as it ran: from its start to the moment the system was whole again."""

    kind: str
    start: float
    end: float
    note: str = ""
    ok: bool = True


FAULT_LABELS = {
    "flap": "next-hop flap (sink not listening)",
    "busy": "next hop answers 451",
    "kill": "SIGKILL one phigate worker",
    "db": "audit database restart",
}


def warmup_s(duration_s: float) -> float:
    """Seconds at the start without faults (and before RSS is judged)."""
    return min(120.0, 0.2 * duration_s)


def build_schedule(duration_s: float, kinds: Sequence[str]) -> list[PlannedFault]:
    """Spread the faults over the middle of the run: none in the warm-up, none in the last 15%.

    Over 30 minutes that is a next-hop flap about every 5 minutes (20 s), a worker kill about
    every 4 minutes, one 451 window (20 s) and one audit database restart (10 s down).
    Shorter runs get fewer and shorter faults (at least one of each kind asked for).
    """
    start = warmup_s(duration_s)
    span = 0.85 * duration_s - start
    counts = {
        "flap": max(1, int(span // 300)),
        "kill": max(1, int(span // 240)),
        "busy": 1,
        "db": 1,
    }
    ideal: list[tuple[float, str]] = []
    for kind in kinds:
        n = counts[kind]
        ideal.extend(((i + 0.5) / n, kind) for i in range(n))
    ideal.sort()
    if not ideal:
        return []
    slot = span / len(ideal)
    longest = {"flap": 20.0, "busy": 20.0, "db": 10.0, "kill": 0.0}
    return [
        PlannedFault(kind, start + i * slot, min(longest[kind], 0.3 * slot))
        for i, (_, kind) in enumerate(ideal)
    ]


# --------------------------------------------------------------------------------------
# Load: an MTA-like generator that retries temporary failures with the same message.
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Attempt:
    """One delivery attempt of one message as the client saw it."""

    start: float
    end: float
    code: int | None  # None: connection refused, cut or timed out
    stage: str
    text: str

    @property
    def temporary(self) -> bool:
        """Whether an MTA would retry: a 4xx reply or a connection failure."""
        return self.code is None or 400 <= self.code < 500


@dataclasses.dataclass
class Mail:
    """One message of the soak and every attempt to hand it over."""

    seq: int
    kind: str
    raw: bytes
    attempts: list[Attempt] = dataclasses.field(default_factory=list)
    state: str = "pending"  # pending | accepted | rejected | abandoned
    ref: str | None = None

    @property
    def malformed(self) -> bool:
        """Whether the gateway must refuse it."""
        return self.kind in MALFORMED_KINDS


class SmtpFailure(Exception):
    """The server answered with an unexpected code (carried with the stage and text)."""

    def __init__(self, code: int, stage: str, text: str) -> None:
        super().__init__(f"{stage}: {code} {text}")
        self.code, self.stage, self.text = code, stage, text


async def read_reply(reader: asyncio.StreamReader) -> tuple[int, str]:
    """Read one (possibly multi-line) SMTP reply."""
    texts = []
    while True:
        line = await asyncio.wait_for(reader.readline(), READ_TIMEOUT_S)
        if len(line) < 4 or not line[:3].isdigit():
            raise ConnectionError("connection closed or garbled reply")
        texts.append(line[4:].decode(errors="replace").strip())
        if line[3:4] != b"-":
            return int(line[:3]), " ".join(texts)


def dot_stuff(raw: bytes) -> bytes:
    """Escape lines that start with a dot, and end the data with CRLF . CRLF."""
    body = raw if raw.endswith(b"\r\n") else raw + b"\r\n"
    if body.startswith(b"."):
        body = b"." + body
    return body.replace(b"\r\n.", b"\r\n..") + b".\r\n"


async def send_once(port: int, raw: bytes) -> tuple[int, str, str]:
    """Hand one message over on a fresh connection; return the final code, stage and text."""
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(LOOPBACK, port), CONNECT_TIMEOUT_S
    )
    try:

        async def step(stage: str, data: bytes | None, want: int) -> tuple[int, str]:
            if data is not None:
                writer.write(data)
                await writer.drain()
            code, text = await read_reply(reader)
            if code != want:
                raise SmtpFailure(code, stage, text)
            return code, text

        await step("greeting", None, SMTP_GREETING)
        await step("EHLO", b"EHLO soak-loadgen.invalid\r\n", SMTP_OK)
        await step("MAIL", f"MAIL FROM:<{MAIL_FROM}>\r\n".encode(), SMTP_OK)
        await step("RCPT", f"RCPT TO:<{RCPT_TO}>\r\n".encode(), SMTP_OK)
        await step("DATA", b"DATA\r\n", SMTP_START_DATA)
        code, text = await step("end of data", dot_stuff(raw), SMTP_OK)
        with contextlib.suppress(OSError, TimeoutError, ConnectionError):
            writer.write(b"QUIT\r\n")
            await asyncio.wait_for(read_reply(reader), 5)
        return code, "end of data", text
    finally:
        writer.close()
        with contextlib.suppress(OSError, ConnectionError):
            await writer.wait_closed()


async def attempt(port: int, raw: bytes) -> Attempt:
    """One attempt, whatever happens, as an Attempt."""
    start = now()
    try:
        code, stage, text = await send_once(port, raw)
    except SmtpFailure as exc:
        return Attempt(start, now(), exc.code, exc.stage, exc.text)
    except (OSError, ConnectionError, TimeoutError) as exc:
        return Attempt(start, now(), None, "connection", type(exc).__name__)
    return Attempt(start, now(), code, stage, text)


def backoff_s(failures: int) -> float:
    """Seconds before the next attempt after `failures` temporary failures."""
    return float(min(MAX_BACKOFF_S, 2 ** max(0, failures - 1)))


class LoadGenerator:
    """Offers new messages at a steady rate to a fixed number of sessions; a message that
    fails temporarily is queued again after a back-off, until it is accepted or the retry
    deadline passes."""

    def __init__(self, port: int, rate: float, seed: int, run_id: str) -> None:
        self.port = port
        self.rate = rate
        self.mails: dict[int, Mail] = {}
        self._rng = random.Random(seed)
        self._run_id = run_id
        self._queue: asyncio.Queue[int] = asyncio.Queue()
        self._pending: set[int] = set()
        self.retry_deadline = float("inf")

    @property
    def pending(self) -> int:
        """Messages neither accepted nor rejected yet."""
        return len(self._pending)

    async def produce(self, t0: float, duration_s: float) -> None:
        """Create and queue messages at the rate until duration_s has passed."""
        seq = 0
        while True:
            at = t0 + seq / self.rate
            if at >= t0 + duration_s:
                return
            await asyncio.sleep(max(0.0, at - now()))
            seq += 1
            kind = choose_kind(self._rng)
            self.mails[seq] = Mail(seq, kind, build_mail(seq, kind, self._rng, self._run_id))
            self._pending.add(seq)
            self._queue.put_nowait(seq)

    async def session(self) -> None:
        """Take messages from the queue and try to hand each over once."""
        loop = asyncio.get_running_loop()
        while True:
            seq = await self._queue.get()
            mail = self.mails[seq]
            result = await attempt(self.port, mail.raw)
            mail.attempts.append(result)
            if result.code == SMTP_OK:
                self._finish(mail, "accepted")
                found = _REF.search(result.text)
                mail.ref = found.group(1) if found else None
            elif not result.temporary:
                self._finish(mail, "rejected")
            else:
                delay = backoff_s(len(mail.attempts))
                if now() + delay > self.retry_deadline:
                    self._finish(mail, "abandoned")
                else:
                    loop.call_later(delay, self._queue.put_nowait, seq)

    def _finish(self, mail: Mail, state: str) -> None:
        mail.state = state
        mail.raw = b""  # not needed any more; keeps a long run's memory flat
        self._pending.discard(mail.seq)

    def abandon_pending(self) -> None:
        """Mark every message still waiting or in flight as abandoned (the run is over)."""
        for seq in list(self._pending):
            self._finish(self.mails[seq], "abandoned")


# --------------------------------------------------------------------------------------
# The run.
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SoakSettings:
    """Everything the run needs from the command line."""

    duration_s: float
    rate: float
    sessions: int
    workers: int
    detector: str
    grace_s: float
    faults: tuple[str, ...]
    audit_db: str
    phigate: tuple[str, ...]
    work_dir: str | None
    seed: int
    rss_every_s: float
    drain_s: float
    drop_nth: int | None


@dataclasses.dataclass
class RssSeries:
    """RSS samples of one process: (seconds after the load started, MiB)."""

    pid: int
    role: str
    samples: list[tuple[float, float]] = dataclasses.field(default_factory=list)
    peak_mb: float | None = None


@dataclasses.dataclass
class KillRecord:
    """One worker kill: the victim, its replacement and how long that took to serve."""

    victim: int
    replacement: int | None
    restart_s: float | None


@dataclasses.dataclass
class RunRecord:
    """What happened during the run, for the checks."""

    settings: SoakSettings
    t0: float
    load_end: float
    schedule: list[PlannedFault]
    windows: list[FaultWindow]
    kills: list[KillRecord]
    mails: dict[int, Mail]
    sink: SinkHandler
    rss: dict[int, RssSeries]
    audit_records: list[dict[str, Any]] | None
    audit_error: str | None
    verify_code: int | None
    verify_output: str
    audit_backend: str
    notes: list[str]


class Soak:
    """Owns the processes and tasks of one run."""

    def __init__(self, settings: SoakSettings, workdir: Path) -> None:
        self.s = settings
        self.workdir = workdir
        self.notes: list[str] = []
        self.windows: list[FaultWindow] = []
        self.kills: list[KillRecord] = []
        self.rss: dict[int, RssSeries] = {}
        self.pg: PrivatePostgres | None = None
        self.phigate: ManagedProcess | None = None
        self.serving_log: ServingLog | None = None
        self.t0 = 0.0

    # -- set-up -------------------------------------------------------------------------

    def open_audit_db(self) -> tuple[str, str]:
        """Return the audit URL and a description of the backend."""
        if self.s.audit_db in ("auto", "postgres"):
            bindir = postgres_bindir()
            if bindir is not None:
                pg = PrivatePostgres(bindir)
                try:
                    pg.create()
                except (PostgresError, OSError) as exc:
                    pg.destroy()
                    if self.s.audit_db == "postgres":
                        raise
                    self.notes.append(f"no private PostgreSQL ({exc}); audit on SQLite instead")
                else:
                    self.pg = pg
                    return pg.url, f"private PostgreSQL {bindir.parent.name} on port {pg.port}"
            elif self.s.audit_db == "postgres":
                raise PostgresError("no PostgreSQL binaries under /usr/lib/postgresql/*/bin")
            else:
                self.notes.append(
                    "no PostgreSQL binaries under /usr/lib/postgresql: audit on SQLite, "
                    "and the audit database restart is skipped"
                )
        return f"sqlite:///{self.workdir / 'audit.db'}", "SQLite"

    def start_phigate(self, port: int, sink_port: int, config: Path) -> ManagedProcess:
        """Start phigate and wait until its workers listen and greet."""
        cmd = phigate_serve_cmd(self.s.phigate, port, sink_port, config, self.s.workers)
        proc = ManagedProcess("phigate", cmd, self.workdir / "phigate.log")
        self.phigate = proc
        self.serving_log = ServingLog(proc.log_path)
        proc.wait_ready(port, self.s.workers)
        return proc

    # -- faults -------------------------------------------------------------------------

    async def run_fault(self, fault: PlannedFault, sink: FlappingSink) -> None:
        """Wait for the fault's time, inject it and record its window."""
        await asyncio.sleep(max(0.0, self.t0 + fault.at_s - now()))
        length = "until replaced" if fault.kind == "kill" else f"{fault.duration_s:.0f} s"
        progress(f"fault: {FAULT_LABELS[fault.kind]} ({length})")
        if fault.kind == "flap":
            window = await self._flap(sink, fault.duration_s)
        elif fault.kind == "busy":
            window = await self._busy(sink, fault.duration_s)
        elif fault.kind == "kill":
            window = await self._kill_worker()
        else:
            window = await self._restart_db(fault.duration_s)
        self.windows.append(window)

    async def _flap(self, sink: FlappingSink, duration_s: float) -> FaultWindow:
        start = now()
        await sink.down()
        await asyncio.sleep(duration_s)
        await sink.up()
        return FaultWindow("flap", start, now())

    async def _busy(self, sink: FlappingSink, duration_s: float) -> FaultWindow:
        start = now()
        sink.handler.busy = True
        await asyncio.sleep(duration_s)
        sink.handler.busy = False
        return FaultWindow("busy", start, now())

    async def _kill_worker(self) -> FaultWindow:
        assert self.phigate is not None and self.serving_log is not None
        supervisor = self.phigate.pid
        before = await asyncio.to_thread(worker_pids, supervisor)
        start = now()
        if before == [supervisor] or len(before) < 2:
            return FaultWindow("kill", start, start, "skipped: phigate has no supervised workers")
        victim = youngest(before)
        os.kill(victim, signal.SIGKILL)
        while now() - start < REPLACE_TIMEOUT_S:
            await asyncio.sleep(0.2)
            fresh = set(await asyncio.to_thread(worker_pids, supervisor)) - set(before)
            serving = fresh & self.serving_log.poll()
            if serving:
                new = min(serving)
                self.kills.append(KillRecord(victim, new, now() - start))
                return FaultWindow("kill", start, now(), f"worker {victim} -> {new}")
        self.kills.append(KillRecord(victim, None, None))
        self.serving_log.poll()
        trouble = self.serving_log.trouble()
        return FaultWindow(
            "kill",
            start,
            now(),
            f"worker {victim} not replaced within {REPLACE_TIMEOUT_S:.0f} s"
            + (f" ({trouble}; see phigate.log)" if trouble else ""),
            ok=False,
        )

    async def _restart_db(self, down_s: float) -> FaultWindow:
        start = now()
        if self.pg is None:
            return FaultWindow("db", start, start, "skipped: the audit database is SQLite")
        try:
            await self.pg.stop()
            await asyncio.sleep(down_s)
            await self.pg.start()
        except PostgresError as exc:
            return FaultWindow("db", start, now(), str(exc), ok=False)
        return FaultWindow("db", start, now(), f"down {down_s:.0f} s")

    # -- memory -------------------------------------------------------------------------

    async def sample_rss(self, stop: asyncio.Event, every_s: float) -> None:
        """Sample the supervisor's and each worker's RSS until stop is set."""
        assert self.phigate is not None
        supervisor = self.phigate.pid
        while not stop.is_set():
            pids = await asyncio.to_thread(worker_pids, supervisor)
            # One time stamp per round, so check_rss can tell who was alive in the last one.
            t = now() - self.t0
            for pid in {supervisor, *pids}:
                mb = current_rss_mb(pid)
                if mb is None:
                    continue
                role = "supervisor" if pid == supervisor and pids != [supervisor] else "worker"
                series = self.rss.setdefault(pid, RssSeries(pid, role))
                series.samples.append((t, mb))
                series.peak_mb = peak_rss_mb(pid)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every_s)

    # -- audit --------------------------------------------------------------------------

    def read_audit(self, config: Path) -> tuple[list[dict[str, Any]] | None, str | None]:
        """Every audit record, through `phigate audit show --json`."""
        proc = subprocess.run(
            [
                *self.s.phigate,
                "audit",
                "show",
                "--json",
                "--limit",
                "1000000000",
                "--config",
                str(config),
            ],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=REPO,
            check=False,
        )
        if proc.returncode != 0:
            return None, f"audit show exited {proc.returncode}: {proc.stderr.strip()[-300:]}"
        try:
            rows = json.loads(proc.stdout)
        except ValueError as exc:
            return None, f"audit show printed no JSON: {exc}"
        return (rows, None) if isinstance(rows, list) else (None, "audit show: not a JSON list")

    def verify_audit(self, config: Path) -> tuple[int, str]:
        """Run `phigate audit verify`; return its exit code and output."""
        proc = subprocess.run(
            [*self.s.phigate, "audit", "verify", "--config", str(config)],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=REPO,
            check=False,
        )
        return proc.returncode, (proc.stdout + proc.stderr).strip()

    # -- the whole run ------------------------------------------------------------------

    async def run(self) -> RunRecord:
        """Set up, drive load and faults, wind down, and collect what the checks need."""
        s = self.s
        audit_url, backend = await asyncio.to_thread(self.open_audit_db)
        config = write_soak_config(self.workdir / "phigate", audit_url, s.detector)
        handler = SinkHandler(s.drop_nth)
        sink = FlappingSink(free_port(), handler)
        await sink.up()
        port = free_port()
        progress(f"starting phigate ({s.workers} workers, detector {s.detector}, audit {backend})")
        await asyncio.to_thread(self.start_phigate, port, sink.port, config)
        kinds = [k for k in s.faults if k != "db" or self.pg is not None]
        if "db" in s.faults and self.pg is None:
            self.notes.append("audit database restart skipped (SQLite)")
        schedule = build_schedule(s.duration_s, kinds)
        print(render_schedule(schedule, s), flush=True)

        run_id = f"{os.getpid()}-{int(time.time())}"
        load = LoadGenerator(port, s.rate, s.seed, run_id)
        self.t0 = now()
        stop_rss = asyncio.Event()
        rss_task = asyncio.create_task(self.sample_rss(stop_rss, s.rss_every_s))
        sessions = [asyncio.create_task(load.session()) for _ in range(s.sessions)]
        faults = [asyncio.create_task(self.run_fault(f, sink)) for f in schedule]
        progress(f"load: {s.rate:g} msg/s over {s.sessions} sessions for {s.duration_s:.0f} s")
        await load.produce(self.t0, s.duration_s)
        load_end = now()
        progress(f"load done ({len(load.mails)} messages); waiting for faults and retries")
        await asyncio.gather(*faults)
        load.retry_deadline = max(now(), load_end) + s.drain_s
        while load.pending and now() < load.retry_deadline:
            await asyncio.sleep(0.5)
        for task in sessions:
            task.cancel()
        await asyncio.gather(*sessions, return_exceptions=True)
        load.abandon_pending()
        await self._settle(handler)
        stop_rss.set()
        await rss_task

        progress("stopping phigate")
        assert self.phigate is not None
        problem = await asyncio.to_thread(self.phigate.stop)
        if problem:
            self.notes.append(problem)
        await sink.down()
        progress("reading the audit log")
        records, audit_error = await asyncio.to_thread(self.read_audit, config)
        verify_code, verify_output = await asyncio.to_thread(self.verify_audit, config)
        return RunRecord(
            s,
            self.t0,
            load_end,
            schedule,
            sorted(self.windows, key=lambda w: w.start),
            self.kills,
            load.mails,
            handler,
            self.rss,
            records,
            audit_error,
            verify_code,
            verify_output,
            backend,
            self.notes,
        )

    async def _settle(self, handler: SinkHandler) -> None:
        """Wait until the sink has received nothing for SETTLE_S (at most 60 s)."""
        deadline = now() + 60
        while now() < deadline and now() - handler.last_delivery < SETTLE_S:
            await asyncio.sleep(0.5)

    def close(self) -> None:
        """Stop whatever is still running."""
        if self.phigate is not None and not self.phigate.stopped:
            self.phigate.stop()
        if self.pg is not None:
            self.pg.destroy()


# --------------------------------------------------------------------------------------
# Checks: pure functions of what happened.
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Check:
    """One pass/fail judgement with the figures behind it (ok None: not judged)."""

    name: str
    ok: bool | None
    summary: str
    details: tuple[str, ...] = ()


def _few(seqs: Sequence[int], limit: int = 10) -> str:
    shown = ", ".join(str(s) for s in seqs[:limit])
    return shown + (f", ... ({len(seqs)} in all)" if len(seqs) > limit else "")


def _seq_details(*groups: tuple[str, Sequence[int]]) -> list[str]:
    """One detail line per non-empty group of seqs: its label, how many, and the first few."""
    return [f"{label}: {len(seqs)}: {_few(seqs)}" for label, seqs in groups if seqs]


def check_exactly_once(mails: Mapping[int, Mail], received: Mapping[int, int]) -> Check:
    """Every accepted seq reached the sink exactly once; no other seq reached it at all."""
    accepted = {seq for seq, m in mails.items() if m.state == "accepted"}
    lost = sorted(seq for seq in accepted if received.get(seq, 0) == 0)
    duplicated = sorted(seq for seq, n in received.items() if n > 1)
    unacknowledged = sorted(seq for seq, n in received.items() if n > 0 and seq not in accepted)
    details = _seq_details(
        ("lost (250 but never delivered)", lost),
        ("duplicated (delivered more than once)", duplicated),
        ("delivered without a 250 to the client", unacknowledged),
    )
    ok = not (lost or duplicated or unacknowledged)
    summary = (
        f"{len(accepted)} accepted; lost {len(lost)}, duplicated {len(duplicated)}, "
        f"delivered without 250 {len(unacknowledged)}"
    )
    return Check("delivered exactly once", ok, summary, tuple(details))


def check_audited(
    mails: Mapping[int, Mail],
    records: Sequence[Mapping[str, Any]] | None,
    audit_error: str | None,
    verify_code: int | None,
    verify_output: str,
) -> Check:
    """Every accepted message's reference has an audit record, and the chain verifies."""
    accepted = [m for m in mails.values() if m.state == "accepted"]
    if records is None:
        return Check("audited", False, f"could not read the audit log: {audit_error}")
    refs = Counter(str(r.get("ref_id")) for r in records)
    no_ref = sorted(m.seq for m in accepted if m.ref is None)
    missing = sorted(m.seq for m in accepted if m.ref is not None and refs[m.ref] == 0)
    verify_line = verify_output.splitlines()[-1] if verify_output else "(no output)"
    details = _seq_details(
        ("250 without a 'ref PG-...'", no_ref),
        ("accepted but no audit record for its ref", missing),
    )
    if verify_code != 0:
        details.append(f"audit verify exited {verify_code}: {verify_line}")
        details.extend(verify_output.splitlines()[:5])
    ok = not (no_ref or missing) and verify_code == 0
    summary = (
        f"{len(accepted) - len(no_ref) - len(missing)}/{len(accepted)} accepted refs audited, "
        f"{len(records)} records; verify: {verify_line}"
    )
    return Check("audited", ok, summary, tuple(details))


def _overlaps(a: Attempt, windows: Sequence[FaultWindow], grace_s: float) -> bool:
    return any(a.start <= w.end + grace_s and a.end >= w.start for w in windows)


def window_failures(
    mails: Mapping[int, Mail], window: FaultWindow, grace_s: float
) -> tuple[int, float | None]:
    """How many temporary failures overlap the window (with its grace), and how many seconds
    after the window's end the last of them came (None when none did)."""
    ends = [
        a.end
        for m in mails.values()
        for a in m.attempts
        if a.temporary and _overlaps(a, [window], grace_s)
    ]
    return len(ends), (max(ends) - window.end if ends else None)


def check_temp_failures(
    mails: Mapping[int, Mail], windows: Sequence[FaultWindow], grace_s: float, t0: float
) -> Check:
    """No attempt failed temporarily (4xx or connection failure) outside a fault window."""
    outside = sorted(
        (
            (a, m.seq)
            for m in mails.values()
            for a in m.attempts
            if a.temporary and not _overlaps(a, windows, grace_s)
        ),
        key=lambda pair: pair[0].end,
    )
    codes = Counter(str(a.code) if a.code is not None else a.text for a, _ in outside)
    details = [
        f"t+{a.end - t0:7.1f}s seq {seq}: {a.code if a.code is not None else '-'} at {a.stage}: "
        f"{a.text[:100]}"
        for a, seq in outside[:10]
    ]
    inside = sum(1 for m in mails.values() for a in m.attempts if a.temporary) - len(outside)
    summary = (
        f"{len(outside)} outside the windows (+{grace_s:g} s grace)"
        + (f" {dict(codes)}" if codes else "")
        + f", {inside} inside"
    )
    return Check("no temporary failure outside fault windows", not outside, summary, tuple(details))


def check_outcomes(mails: Mapping[int, Mail]) -> Check:
    """Malformed mail got 5xx; well-formed mail was accepted in the end (none refused or
    still unaccepted when the run ended)."""
    malformed = [m for m in mails.values() if m.malformed]
    good = [m for m in mails.values() if not m.malformed]
    malformed_not_rejected = sorted(m.seq for m in malformed if m.state != "rejected")
    good_rejected = sorted(m.seq for m in good if m.state == "rejected")
    unfinished = sorted(m.seq for m in mails.values() if m.state in ("pending", "abandoned"))
    details = []
    if malformed_not_rejected:
        states = Counter(mails[s].state for s in malformed_not_rejected)
        details.append(
            f"malformed but not refused: {len(malformed_not_rejected)} {dict(states)}: "
            f"{_few(malformed_not_rejected)}"
        )
    for seq in good_rejected[:10]:
        last = mails[seq].attempts[-1]
        details.append(
            f"well-formed seq {seq} refused: {last.code} at {last.stage}: {last.text[:100]}"
        )
    details += _seq_details(("never accepted or refused by the end", unfinished))
    ok = not (malformed_not_rejected or good_rejected or unfinished)
    summary = (
        f"malformed refused {len(malformed) - len(malformed_not_rejected)}/{len(malformed)}, "
        f"well-formed refused {len(good_rejected)}, unfinished {len(unfinished)}"
    )
    return Check("right final answer per message", ok, summary, tuple(details))


def check_workers(kills: Sequence[KillRecord], windows: Sequence[FaultWindow]) -> Check:
    """Every killed worker was replaced by one that serves, and every fault ran."""
    failed = [w for w in windows if not w.ok]
    times = [k.restart_s for k in kills if k.restart_s is not None]
    details = tuple(f"{w.kind}: {w.note}" for w in failed)
    summary = f"{len(kills)} kill(s), {len(times)} replaced"
    if times:
        summary += f" (serving again after {min(times):.1f}-{max(times):.1f} s)"
    if not kills and not failed:
        return Check("faults ran; workers replaced", True, summary + "; no worker was killed")
    return Check("faults ran; workers replaced", not failed, summary, details)


def rss_slope_mb_per_10min(samples: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of RSS over time, in MiB per 10 minutes."""
    n = len(samples)
    mean_t = sum(t for t, _ in samples) / n
    mean_v = sum(v for _, v in samples) / n
    var = sum((t - mean_t) ** 2 for t, _ in samples)
    if var == 0:
        return 0.0
    cov = sum((t - mean_t) * (v - mean_v) for t, v in samples)
    return cov / var * 600


def check_rss(rss: Mapping[int, RssSeries], duration_s: float) -> Check:
    """Processes alive from the warm-up to the last sample grew by less than RSS_FLAT_GROWTH
    (first sample after the warm-up against the last one)."""
    warm = warmup_s(duration_s)
    need_span = 0.5 * (duration_s - warm)
    last_round = max((s.samples[-1][0] for s in rss.values() if s.samples), default=0.0)
    details, judged, grown = [], 0, []
    for series in sorted(rss.values(), key=lambda r: (r.role != "supervisor", r.pid)):
        after = [(t, v) for t, v in series.samples if t >= warm]
        values = [v for _, v in series.samples]
        line = (
            f"{series.role} {series.pid}: first {values[0]:.0f} last {values[-1]:.0f} "
            f"max {max(values):.0f} MiB"
            + (f", peak {series.peak_mb:.0f}" if series.peak_mb is not None else "")
        )
        alive_at_end = series.samples[-1][0] == last_round
        if alive_at_end and len(after) >= 3 and after[-1][0] - after[0][0] >= need_span:
            judged += 1
            growth = (after[-1][1] - after[0][1]) / after[0][1]
            slope = rss_slope_mb_per_10min(after)
            line += f"; after warm-up {growth:+.1%}, slope {slope:+.1f} MiB/10 min"
            if growth >= RSS_FLAT_GROWTH:
                grown.append(series.pid)
                line += "  GROWING"
        else:
            line += "; not judged (did not live through the run)"
        details.append(line)
    if judged == 0:
        return Check("RSS flat", None, "not judged: no process sampled long enough", tuple(details))
    summary = (
        f"{judged} process(es) judged over the run after {warm:.0f} s warm-up, threshold "
        f"growth < {RSS_FLAT_GROWTH:.0%}; growing: {len(grown)}"
    )
    return Check("RSS flat", not grown, summary, tuple(details))


def all_checks(record: RunRecord) -> list[Check]:
    """Every check of the run."""
    return [
        check_exactly_once(record.mails, record.sink.received),
        check_audited(
            record.mails,
            record.audit_records,
            record.audit_error,
            record.verify_code,
            record.verify_output,
        ),
        check_temp_failures(record.mails, record.windows, record.settings.grace_s, record.t0),
        check_outcomes(record.mails),
        check_workers(record.kills, record.windows),
        check_rss(record.rss, record.settings.duration_s),
    ]


# --------------------------------------------------------------------------------------
# Report.
# --------------------------------------------------------------------------------------


def render_schedule(schedule: Sequence[PlannedFault], s: SoakSettings) -> str:
    """The planned faults, one a line."""
    lines = [
        f"# soak: {s.duration_s / 60:g} min, {s.rate:g} msg/s, {s.sessions} sessions, "
        f"{s.workers} workers, detector {s.detector}, grace {s.grace_s:g} s, seed {s.seed}",
        "# fault schedule (seconds after the load starts):",
    ]
    for f in schedule:
        length = "until replaced" if f.kind == "kill" else f"{f.duration_s:.0f} s"
        lines.append(f"#   t+{f.at_s:7.1f}s  {FAULT_LABELS[f.kind]:<36} {length}")
    if not schedule:
        lines.append("#   (no faults)")
    return "\n".join(lines)


def totals(record: RunRecord) -> dict[str, Any]:
    """The run's figures."""
    mails = record.mails.values()
    attempts = [a for m in mails for a in m.attempts]
    kinds = Counter(m.kind for m in mails)
    accepted = [m for m in mails if m.state == "accepted"]
    phi_accepted = [m for m in accepted if m.kind in PHI_KINDS]
    clean_accepted = [m for m in accepted if m.kind == "clean"]
    tagged = record.sink.phi_tagged
    load_s = max(1e-9, record.load_end - record.t0)
    return {
        "sent": len(record.mails),
        "mix": dict(sorted(kinds.items())),
        "attempts": len(attempts),
        "accepted": len(accepted),
        "rejected_5xx": sum(1 for m in mails if m.state == "rejected"),
        "unfinished": sum(1 for m in mails if m.state in ("pending", "abandoned")),
        "temp_failed_4xx": sum(1 for a in attempts if a.code is not None and 400 <= a.code < 500),
        "connection_failures": sum(1 for a in attempts if a.code is None),
        "retries": len(attempts) - len(record.mails),
        "delivered_at_sink": sum(record.sink.received.values()),
        "sink_busy_replies": record.sink.busy_replies,
        "sink_unidentified": record.sink.unidentified,
        "phi_tagged": f"{sum(1 for m in phi_accepted if m.seq in tagged)}/{len(phi_accepted)}",
        "clean_tagged": f"{sum(1 for m in clean_accepted if m.seq in tagged)}/{len(clean_accepted)}",
        "throughput_msgs_per_s": round(len(accepted) / load_s, 2),
        "load_seconds": round(load_s, 1),
    }


def render_report(record: RunRecord, checks: Sequence[Check]) -> str:
    """The figures table, the faults as they ran, the checks and the PASS/FAIL line."""
    figures = totals(record)
    lines = [f"## audit database: {record.audit_backend}"]
    lines.extend(f"## note: {n}" for n in record.notes)
    lines.append("## faults as run (seconds after the load starts)")
    for w in record.windows:
        count, lag = window_failures(record.mails, w, record.settings.grace_s)
        after = ""
        if lag is not None:
            when = f"{lag:.1f} s after" if lag > 0 else f"{-lag:.1f} s before"
            after = f", the last ended {when} the window"
        lines.append(
            f"  {w.kind:<5} t+{w.start - record.t0:7.1f}s .. t+{w.end - record.t0:7.1f}s  "
            f"{'ok' if w.ok else 'FAILED'}  {w.note}  [temporary failures: {count}{after}]"
        )
    if not record.windows:
        lines.append("  (none)")
    lines.append("## figures")
    for key, value in figures.items():
        lines.append(f"  {key:<24} {value}")
    lines.append("## checks")
    for c in checks:
        mark = "PASS" if c.ok else ("n/a " if c.ok is None else "FAIL")
        lines.append(f"  [{mark}] {c.name}: {c.summary}")
        lines.extend(f"           {d}" for d in c.details)
    passed = all(c.ok is not False for c in checks)
    lines.append(f"RESULT: {'PASS' if passed else 'FAIL'}")
    return "\n".join(lines)


def summary_json(record: RunRecord, checks: Sequence[Check]) -> dict[str, Any]:
    """The report as data, for scripts and tests."""
    return {
        "figures": totals(record),
        "audit_backend": record.audit_backend,
        "notes": record.notes,
        "faults": [
            {
                "kind": w.kind,
                "start_s": round(w.start - record.t0, 1),
                "end_s": round(w.end - record.t0, 1),
                "ok": w.ok,
                "note": w.note,
                "temporary_failures": window_failures(record.mails, w, record.settings.grace_s)[0],
            }
            for w in record.windows
        ],
        "checks": {
            c.name: {"ok": c.ok, "summary": c.summary, "details": list(c.details)} for c in checks
        },
        "pass": all(c.ok is not False for c in checks),
    }


# --------------------------------------------------------------------------------------
# Command line.
# --------------------------------------------------------------------------------------


def _faults(text: str) -> tuple[str, ...]:
    if text.strip() in ("", "none"):
        return ()
    kinds = tuple(k.strip() for k in text.split(",") if k.strip())
    unknown = [k for k in kinds if k not in FAULT_KINDS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown fault(s) {unknown}; choose from {FAULT_KINDS}")
    return kinds


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Return the soak's argument parser."""
    p = argparse.ArgumentParser(
        prog="bench/soak.py",
        description="Bounded soak: mixed mail through phigate under faults; checks exactly-once "
        "delivery, audit, RSS and temporary failures.",
    )
    p.add_argument("--minutes", type=_positive_float, default=30.0, help="load duration (30)")
    p.add_argument("--rate", type=_positive_float, default=5.0, help="new messages per second (5)")
    p.add_argument("--sessions", type=int, default=8, help="parallel SMTP sessions (8)")
    p.add_argument("--workers", type=int, default=2, help="phigate workers (2)")
    p.add_argument("--detector", choices=("phi", "null"), default="phi", help="phigate's detector")
    p.add_argument(
        "--grace",
        type=float,
        default=15.0,
        help="seconds after a fault ends during which temporary failures still count as "
        "inside its window (15)",
    )
    p.add_argument(
        "--faults",
        type=_faults,
        default=FAULT_KINDS,
        help="comma-separated fault kinds to inject: flap,busy,kill,db (all), or none",
    )
    p.add_argument(
        "--audit-db",
        choices=("auto", "postgres", "sqlite"),
        default="auto",
        help="auto: a private PostgreSQL when its binaries exist, else SQLite",
    )
    p.add_argument("--phigate", default=default_phigate(), help="command that starts phigate")
    p.add_argument("--work-dir", default=None, help="where the run's temporary directory goes")
    p.add_argument("--seed", type=int, default=1, help="seed of the mail mix")
    p.add_argument(
        "--rss-every",
        type=_positive_float,
        default=30.0,
        help="seconds between RSS samples (30; at most a tenth of the run)",
    )
    p.add_argument(
        "--drain",
        type=float,
        default=None,
        help="seconds after the load (and the last fault) that retries may go on "
        "(default: a tenth of the run, 60 to 300)",
    )
    p.add_argument("--json-out", default=None, help="also write the report as JSON to this file")
    p.add_argument("--keep", action="store_true", help="keep the work directory (logs, config)")
    # Test-only: the sink acknowledges the Nth message and forgets it, so the check must fail.
    p.add_argument("--inject-sink-drop", type=int, default=None, help=argparse.SUPPRESS)
    return p


def settings_from(args: argparse.Namespace) -> SoakSettings:
    """Turn parsed arguments into SoakSettings, scaling what depends on the run length."""
    duration = args.minutes * 60
    drain = args.drain if args.drain is not None else min(300.0, max(60.0, duration / 10))
    return SoakSettings(
        duration_s=duration,
        rate=args.rate,
        sessions=max(1, args.sessions),
        workers=max(1, args.workers),
        detector=args.detector,
        grace_s=args.grace,
        faults=args.faults,
        audit_db=args.audit_db,
        phigate=tuple(shlex.split(args.phigate)),
        work_dir=args.work_dir,
        seed=args.seed,
        rss_every_s=min(args.rss_every, duration / 10),
        drain_s=drain,
        drop_nth=args.inject_sink_drop,
    )


def run_soak(settings: SoakSettings, keep: bool, json_out: str | None) -> int:
    """Run one soak and print its report; return the exit code (0 pass, 1 fail, 2 error)."""
    if shutil.which(settings.phigate[0]) is None:
        print(f"phigate command not found: {settings.phigate[0]}", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="phigate-soak-", dir=settings.work_dir))
    soak = Soak(settings, workdir)
    try:
        try:
            record = asyncio.run(soak.run())
        finally:
            soak.close()
    except (BenchError, PostgresError) as exc:
        print(f"soak could not run: {exc}", file=sys.stderr)
        if soak.phigate is not None:
            print(soak.phigate.log_tail(), file=sys.stderr)
        progress(f"work directory kept: {workdir}")
        return 2
    checks = all_checks(record)
    summary = summary_json(record, checks)
    if json_out:
        Path(json_out).write_text(json.dumps(summary, indent=2))
    print(render_report(record, checks), flush=True)
    if keep or not summary["pass"]:
        # A failed run keeps phigate's log and config for the post-mortem.
        progress(f"work directory kept: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if summary["pass"] else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    args = build_parser().parse_args(argv)
    # aiosmtpd logs every connection the flaps cut; the report says what matters.
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    return run_soak(settings_from(args), args.keep, args.json_out)


if __name__ == "__main__":
    with children_stopped_on_sigterm():
        sys.exit(main())
