"""`phigate quarantine`: masked by default, every access audited, released only on delivery."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosmtplib
import pytest

from gateway.cli.context import Hooks as CliHooks
from gateway.model import PhigateError
from gateway.quarantine import DELETED, HELD, RELEASED, QuarantineStore
from tests.support.cli import phigate
from tests.support.gateway import running_sink
from tests.support.quarantine import PLANTED, RAW, RECIPIENTS, SENDER, put

EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2
SMTP_OK = 250
OFFICER = "officer.kim"


class AuditDown(PhigateError):
    """The audit log cannot be written."""

    code = "audit-error"


@dataclass
class Hooks:
    """Fake lead callbacks that record what they were asked."""

    audited: list[tuple[str, str, str]] = field(default_factory=list)
    delivered: list[tuple[bytes, str, tuple[str, ...]]] = field(default_factory=list)
    reply: tuple[bool, str] = (True, "250 2.0.0 Ok: queued as ABC")
    audit_fails: bool = False

    def audit_access(self, entry_id: str, action: str, who: str) -> None:
        if self.audit_fails:
            raise AuditDown("audit log unavailable")
        self.audited.append((entry_id, action, who))

    def deliver(self, raw: bytes, mail_from: str, recipients: Sequence[str]) -> tuple[bool, str]:
        self.delivered.append((raw, mail_from, tuple(recipients)))
        return self.reply


@dataclass
class Env:
    """A quarantine on SQLite, one held entry, and a CLI runner wired to fake hooks."""

    url: str
    key_file: Path
    hooks: Hooks
    entry_id: str

    def run(self, *argv: str, master_key_file: Path | None = None, **hooks: object) -> int:
        """Run `phigate quarantine ...` with the fake hooks (or those given; None: unset)."""
        fakes: dict[str, object] = {
            "audit_access": self.hooks.audit_access,
            "deliver": self.hooks.deliver,
            **hooks,
        }
        where = ["--url", self.url, "--key-file", str(master_key_file or self.key_file)]
        return phigate(
            ["quarantine", *argv, "--as", OFFICER, *where],
            CliHooks(**fakes),  # type: ignore[arg-type]
        )

    def store(self) -> QuarantineStore:
        return QuarantineStore(self.url, self.key_file)

    def status(self, entry_id: str | None = None) -> str:
        s = self.store()
        try:
            return str(s.meta(entry_id or self.entry_id)["status"])
        finally:
            s.close()


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    """A quarantine holding the planted test message."""
    url = f"sqlite:///{tmp_path}/var/quarantine.db"
    key_file = tmp_path / "keys" / "quarantine.key"
    store = QuarantineStore(url, key_file)
    try:
        entry_id = put(store, now=datetime.now(UTC))
    finally:
        store.close()
    yield Env(url, key_file, Hooks(), entry_id)


def assert_no_phi(text: str) -> None:
    """None of the planted values appear in `text`."""
    for secret in PLANTED:
        assert secret not in text


def test_list(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    """list prints one line per entry with id, status, rule and entity types, and no PHI."""
    assert env.run("list") == EXIT_OK
    out = capsys.readouterr().out
    [line] = out.splitlines()
    assert env.entry_id in line and HELD in line and "phi-to-external" in line
    assert "PERSON,US_SSN" in line
    assert_no_phi(out)
    assert env.hooks.audited == []


def test_list_json(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    """list --json prints the metadata as JSON."""
    assert env.run("list", "--json", "--status", "held") == EXIT_OK
    [meta] = json.loads(capsys.readouterr().out)
    assert meta["id"] == env.entry_id
    assert meta["entities"] == {"PERSON": 2, "US_SSN": 1}


def test_show_is_masked_and_audited(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    """show prints metadata and masked headers, no body and no PHI, and audits the access."""
    assert env.run("show", env.entry_id) == EXIT_OK
    out = capsys.readouterr().out
    assert_no_phi(out)
    assert "potassium" not in out
    assert "Subject: L*** f** J****** D*********" in out
    assert "lab.example" in out and "l***@lab.example" in out
    assert "application/pdf attachment 'D*********_l***.p**'" in out
    assert "phi-to-external" in out and "PG-20261128-TESTREF1" in out
    assert env.hooks.audited == [(env.entry_id, "show", OFFICER)]


def test_reveal_prints_original_and_is_audited(
    env: Env, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    """show --reveal prints the original bytes, after an audit record of the reveal."""
    assert env.run("show", env.entry_id, "--reveal") == EXIT_OK
    assert RAW in capsysbinary.readouterr().out
    assert env.hooks.audited == [(env.entry_id, "reveal", OFFICER)]


def test_reveal_to_private_file(env: Env, tmp_path: Path) -> None:
    """--reveal --output writes a new 0600 file and never overwrites one."""
    out = tmp_path / "revealed.eml"
    assert env.run("show", env.entry_id, "--reveal", "--output", str(out)) == EXIT_OK
    assert out.read_bytes() == RAW
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert env.run("show", env.entry_id, "--reveal", "--output", str(out)) == EXIT_ERROR


def test_reveal_refused_without_audit_hook(
    env: Env, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    """Without an audit hook nothing is decrypted or shown."""
    assert env.run("show", env.entry_id, "--reveal", audit_access=None) == EXIT_ERROR
    captured = capsysbinary.readouterr()
    assert captured.out == b""
    assert b"no audit hook" in captured.err


def test_reveal_refused_when_audit_fails(
    env: Env, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    """When the audit record cannot be written, the message is not revealed."""
    env.hooks.audit_fails = True
    assert env.run("show", env.entry_id, "--reveal") == EXIT_ERROR
    captured = capsysbinary.readouterr()
    assert captured.out == b""
    assert b"audit log unavailable" in captured.err


def test_release_delivers_then_marks(env: Env) -> None:
    """release hands the original and its full envelope to deliver, then marks it released."""
    assert env.run("release", env.entry_id) == EXIT_OK
    assert env.hooks.delivered == [(RAW, SENDER, RECIPIENTS)]
    assert env.status() == RELEASED
    assert env.hooks.audited == [(env.entry_id, "release", OFFICER)]
    assert env.run("release", env.entry_id) == EXIT_ERROR
    assert len(env.hooks.delivered) == 1


def test_failed_delivery_keeps_it_held(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    """A refused delivery leaves the entry held, exits 1 and audits the failure."""
    env.hooks.reply = (False, "451 4.3.0 next hop down")
    assert env.run("release", env.entry_id) == EXIT_FAILED
    assert "451 4.3.0 next hop down" in capsys.readouterr().err
    assert env.status() == HELD
    assert [a for _, a, _ in env.hooks.audited] == ["release", "release-failed"]


def test_delivery_exception_keeps_it_held(env: Env) -> None:
    """A deliver hook that cannot connect leaves the entry held."""

    def refuse(raw: bytes, mail_from: str, recipients: Sequence[str]) -> tuple[bool, str]:
        raise ConnectionRefusedError("connection refused")

    assert env.run("release", env.entry_id, deliver=refuse) == EXIT_FAILED
    assert env.status() == HELD


def test_release_needs_deliver_hook(env: Env) -> None:
    """Without a deliver hook release refuses and the entry stays held."""
    assert env.run("release", env.entry_id, deliver=None) == EXIT_ERROR
    assert env.status() == HELD


def test_delete_shreds_and_audits(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    """delete shreds the entry, audits it, and a later show fails."""
    assert env.run("delete", env.entry_id) == EXIT_OK
    assert env.status() == DELETED
    assert env.hooks.audited == [(env.entry_id, "delete", OFFICER)]
    assert env.run("release", env.entry_id) == EXIT_ERROR
    assert env.run("show", env.entry_id) == EXIT_ERROR
    assert "deleted" in capsys.readouterr().err


def test_purge(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    """purge shreds entries past retention and keeps the others."""
    store = env.store()
    try:
        old = put(store, now=datetime.now(UTC) - timedelta(days=31))
    finally:
        store.close()
    assert env.run("purge") == EXIT_OK
    assert "purged 1 expired entry" in capsys.readouterr().out
    assert env.status(old) == DELETED
    assert env.status() == HELD


def test_unknown_entry(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown id is a clear error and is not audited."""
    assert env.run("show", "QNOSUCHENTRY2345") == EXIT_ERROR
    assert "quarantine-not-found" in capsys.readouterr().err
    assert env.hooks.audited == []


