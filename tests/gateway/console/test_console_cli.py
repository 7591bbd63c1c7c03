"""`phigate console user ...` and `phigate console senders add` through the real entry point."""

from __future__ import annotations

from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.audit import AuditLog
from gateway.console.auth import totp
from gateway.console.errors import LoginRefused
from gateway.console.store import ConsoleStore
from tests.support.cli import phigate

OK, FAILED_ARGS = 0, 2


def _config(tmp_path: Path, own: str = "clinic.example") -> Path:
    (tmp_path / "keys").mkdir(exist_ok=True)
    AuditLog(f"sqlite:///{tmp_path}/audit.db", tmp_path / "keys" / "audit.key").close()
    config = tmp_path / "phigate.yaml"
    config.write_text(
        f"console:\n  url: sqlite:///{tmp_path}/console.db\n  own_domains: [{own}]\n"
        f"audit:\n  url: sqlite:///{tmp_path}/audit.db\n  key_file: {tmp_path}/keys/audit.key\n",
        encoding="utf-8",
    )
    return config


def test_user_lifecycle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """add prints a working TOTP secret once; list shows the role; disable stops sign-in;
    reset-totp gives a new secret; a short password and a taken name are refused."""
    config = _config(tmp_path)
    pw = tmp_path / "pw"
    pw.write_text("a long enough password\n", encoding="utf-8")
    base = ["console", "user"]
    assert phigate([*base, "add", "olga", "--role", "officer", "--password-file", str(pw),
                    "--config", str(config)]) == OK  # fmt: skip
    out = capsys.readouterr().out
    secret = out.split("TOTP secret for olga: ", 1)[1].split()[0]
    assert "otpauth://totp/" in out
    now = datetime.now(UTC)
    with closing(ConsoleStore(f"sqlite:///{tmp_path}/console.db")) as store:
        assert (
            store.authenticate("olga", "a long enough password", totp(secret, now), now)
            == "officer"
        )
    assert phigate([*base, "add", "olga", "--role", "admin", "--password-file", str(pw),
                    "--config", str(config)]) == FAILED_ARGS  # fmt: skip
    assert "exists" in capsys.readouterr().err
    short = tmp_path / "short"
    short.write_text("short\n", encoding="utf-8")
    assert phigate([*base, "add", "bob", "--role", "admin", "--password-file", str(short),
                    "--config", str(config)]) == FAILED_ARGS  # fmt: skip
    assert "at least 12" in capsys.readouterr().err
    assert phigate([*base, "list", "--config", str(config)]) == OK
    assert "olga" in capsys.readouterr().out
    assert phigate([*base, "reset-totp", "olga", "--config", str(config)]) == OK
    new_secret = capsys.readouterr().out.split("TOTP secret for olga: ", 1)[1].split()[0]
    assert new_secret != secret
    assert phigate([*base, "disable", "olga", "--config", str(config)]) == OK
    later = datetime.fromtimestamp(now.timestamp() + 60, UTC)
    with closing(ConsoleStore(f"sqlite:///{tmp_path}/console.db")) as store:
        with pytest.raises(LoginRefused):
            store.authenticate("olga", "a long enough password", totp(new_secret, later), later)
    assert phigate([*base, "disable", "nobody", "--config", str(config)]) == FAILED_ARGS


def test_senders_add_only_own_domains(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Staff addresses of the own domains enter the directory under the audit log's hash; an
    outside address (a patient's) is refused and nothing is entered."""
    config = _config(tmp_path)
    argv = ["console", "senders", "add", "--config", str(config)]
    assert phigate([*argv, "Dr.Who@clinic.example", "someone@gmail.example"]) == FAILED_ARGS
    assert "gmail.example" in capsys.readouterr().err
    assert phigate([*argv, "Dr.Who@clinic.example"]) == OK
    with closing(
        AuditLog(f"sqlite:///{tmp_path}/audit.db", tmp_path / "keys" / "audit.key")
    ) as log:
        digest = log.keyed_hash("dr.who@clinic.example")
    with closing(ConsoleStore(f"sqlite:///{tmp_path}/console.db")) as store:
        assert store.sender_address(digest) == "dr.who@clinic.example"
