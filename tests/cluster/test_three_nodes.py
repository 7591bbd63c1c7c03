"""Three gateway nodes on one PostgreSQL behind a real Postfix: one node is SIGKILLed mid-run,
and still every message reaches the next hop exactly once, has exactly one final audit
record, the audit chain verifies across all three nodes (the dead one included), and
`phigate status` shows the dead node stale.

Every tenth message goes to a patient, and the nodes' site policy sends it to the portal on the
same PostgreSQL: each such message is stored once and its pickup notice (holding none of the
message) reaches the next hop once; then a portal pair (two portal apps, each with its own
store on that schema) serves each item with a sign-in begun on one instance and read on the
other.

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

import httpx
import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from gateway.audit import AuditLog
from gateway.audit.entry import PENDING_ACTION
from gateway.portal import PortalStore, create_app
from gateway.portal.schema import items as portal_items
from tests.support.audit import audit_cli
from tests.support.db import database_url
from tests.support.deploy import run_phigate
from tests.support.portal import SEE_OTHER, SETTINGS, FakePractice, csrf, send_code, serving
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
PATIENTS = "patients.example"
DOMAINS = ("a.example", "b.example", "c.example", PATIENTS)
PORTAL_URL = "https://portal.practice.example"
# Only in the messages to patients: no notice may carry it.
LAB_LINE = "Your potassium was 5.9 mmol/L"
SITE_POLICY = f"""version: 1
rules:
  - {{name: to-patients, when: {{recipient: {{domain: [{PATIENTS}]}}}}, action: portal}}
  - {{name: rest, action: deliver}}
"""
HTTP_OK = 200
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
        self._accepted_from: dict[str, list[CapturedMessage]] = {}
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
            # Pickup notices are not held: the kill lands on mail the node relays itself.
            notice = any(r.endswith("@" + PATIENTS) for r in envelope.rcpt_tos)
            if self._armed and self.hold_helo is None and self._accepted_from.get(helo):
                self.hold_helo = helo
            holding = helo == self.hold_helo and not notice
            if holding:
                self.held += 1
        if holding:
            while True:  # aiosmtpd cancels this handler when the client's connection dies
                await asyncio.sleep(3600)
        captured = CapturedMessage(envelope.mail_from, tuple(envelope.rcpt_tos), bytes(raw))
        with self._lock:
            self._messages.append(captured)
            self._accepted_from.setdefault(helo, []).append(captured)
        return "250 2.0.0 Ok: captured"

    def held_node(self) -> str:
        """The node whose mail is held (its node id, from its HELO)."""
        assert self.hold_helo is not None
        return self.hold_helo.removesuffix(HELO_DOMAIN)

    def accepted_from_victim(self) -> list[CapturedMessage]:
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
    policy = tmp / "site-policy.yaml"
    policy.write_text(SITE_POLICY, encoding="utf-8")
    cfg.write_text(
        f"policy_file: '{policy}'\n"
        f"smtp:\n  hostname: {node}{HELO_DOMAIN}\n"
        f"node:\n  id: {node}\n  heartbeat_seconds: 0.5\n  stale_after: {STALE_AFTER}\n"
        f"audit:\n  url: '{url}'\n  key_file: '{tmp}/keys/audit.key'\n"
        f"  anchor_file: '{tmp}/anchors/{{node}}.anchor'\n"
        f"quarantine:\n  url: '{url}'\n  master_key_file: '{tmp}/keys/quarantine.key'\n"
        f"patients:\n  url: '{url}'\n  key_file: '{tmp}/keys/roster.key'\n"
        "detection:\n  detector: 'null'\n"
        f"metrics:\n  listen: '127.0.0.1:{ops}'\n"
        "notices:\n  postmaster: postmaster@practice.example\n  portal_sender_notice: false\n"
        f"portal:\n  enabled: true\n  store_url: '{url}'\n"
        f"  master_key_file: '{tmp}/keys/portal.key'\n  url: '{PORTAL_URL}'\n"
        "  from_address: secure@practice.example\n  practice_name: Cluster Practice\n"
    )
    return cfg


def _message(i: int) -> tuple[str, str, bytes]:
    msg = EmailMessage()
    msg["From"] = "Front Desk <frontdesk@practice.example>"
    msg["Message-ID"] = f"<cluster-{i}@practice.example>"
    if _to_patient(i):
        rcpt = f"patient{i}@{PATIENTS}"
        msg["Subject"] = f"Your results {i}"
        msg.set_content(f"Hello,\n\n{LAB_LINE} (note {i}).\n")
    else:
        rcpt = f"office{i}@{DOMAINS[i % 3]}"
        msg["Subject"] = f"Office hours note {i}"
        msg.set_content(f"Hello,\n\nThe office opens at 8 tomorrow (note {i}).\n")
    msg["To"] = rcpt
    return msg["Message-ID"], rcpt, msg.as_bytes()


def _to_patient(i: int) -> bool:
    return i % 10 == 5


@pytest.fixture
def pg_url(tmp_path: Path) -> Iterator[str]:
    """A fresh PostgreSQL schema every store of every node shares."""
    with database_url("postgresql", tmp_path, "cluster") as url:
        yield url


def _sent_patterns(messages: list[CapturedMessage]) -> list[str]:
    """For each message a node handed on, the relay's log line of the node's 250 for it: by the
    queue id in the Received header the relay added, or, for a pickup notice (which the node
    wrote itself), by the patient's address the relay handed the node."""
    patterns = []
    for m in messages:
        if _is_notice(m):
            patterns.extend(rf": to=<{re.escape(r)}>.*status=sent" for r in m.rcpt_tos)
            continue
        found = QUEUE_ID.search(m.content)
        assert found, "a relayed message without Postfix's Received header"
        patterns.append(rf"{found.group(1).decode()}: to=<[^>]*>.*status=sent")
    return patterns


