"""Operations on a real `phigate serve` process: workers, draining, reload, metrics, bad config."""

from __future__ import annotations

import signal
import smtplib
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support.gateway import Client, free_port
from tests.support.pki import Pki
from tests.support.process import PhigateProcess, serve_args

OK = 250


def _config(tmp: Path, text: str = "") -> Path:
    cfg = tmp / "phigate.yaml"
    cfg.write_text(
        f'audit: {{url: "sqlite:///{tmp}/audit.db", key_file: "{tmp}/audit.key"}}\n'
        "metrics: {listen: null}\n" + text
    )
    return cfg


def _metrics_config(tmp: Path, metrics_port: int) -> Path:
    """The _config file, written as m.yaml, with /metrics served on metrics_port."""
    cfg = tmp / "m.yaml"
    cfg.write_text(
        _config(tmp)
        .read_text()
        .replace("metrics: {listen: null}", f"metrics: {{listen: 127.0.0.1:{metrics_port}}}")
    )
    return cfg


def _send(port: int, n: int, rcpts: tuple[str, ...] = ("b@partner.example",)) -> int:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        s.sendmail(
            "a@practice.example",
            list(rcpts),
            f"Subject: m{n}\r\nMessage-ID: <ops-{n}@practice.example>\r\n\r\nbody {n}\r\n".encode(),
        )
    return n


@pytest.fixture
def serve(tmp_path: Path):
    started: list[PhigateProcess] = []

    def start(*args: str) -> PhigateProcess:
        p = PhigateProcess(list(args), cwd=tmp_path)
        started.append(p)
        return p

    yield start
    for p in started:
        p.stop()
        # Shown by pytest only when the test fails: what phigate said, so a 451 is explained.
        print(f"phigate {p.proc.args} said:", *p.lines, sep="\n")


def test_two_workers_share_the_port_and_both_serve(tmp_path: Path, sink, serve):
    """--workers 2 starts two processes on one port; connections reach both, none is lost."""
    port = free_port()
    p = serve(*serve_args(port, sink[1], _config(tmp_path), "--workers", "2"))
    serving = p.wait_event("serving", count=2)
    assert len({ev["pid"] for ev in serving}) == 2
    p.wait_port(port)
    with ThreadPoolExecutor(8) as pool:
        done = sorted(pool.map(lambda n: _send(port, n), range(40)))
    assert done == list(range(40))
    assert len(sink[0].messages) == 40
    handled_by = {ev["pid"] for ev in p.wait_event("message", count=40)}
    assert len(handled_by) == 2, "SO_REUSEPORT spread the connections over both workers"
    assert p.stop() == 0


def _children(pid: int) -> list[int]:
    """The processes whose parent is pid (from /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _maps_spacy(pid: int) -> bool:
    """Whether spaCy's compiled modules are mapped into process pid."""
    return "/spacy/" in Path(f"/proc/{pid}/maps").read_text()


def test_a_worker_that_scans_in_processes_never_loads_the_engine(tmp_path: Path, sink, serve):
    """With detection processes (the default), the worker imports neither spaCy nor the
    recognizers: they live in the fork server and the detection processes, which do map them."""
    port = free_port()
    p = serve(*serve_args(port, sink[1], _config(tmp_path)))
    p.wait_port(port)
    assert _send(port, 1) == 1  # a scan ran, so a detection process exists
    (serving,) = p.wait_event("serving")
    worker = serving["pid"]
    assert not _maps_spacy(worker), "the worker loaded spaCy"
    detection = [c for f in _children(worker) for c in _children(f)]
    assert detection, "no detection process under the worker's fork server"
    assert all(_maps_spacy(pid) for pid in detection)


def test_sigterm_drains_a_transaction_in_flight(tmp_path: Path, sink, serve):
    """After SIGTERM a session in the middle of DATA still gets its 250; then the process exits."""
    port = free_port()
    p = serve(*serve_args(port, sink[1], _config(tmp_path)))
    p.wait_port(port)
    c = Client(port)
    try:
        c.greet()
        c.start_data()
        c.send_raw(b"Subject: in flight\r\n\r\nhalf ")
        p.signal(signal.SIGTERM)
        p.wait_event("draining")
        time.sleep(0.3)
        assert p.proc.poll() is None, "it waits for the session in flight"
        c.send_raw(b"and the rest\r\n.\r\n")
        assert c.reply()[0].startswith("250 2.0.0")
        assert c.file.readline().startswith(b"421 4.3.2")
    finally:
        c.close()
    assert p.proc.wait(20) == 0
    assert [m.content for m in sink[0].messages] == [
        b"Subject: in flight\r\n\r\nhalf and the rest\r\n"
    ]


