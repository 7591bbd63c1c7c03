"""Three gateway nodes on one PostgreSQL behind a real Postfix: one node is SIGKILLed mid-run,
and still every message reaches the next hop exactly once, has exactly one final audit
record, the audit chain verifies across all three nodes (the dead one included), and
`phigate status` shows the dead node stale.

Postfix spreads the mail: each recipient domain's content filter (a FILTER action of
check_recipient_access) lists all three nodes as one destination list (Postfix >= 3.5), each
domain in another order, so every node takes mail and a dead node's share fails over to the
next in its list.

Which node dies is chosen by the next hop, not named in advance: once armed, the next hop
holds the final dot of the first message from a node that has already delivered one, and that
node is killed while it waits there. So the kill always lands mid-message, whichever way
Postfix happened to spread the mail.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import smtplib
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from gateway.audit import AuditLog
from gateway.audit.entry import PENDING_ACTION
from tests.support.audit import audit_cli
from tests.support.db import database_url
from tests.support.deploy import run_phigate
from tests.support.postfix import (
    _BASE_MASTER_CF,
    LOOPBACK,
    CapturedMessage,
    PostfixInstance,
    PostfixPorts,
    free_port,
    port_accepts,
    wait_until,
)
from tests.support.process import REPO, PhigateProcess, serve_args

pytestmark = pytest.mark.postgres

MESSAGES = 60
DOMAINS = ("a.example", "b.example", "c.example")
NODES = ("gw-1", "gw-2", "gw-3")
STALE_AFTER = 3.0
HELO_DOMAIN = ".cluster.invalid"
# The relay's queue id, from the Received header Postfix adds to what it hands a node.
QUEUE_ID = re.compile(rb"\(Postfix\) with E?SMTP id ([0-9A-Za-z]+)")


class HoldingSink:
    """The next hop: keeps what it accepts. Armed, it picks the first node (by HELO) that sends
    it a message after having delivered one, and from then on holds that node's final dots (a
    slow next hop) and never accepts them: when the node's connection dies, the message is
    dropped unaccepted, as an MTA drops mail whose sender never saw its 250."""

    def __init__(self) -> None:
        self.port = free_port()
        self._lock = threading.Lock()
        self._messages: list[CapturedMessage] = []
        self._accepted_from: dict[str, list[bytes]] = {}
        self._armed = False
        self.hold_helo: str | None = None
        self.held = 0
        self._controller = Controller(self, hostname=LOOPBACK, port=self.port)

    def arm(self) -> None:
        """Hold the next message of a node that has already delivered one."""
        with self._lock:
            self._armed = True

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        """aiosmtpd's hook: accept, or hold until the connection is gone."""
        raw = envelope.original_content
        if raw is None or envelope.mail_from is None:
            return "554 5.5.1 no message"
        helo = session.host_name or ""
        with self._lock:
            if self._armed and self.hold_helo is None and self._accepted_from.get(helo):
                self.hold_helo = helo
            holding = helo == self.hold_helo
            if holding:
                self.held += 1
        if holding:
            while True:  # aiosmtpd cancels this handler when the client's connection dies
                await asyncio.sleep(3600)
        with self._lock:
            self._messages.append(
                CapturedMessage(envelope.mail_from, tuple(envelope.rcpt_tos), bytes(raw))
            )
            self._accepted_from.setdefault(helo, []).append(bytes(raw))
        return "250 2.0.0 Ok: captured"

    def held_node(self) -> str:
        """The node whose mail is held (its node id, from its HELO)."""
        assert self.hold_helo is not None
        return self.hold_helo.removesuffix(HELO_DOMAIN)

    def accepted_from_victim(self) -> list[bytes]:
        """What the held node handed on and the next hop accepted before the hold."""
        with self._lock:
            return list(self._accepted_from.get(self.hold_helo or "", ()))

    def messages(self) -> tuple[CapturedMessage, ...]:
        """Every message accepted so far."""
        with self._lock:
            return tuple(self._messages)

    def __enter__(self) -> HoldingSink:
        self._controller.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self._controller.stop()


class ClusterPostfix(PostfixInstance):
    """A private Postfix filtering each recipient domain through the three nodes (a list)."""

    def __init__(self, root: Path, ports: PostfixPorts, nodes: list[int]) -> None:
        super().__init__(root, ports)
        self.nodes = nodes

    def main_cf(self) -> str:
        """See PostfixInstance; each domain's content filter is the three nodes."""
        filters = f"texthash:{self.config_dir / 'filters'}"
        params = {
            **self.plumbing(),
            "smtp_connect_timeout": "2s",
            "smtpd_recipient_restrictions": f"check_recipient_access {filters}, permit_mynetworks",
        }
        return "".join(f"{key} = {value}\n" for key, value in params.items())

    def master_cf(self) -> str:
        """See PostfixInstance: the base daemons and three plain smtpd listeners."""
        ports = (self.ports.after_queue, self.ports.before_queue, self.ports.reinject)
        listeners = "".join(f"{LOOPBACK}:{p} inet n - n - - smtpd\n" for p in ports)
        return _BASE_MASTER_CF + listeners

    def start(self) -> None:
        """Write the filter map (domain -> the three nodes, rotated), then start."""
        self.config_dir.mkdir(parents=True, exist_ok=True)
        lines = []
        for i, domain in enumerate(DOMAINS):
            order = self.nodes[i:] + self.nodes[:i]
            hops = ",".join(f"[{LOOPBACK}]:{p}" for p in order)
            lines.append(f"{domain} FILTER smtp:{hops}\n")
        (self.config_dir / "filters").write_text("".join(lines))
        super().start()