def _sent(postfix: PostfixInstance, patterns: list[str]) -> bool:
    """Whether the relay logged each of these as sent (it saw the node's 250)."""
    log = postfix.log_text()
    return all(re.search(pattern, log) for pattern in patterns)


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
                    before = _sent_patterns(sink.accepted_from_victim())
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
                flushed = [time.monotonic()]

                def all_through() -> bool:
                    # Postfix retries what the kill cut short on its own schedule: backoff, and a
                    # destination it holds dead for a while. Once it left one message deferred
                    # past the whole wait (one run in about six). Delivery once is what is under
                    # test, not Postfix's retry schedule: ask it to retry now and then.
                    if time.monotonic() - flushed[0] >= 5:
                        postfix.flush()
                        flushed[0] = time.monotonic()
                    return len(sink.messages()) >= MESSAGES and _removed(postfix) >= MESSAGES

                wait_until(
                    all_through,
                    timeout=45,
                    what=f"all {MESSAGES} messages at the next hop and out of the relay's queue",
                    context=postfix.describe,
                )
                # The relay's queue is empty: nothing more, a duplicate included, can arrive.
                assert not port_accepts(ports[victim])
                maillog = postfix.log_text()
            relayed = [m for m in sink.messages() if not _is_notice(m)]
            delivered = Counter(m.message_id for m in relayed)
            assert set(delivered) == {mid for i, mid in enumerate(sent) if not _to_patient(i)}
            twice = [line for line in maillog.splitlines() if "more than once" in line]
            # The kill did cut transactions short: Postfix lost the victim mid-message.
            assert twice, maillog[-3000:]
            assert [mid for mid, n in delivered.items() if n > 1] == [], "\n".join(twice)

            _check_audit(tmp_path, pg_url, sent, victim)
            _check_portal(tmp_path, pg_url, [m for m in sink.messages() if _is_notice(m)])
            # `phigate status` calls a node stale STALE_AFTER seconds after its last heartbeat.
            time.sleep(max(0.0, killed_at + STALE_AFTER + 0.5 - time.monotonic()))
            _check_status(configs[NODES[0]], victim, tmp_path / "site-policy.yaml")
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


def _is_notice(message: CapturedMessage) -> bool:
    return all(r.endswith("@" + PATIENTS) for r in message.rcpt_tos)


def _check_portal(tmp_path: Path, url: str, notices: list[CapturedMessage]) -> None:
    """One stored item and one notice per patient message, no notice holding the message, and
    each item served by the pair: code asked for on instance A, message read on instance B."""
    patients = {f"patient{i}@{PATIENTS}" for i in range(MESSAGES) if _to_patient(i)}
    assert sorted(r for m in notices for r in m.rcpt_tos) == sorted(patients)
    tokens = []
    for notice in notices:
        assert LAB_LINE.encode() not in notice.content
        text = notice.content.decode("ascii", "replace")
        assert LAB_LINE not in text and "Your results" not in text
        found = re.findall(re.escape(PORTAL_URL) + r"/p/([A-Za-z0-9_-]+)", text)
        assert found, text[-800:]
        tokens.append(found[0])
    key = tmp_path / "keys" / "portal.key"
    practice = FakePractice()
    first, second = PortalStore(url, key), PortalStore(url, key)
    try:
        with first.engine.connect() as conn:
            stored = conn.execute(sa.select(sa.func.count()).select_from(portal_items)).scalar()
        assert stored == len(patients)
        with (
            serving(create_app(first, SETTINGS, practice.services())) as url_a,
            serving(create_app(second, SETTINGS, practice.services())) as url_b,
        ):
            for token in tokens:
                with httpx.Client(base_url=url_a) as on_a:
                    link = on_a.get(f"/p/{token}")
                    assert link.status_code == SEE_OTHER, link.text
                    page = send_code(on_a, on_a.get(link.headers["location"]))
                    done = on_a.post(
                        "/verify", data={"csrf": csrf(page), "code": practice.last_code()}
                    )
                    assert (done.status_code, done.headers.get("location")) == (
                        SEE_OTHER,
                        "/message",
                    ), done.text
                    with httpx.Client(base_url=url_b, cookies=on_a.cookies) as on_b:
                        message = on_b.get("/message")
                        assert message.status_code == HTTP_OK
                        assert LAB_LINE in message.text
    finally:
        first.close()
        second.close()


def _check_status(config: Path, victim: str, policy_file: Path) -> None:
    """`phigate status`: the two live nodes up, the killed one stale, one policy version."""
    policy = policy_file.read_bytes()
    done = run_phigate("status", "--config", str(config), "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    states = {n["node"]: n["state"] for n in doc["nodes"]}
    assert states == {n: "STALE" if n == victim else "up" for n in NODES}
    assert {n["policy_sha256"] for n in doc["nodes"]} == {hashlib.sha256(policy).hexdigest()}
    assert doc["audit_head"] == max(n["last_seq"] for n in doc["nodes"])
