"""Regression: no message is accepted unless its audit record is durable.

Before, the record was appended after the next hop had taken the message; with the audit disk
full or its database gone the client still got 250, the message left, and only a log line
(`audit.append_failed`) said that no record existed. Now a pending record is made durable
before anything is stored or handed on, and a 451 answers when it cannot be.
"""

from __future__ import annotations

import json
import os
import shutil
import smtplib
import socket
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from tests.support.db import PG_DSN, database_url
from tests.support.deploy import run_phigate
from tests.support.gateway import (
    GatewayThread,
    SinkHandler,
    gateway_port,
    make_settings,
    running_gateway,
    running_sink,
)

CLEAN = (
    b"From: frontdesk@practice.example\r\nTo: lab@partner.example\r\nSubject: Hours\r\n"
    b"Message-ID: <hours@practice.example>\r\n\r\nWe are closed on Friday.\r\n"
)


def _send(gw: GatewayThread) -> tuple[int, str]:
    with smtplib.SMTP("127.0.0.1", gateway_port(gw.settings), timeout=60) as s:
        s.ehlo()
        s.mail("frontdesk@practice.example")
        s.rcpt("lab@partner.example")
        try:
            code, text = s.data(CLEAN)
        except smtplib.SMTPDataError as exc:
            code, text = exc.smtp_code, exc.smtp_error
    return code, text.decode()


@contextmanager
def _gateway(tmp_path: Path, **audit: str) -> Iterator[tuple[GatewayThread, SinkHandler]]:
    with running_sink() as (sink, port, _ctl):
        settings = make_settings(tmp_path, port, audit=audit) if audit else None
        with running_gateway(settings or make_settings(tmp_path, port)) as gw:
            yield gw, sink


def _verify(url: str, key_file: Path) -> subprocess.CompletedProcess[str]:
    return run_phigate("audit", "verify", "--url", url, "--key-file", str(key_file))


def test_sqlite_audit_refusing_writes_means_451_and_nothing_delivered(tmp_path: Path):
    """With the SQLite audit database refusing inserts, the client gets 451 and the next hop nothing."""
    with _gateway(tmp_path) as (gw, sink):
        assert _send(gw)[0] == 250
        assert len(sink.messages) == 1
        with sqlite3.connect(tmp_path / "audit.db") as db:
            db.execute(
                "CREATE TRIGGER disk_full BEFORE INSERT ON audit_records "
                "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
            )
        code, text = _send(gw)
        assert code == 451, text
        assert len(sink.messages) == 1
        with sqlite3.connect(tmp_path / "audit.db") as db:
            db.execute("DROP TRIGGER disk_full")
        assert _send(gw)[0] == 250
        assert len(sink.messages) == 2
    done = _verify(f"sqlite:///{tmp_path}/audit.db", tmp_path / "audit.key")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "pending, never completed" not in done.stdout


@contextmanager
def _tmpfs(path: Path, size: str) -> Iterator[Path]:
    path.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _fill(folder: Path) -> None:
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass  # ENOSPC: the filesystem is full
    finally:
        os.close(fd)


def test_full_audit_disk_means_451_and_nothing_delivered(tmp_path: Path):
    """With the audit database on a full filesystem, the client gets 451 and the next hop nothing."""
    with _tmpfs(tmp_path / "small", "2m") as disk:
        with _gateway(
            tmp_path, url=f"sqlite:///{disk}/audit.db", key_file=str(tmp_path / "audit.key")
        ) as (gw, sink):
            _fill(disk)
            codes = [_send(gw)[0] for _ in range(3)]
            assert codes == [451, 451, 451]
            assert sink.messages == []
            (disk / "filler").unlink()
            assert _send(gw)[0] == 250
            assert len(sink.messages) == 1


class _Proxy:
    """A TCP forwarder to PostgreSQL that the test can cut, as a network failure would."""

    def __init__(self, port: int) -> None:
        self.target = ("127.0.0.1", port)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.socks: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.socks += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        try:
            self.server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() on Linux
        except OSError:
            pass
        self.server.close()
        for s in self.socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


@pytest.mark.postgres
def test_unreachable_postgresql_audit_means_451_and_nothing_delivered(tmp_path: Path):
    """When the PostgreSQL audit server becomes unreachable mid-run, mail waits with 451."""
    with database_url("postgresql", tmp_path, "audit") as url:
        proxy = _Proxy(5432)
        try:
            proxied = url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
            with _gateway(tmp_path, url=proxied, key_file=str(tmp_path / "audit.key")) as (
                gw,
                sink,
            ):
                assert _send(gw)[0] == 250
                proxy.cut()
                code, text = _send(gw)
                assert code == 451, text
                assert len(sink.messages) == 1
        finally:
            proxy.cut()


@pytest.mark.postgres
def test_dropped_postgresql_audit_table_means_451_and_nothing_delivered(tmp_path: Path):
    """With the audit table gone from the PostgreSQL schema, mail waits with 451."""
    with database_url("postgresql", tmp_path, "audit") as url:
        schema = url.rsplit("%3D", 1)[1]
        with _gateway(tmp_path, url=url, key_file=str(tmp_path / "audit.key")) as (gw, sink):
            assert _send(gw)[0] == 250
            with psycopg.connect(PG_DSN, autocommit=True) as conn:
                conn.execute(f'DROP TABLE "{schema}".audit_records')
            code, text = _send(gw)
            assert code == 451, text
            assert len(sink.messages) == 1


def test_final_record_failing_after_delivery_leaves_a_pending_record_verify_reports(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
):
    """If only the final record fails, the pending one proves the message and verify names it."""
    with _gateway(tmp_path) as (gw, sink):
        with sqlite3.connect(tmp_path / "audit.db") as db:
            db.execute(
                "CREATE TRIGGER final_fails BEFORE INSERT ON audit_records "
                "WHEN NEW.action != 'message-pending' "
                "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
            )
        code, text = _send(gw)
        # The next hop took it before the final append, so 250 is the truth.
        assert code == 250 and len(sink.messages) == 1
        ref = text.rsplit("ref ", 1)[1].rstrip(")")
        with sqlite3.connect(tmp_path / "audit.db") as db:
            db.execute("DROP TRIGGER final_fails")
    logged = capfd.readouterr()
    assert "audit.append_failed" in logged.out + logged.err
    done = _verify(f"sqlite:///{tmp_path}/audit.db", tmp_path / "audit.key")
    assert f"(ref {ref}): pending, never completed" in done.stdout
    assert "1 pending, never completed" in done.stdout
    shown = run_phigate(
        "audit", "show", "--incomplete", "--json",
        "--url", f"sqlite:///{tmp_path}/audit.db", "--key-file", str(tmp_path / "audit.key"),
    )  # fmt: skip
    assert [(r["ref_id"], r["action"]) for r in json.loads(shown.stdout)] == [
        (ref, "message-pending")
    ]