def test_sighup_keeps_the_old_config_when_the_new_one_is_bad(tmp_path: Path, sink, serve):
    """A bad config on SIGHUP is refused with file:line and the old one stays; a good one applies."""
    port = free_port()
    cfg = _config(tmp_path, "smtp:\n  max_recipients: 5\n")
    p = serve(*serve_args(port, sink[1], cfg))
    p.wait_port(port)
    cfg.write_text(cfg.read_text().replace("max_recipients: 5", "max_recipients: -1"))
    p.signal(signal.SIGHUP)
    rejected = p.wait_event("reload.rejected")[0]
    assert f"{cfg}:4:" in rejected["reason"] and "max_recipients" in rejected["reason"]
    assert _send(port, 1, tuple(f"r{i}@partner.example" for i in range(4))) == 1

    cfg.write_text(cfg.read_text().replace("max_recipients: -1", "max_recipients: 2"))
    p.signal(signal.SIGHUP)
    p.wait_event("reload.applied")
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        s.ehlo()
        s.mail("a@practice.example")
        assert s.rcpt("r1@partner.example")[0] == OK
        assert s.rcpt("r2@partner.example")[0] == OK
        code, text = s.rcpt("r3@partner.example")
        assert (code, text[:5]) == (452, b"4.5.3")


@pytest.mark.parametrize("workers", ["1", "2"])
def test_prometheus_metrics_count_messages(tmp_path: Path, sink, serve, workers):
    """/metrics counts messages by action, next-hop latency and the detection processes'
    batches, across workers too."""
    port, mport = free_port(), free_port()
    cfg = _metrics_config(tmp_path, mport)
    p = serve(*serve_args(port, sink[1], cfg, "--workers", workers))
    p.wait_port(port)
    for n in range(6):
        _send(port, n)
    deadline = time.monotonic() + 10
    text = ""
    while time.monotonic() < deadline:
        try:
            text = (
                urllib.request.urlopen(f"http://127.0.0.1:{mport}/metrics", timeout=5)
                .read()
                .decode()
            )
        except OSError:
            time.sleep(0.2)
            continue
        if 'phigate_messages_total{action="deliver",reply="2xx"} 6.0' in text:
            break
        time.sleep(0.2)
    assert 'phigate_messages_total{action="deliver",reply="2xx"} 6.0' in text
    assert 'phigate_next_hop_seconds_count{phase="data"} 6.0' in text
    # sent one after another, each message is scanned alone by a detection process
    assert 'phigate_detection_batches_total{messages="1"} 6.0' in text


def test_a_bad_config_at_start_names_file_and_line(tmp_path: Path, serve):
    """An invalid config file stops start-up with exit 2 and a file:line:column message."""
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("listen: 127.0.0.1:2525\nsmtp:\n  max_recipents: 5\n")
    p = serve("--config", str(cfg))
    assert p.proc.wait(30) == 2
    p.stop()
    assert any(f"{cfg}:3:3: smtp.max_recipents: unknown key" in line for line in p.lines), p.lines


def test_a_changed_policy_file_is_reloaded_and_a_broken_one_refused(tmp_path: Path, sink, serve):
    """Editing the policy file applies it without a signal; a broken edit keeps the old policy."""
    port = free_port()
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\nrules:\n  - {name: all, action: deliver}\n")
    cfg = _config(tmp_path, f"policy_file: {policy}\ndetection: {{detector: 'null'}}\n")
    p = serve(*serve_args(port, sink[1], cfg))
    p.wait_port(port)
    policy.write_text("version: 1\nrules:\n  - {name: all, action: teleport}\n")
    rejected = p.wait_event("reload.rejected")[-1]
    assert f"{policy}:3:" in rejected["reason"] and "teleport" in rejected["reason"]
    _send(port, 1)
    assert len(sink[0].messages) == 1, "the old policy still delivers"
    policy.write_text("version: 1\nrules:\n  - {name: all, action: {tag: {subject_tag: '[T]'}}}\n")
    p.wait_event("reload.applied")
    _send(port, 2)
    assert sink[0].messages[-1].content.startswith(b"Subject: [T] m2")