def test_missing_key_file_is_not_created(env: Env, tmp_path: Path) -> None:
    """A missing master key file is an error; the CLI never makes a fresh (useless) key."""
    missing = tmp_path / "nokeys" / "quarantine.key"
    assert env.run("list", master_key_file=missing) == EXIT_ERROR
    assert not missing.exists()


async def smtp_deliver(
    port: int, raw: bytes, mail_from: str, recipients: Sequence[str]
) -> tuple[bool, str]:
    """A minimal relay: send over SMTP on loopback and report the final reply."""
    try:
        errors, reply = await aiosmtplib.send(
            raw, sender=mail_from, recipients=list(recipients), hostname="127.0.0.1", port=port
        )
    except aiosmtplib.SMTPResponseException as exc:
        return False, f"{exc.code} {exc.message}"
    return not errors, reply


def test_release_into_real_smtp_sink(env: Env) -> None:
    """release delivers the original bytes to a real SMTP server on loopback."""
    with running_sink() as (sink, port, _ctl):

        async def deliver(
            raw: bytes, mail_from: str, recipients: Sequence[str]
        ) -> tuple[bool, str]:
            return await smtp_deliver(port, raw, mail_from, recipients)

        assert env.run("release", env.entry_id, deliver=deliver) == EXIT_OK
        [received] = sink.messages
    assert received.mail_from == SENDER
    assert tuple(received.rcpt_tos) == RECIPIENTS
    assert received.content == RAW
    assert env.status() == RELEASED


def test_release_refused_by_real_sink_stays_held(env: Env) -> None:
    """When the real next hop rejects the message, the entry stays held."""
    with running_sink() as (sink, port, _ctl):
        sink.data_reply = "554 5.7.1 rejected"

        async def deliver(
            raw: bytes, mail_from: str, recipients: Sequence[str]
        ) -> tuple[bool, str]:
            return await smtp_deliver(port, raw, mail_from, recipients)

        assert env.run("release", env.entry_id, deliver=deliver) == EXIT_FAILED
        assert sink.messages == []
    assert env.status() == HELD