def _node_config(tmp: Path, url: str, node: str, ops: int) -> Path:
    cfg = tmp / f"{node}.yaml"
    cfg.write_text(
        f"smtp:\n  hostname: {node}{HELO_DOMAIN}\n"
        f"node:\n  id: {node}\n  heartbeat_seconds: 0.5\n  stale_after: {STALE_AFTER}\n"
        f"audit:\n  url: '{url}'\n  key_file: '{tmp}/keys/audit.key'\n"
        f"  anchor_file: '{tmp}/anchors/{{node}}.anchor'\n"
        f"quarantine:\n  url: '{url}'\n  master_key_file: '{tmp}/keys/quarantine.key'\n"
        f"patients:\n  url: '{url}'\n  key_file: '{tmp}/keys/roster.key'\n"
        "detection:\n  detector: 'null'\n"
        f"metrics:\n  listen: '127.0.0.1:{ops}'\n"
        "notices:\n  postmaster: postmaster@practice.example\n"
    )
    return cfg


def _message(i: int) -> tuple[str, str, bytes]:
    msg = EmailMessage()
    msg["From"] = "Front Desk <frontdesk@practice.example>"
    rcpt = f"office{i}@{DOMAINS[i % len(DOMAINS)]}"
    msg["To"] = rcpt
    msg["Subject"] = f"Office hours note {i}"
    msg["Message-ID"] = f"<cluster-{i}@practice.example>"
    msg.set_content(f"Hello,\n\nThe office opens at 8 tomorrow (note {i}).\n")
    return msg["Message-ID"], rcpt, msg.as_bytes()


@pytest.fixture
def pg_url(tmp_path: Path) -> Iterator[str]:
    """A fresh PostgreSQL schema every store of every node shares."""
    with database_url("postgresql", tmp_path, "cluster") as url:
        yield url


def _queue_ids(raws: list[bytes]) -> list[str]:
    """The relay's queue id of each message, from the Received header it added."""
    ids = [m.group(1).decode() for raw in raws if (m := QUEUE_ID.search(raw))]
    assert len(ids) == len(raws), "a relayed message without Postfix's Received header"
    return ids


def _sent(postfix: PostfixInstance, queue_ids: list[str]) -> bool:
    """Whether the relay logged each of these queue ids as sent (it saw the node's 250)."""
    log = postfix.log_text()
    return all(re.search(rf"{qid}: to=<[^>]*>.*status=sent", log) for qid in queue_ids)


def _removed(postfix: PostfixInstance) -> int:
    """How many messages the relay has finished with (removed from its queue)."""
    return len(set(re.findall(r"([0-9A-Za-z]+): removed", postfix.log_text())))