def test_housekeeping_counts_expiring_certificates_and_purges_quarantine(tmp_path: Path):
    """The hourly task exports expiring keys to metrics and purges expired quarantine entries."""
    import datetime as dt

    from gateway.config import load_settings
    from gateway.keys import CertStore
    from gateway.ops.metrics import Metrics
    from gateway.ops.server import housekeeping
    from gateway.quarantine import QuarantineStore

    pki = Pki(tmp_path / "pki")
    now = dt.datetime.now(dt.UTC)
    soon = pki.issue("soon@partner.example", stem="soon", not_after=now + dt.timedelta(days=5))
    later = pki.issue("later@partner.example", stem="later", not_after=now + dt.timedelta(days=300))
    settings = load_settings(
        None,
        {
            "smime": {
                "store_dir": str(tmp_path / "certs"),
                "trust_anchors": [str(pki.root.cert_path)],
            },
            "pgp": {"home": str(tmp_path / "no-keyring")},
            "quarantine": {
                "url": f"sqlite:///{tmp_path}/q.db",
                "master_key_file": str(tmp_path / "q.key"),
                "retention_days": 1,
            },
        },
    )
    CertStore(settings.smime.store_dir, settings.smime.trust_anchors, []).import_certificates(
        [soon.cert, later.cert, pki.intermediate.cert], source="t"
    )
    q = QuarantineStore(
        settings.quarantine.url, settings.quarantine.master_key_file, retention_days=1
    )
    q.put(
        b"Subject: x\r\n\r\ny\r\n",
        ref_id="PG-1",
        sender_hash="0" * 64,
        recipients=["a@b.example"],
        recipient_domains=["b.example"],
        rule="r",
        reason="x",
        summary={},
        now=now - dt.timedelta(days=3),
    )
    metrics = Metrics()
    out = housekeeping(settings, metrics)
    assert out["smime"] == 1 and out["quarantine_purged"] == 1 and "pgp" not in out
    text = __import__("prometheus_client").generate_latest(metrics.registry).decode()
    assert 'phigate_keys_expiring{kind="smime"} 1.0' in text


def test_an_unwritable_audit_path_is_named_not_the_smtp_address(tmp_path: Path, serve):
    """An audit log that cannot be opened stops the start naming the audit URL and the OS error."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the audit folder should be\n")
    cfg = tmp_path / "phigate.yaml"
    cfg.write_text(
        f'audit: {{url: "sqlite:///{blocker}/audit.db", key_file: "{blocker}/audit.key"}}\n'
        "metrics: {listen: null}\n"
    )
    port = free_port()
    p = serve("--listen", f"127.0.0.1:{port}", "--config", str(cfg))
    assert p.proc.wait(60) == 2
    p.stop()
    message = [line for line in p.lines if line.startswith("phigate: ")]
    assert len(message) == 1, p.lines
    assert "audit log" in message[0] and f"{blocker}/audit" in message[0]
    assert message[0].endswith(("File exists", "Not a directory")), (
        "the OS error, as the OS says it"
    )
    assert "cannot listen" not in message[0] and str(port) not in message[0]


def test_a_metrics_port_in_use_is_named_not_the_smtp_address(tmp_path: Path, serve):
    """A metrics address already taken stops the start naming metrics.listen and the OS error."""
    import socket

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    mport = taken.getsockname()[1]
    try:
        cfg = _metrics_config(tmp_path, mport)
        for workers in ("1", "2"):
            port = free_port()
            p = serve(
                "--listen",
                f"127.0.0.1:{port}",
                "--config",
                str(cfg),
                "--workers",
                workers,
            )
            assert p.proc.wait(60) == 2
            p.stop()
            message = [line for line in p.lines if line.startswith("phigate: ")]
            assert len(message) == 1, p.lines
            assert f"metrics on 127.0.0.1:{mport}" in message[0]
            assert "Address already in use" in message[0]
            assert f"127.0.0.1:{port}" not in message[0]
    finally:
        taken.close()