def test_three_nodes_one_killed_every_message_once(tmp_path: Path, pg_url: str) -> None:
    """60 messages through Postfix over three nodes, one SIGKILLed while a message of its waits at
    the next hop: delivered once each, one final audit record each, the chain intact per node,
    the dead node stale."""
    ports = {n: free_port() for n in NODES}
    configs = {n: _node_config(tmp_path, pg_url, n, free_port()) for n in NODES}
    sink = HoldingSink()
    processes: dict[str, PhigateProcess] = {}
    # Postfix's daemons (user postfix) must reach its tree: not under pytest's 0700 tmp_path.
    postfix_root = Path(tempfile.mkdtemp(prefix="phigate-cluster-postfix-"))
    with sink:
        try:
            # The first node creates the shared keys and the schema; the others join it.
            for n in NODES:
                processes[n] = PhigateProcess(
                    serve_args(ports[n], sink.port, configs[n]), cwd=tmp_path
                )
                if n == NODES[0]:
                    processes[n].wait_port(ports[n])
            for n in NODES:
                processes[n].wait_port(ports[n])
            postfix_ports = PostfixPorts(free_port(), free_port(), free_port(), 0, sink.port)
            with ClusterPostfix(postfix_root, postfix_ports, [ports[n] for n in NODES]) as postfix:

                def kill_the_holder() -> tuple[str, float]:
                    """Rotate the audit key, then kill the node whose message waits at the next hop."""
                    victim = sink.held_node()
                    # The shared audit key is rotated with every node running: the live ones
                    # pick up k2 for the rest of the run, the held message's final record
                    # (written by whichever node Postfix resends it to) among it.
                    rotated = audit_cli(
                        "rotate-key",
                        "--url",
                        pg_url,
                        "--key-file",
                        str(tmp_path / "keys" / "audit.key"),
                        "--anchor-file",
                        str(tmp_path / "anchors" / "{node}.anchor"),
                    )
                    assert rotated.stdout.strip() == "k2", rotated.stderr
                    # What the next hop accepted from it before the hold must first have had
                    # the node's own 250 (see docs/multinode.md on the one instant in which a
                    # kill must duplicate a message): wait until the relay logged it as sent.
                    before = _queue_ids(sink.accepted_from_victim())
                    wait_until(
                        lambda: _sent(postfix, before),
                        timeout=30,
                        what=f"the relay to see {victim}'s 250 for what it handed on",
                        context=postfix.describe,
                    )
                    processes[victim].proc.kill()
                    processes[victim].proc.wait(10)
                    return victim, time.monotonic()

                sent: list[str] = []
                killed: tuple[str, float] | None = None
                with smtplib.SMTP(LOOPBACK, postfix_ports.after_queue, timeout=60) as client:
                    for i in range(MESSAGES):
                        message_id, rcpt, data = _message(i)
                        client.sendmail("frontdesk@practice.example", [rcpt], data)
                        sent.append(message_id)
                        if i == MESSAGES // 3:
                            # Mid-run: the next hop turns slow for one node that has already
                            # delivered, whichever Postfix picks next.
                            sink.arm()
                        if killed is None and sink.held:
                            killed = kill_the_holder()
                if killed is None:
                    wait_until(
                        lambda: sink.held >= 1,
                        timeout=30,
                        what="a node to hand mail to the held next hop",
                        context=postfix.describe,
                    )
                    killed = kill_the_holder()
                victim, killed_at = killed
                wait_until(
                    lambda: len(sink.messages()) >= MESSAGES and _removed(postfix) >= MESSAGES,
                    timeout=45,
                    what=f"all {MESSAGES} messages at the next hop and out of the relay's queue",
                    context=postfix.describe,
                )
                # The relay's queue is empty: nothing more, a duplicate included, can arrive.
                assert not port_accepts(ports[victim])
                maillog = postfix.log_text()
            delivered = Counter(m.message_id for m in sink.messages())
            assert set(delivered) == set(sent)
            twice = [line for line in maillog.splitlines() if "more than once" in line]
            # The kill did cut transactions short: Postfix lost the victim mid-message.
            assert twice, maillog[-3000:]
            assert [mid for mid, n in delivered.items() if n > 1] == [], "\n".join(twice)

            _check_audit(tmp_path, pg_url, sent, victim)
            # `phigate status` calls a node stale STALE_AFTER seconds after its last heartbeat.
            time.sleep(max(0.0, killed_at + STALE_AFTER + 0.5 - time.monotonic()))
            _check_status(configs[NODES[0]], victim)
        finally:
            for p in processes.values():
                p.stop()


def _check_audit(tmp_path: Path, url: str, sent: list[str], victim: str) -> None:
    """One final record per Message-ID; only the dead node may hold pending records that never
    completed; verify (library and CLI) intact with a line per node."""
    key = tmp_path / "keys" / "audit.key"
    anchors = tmp_path / "anchors" / "{node}.anchor"
    with AuditLog(url, key, anchors, read_only=True) as log:
        report = log.verify()
        # Message-IDs are kept as keyed hashes, under whichever key was active (k1, then k2).
        hashes = {h: mid for mid in sent for h in log.keyed_hashes(mid)}
        with log.engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT seq, message_id, action, node_id, key_id FROM audit_records")
            ).all()
    assert report.ok, report.problems
    finals = Counter(hashes.get(r.message_id) for r in rows if r.action != PENDING_ACTION)
    assert {mid: finals[mid] for mid in sent} == dict.fromkeys(sent, 1)
    by_node = Counter(r.node_id for r in rows if r.action != PENDING_ACTION)
    assert set(by_node) == set(NODES), by_node  # every node took mail, the victim too
    assert {r.key_id for r in rows} == {"k1", "k2"}  # records on both sides of the rotation
    incomplete = {seq for seq, _ref in report.incomplete}
    assert {r.node_id for r in rows if r.seq in incomplete} <= {victim}
    assert {s.node for s in report.nodes} == set(NODES)

    done = audit_cli(
        "verify", "--url", url, "--key-file", str(key), "--anchor-file", str(anchors), cwd=REPO
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == f"audit log intact: {len(rows)} records verified" or lines[-1].startswith(
        f"audit log intact: {len(rows)} records verified; "
    )
    for node in NODES:
        assert any(
            line.startswith(f"node {node}: ") and line.endswith(": intact") for line in lines
        )


def _check_status(config: Path, victim: str) -> None:
    """`phigate status`: the two live nodes up, the killed one stale, one policy version."""
    policy = (REPO / "policies" / "default.yaml").read_bytes()
    done = run_phigate("status", "--config", str(config), "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    states = {n["node"]: n["state"] for n in doc["nodes"]}
    assert states == {n: "STALE" if n == victim else "up" for n in NODES}
    assert {n["policy_sha256"] for n in doc["nodes"]} == {hashlib.sha256(policy).hexdigest()}
    assert doc["audit_head"] == max(n["last_seq"] for n in doc["nodes"])
