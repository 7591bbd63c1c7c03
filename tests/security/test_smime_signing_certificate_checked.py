"""The S/MIME signing certificate (smime.sign_file) is checked when the gateway starts: one it
must not sign with stops the start with a one-line error naming the setting and the file, one
about to expire is warned about, and no signer at all is reported as unprotected CBC output."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.x509.oid import ExtendedKeyUsageOID
from structlog.testing import capture_logs

from gateway.config import load_settings
from gateway.model import ConfigError
from gateway.ops.metrics import Metrics
from gateway.services import Services, smime_warnings
from tests.support.deploy import run_phigate
from tests.support.gateway import free_port
from tests.support.pki import DAY, NOW, Pki

PASSWORD = b"sign-pw"


def _overrides(tmp_path: Path, sign_file: Path | None) -> dict[str, Any]:
    password = tmp_path / "sign.pw"
    password.write_bytes(PASSWORD + b"\n")
    smime: dict[str, Any] = {"store_dir": str(tmp_path / "certs")}
    if sign_file is not None:
        smime |= {"sign_file": str(sign_file), "sign_password_file": str(password)}
    return {
        "listen": f"127.0.0.1:{free_port()}",
        "audit": {"url": f"sqlite:///{tmp_path}/audit.db", "key_file": str(tmp_path / "a.key")},
        "smime": smime,
        "metrics": {"listen": None},
    }


def _signing_file(pki: Pki, stem: str, **options: Any) -> Path:
    issued = pki.issue(f"{stem}@practice.example", stem=stem, **options)
    return pki.pkcs12(issued, PASSWORD, stem=stem)


BAD = {
    "expired": ({"not_before": NOW - 400 * DAY, "not_after": NOW - DAY}, "expired"),
    "not-yet-valid": ({"not_before": NOW + DAY, "not_after": NOW + 400 * DAY}, "not valid before"),
    "no-digital-signature": ({"digital_signature": False}, "digitalSignature"),
    "no-email-protection": ({"eku": [ExtendedKeyUsageOID.CLIENT_AUTH]}, "emailProtection"),
    "weak-key": ({"key_size": 1024}, "too weak"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_unusable_signing_certificate_stops_the_start(tmp_path: Path, pki: Pki, case: str) -> None:
    """`phigate serve` exits 2 with one line naming smime.sign_file, the file and the reason."""
    options, reason = BAD[case]
    sign_file = _signing_file(pki, case, **options)
    config = tmp_path / "phigate.yaml"
    config.write_text(json.dumps(_overrides(tmp_path, sign_file)))  # JSON is YAML
    done = run_phigate("serve", "--config", str(config))
    assert done.returncode == 2, done.stderr
    (line,) = [x for x in done.stderr.splitlines() if x.startswith("phigate: ")]
    assert "smime.sign_file" in line and str(sign_file) in line and reason in line


def test_services_refuse_the_certificate_too(tmp_path: Path, pki: Pki) -> None:
    """The check sits where the gateway builds its services, so a config reload cannot skip it."""
    sign_file = _signing_file(pki, "expired-svc", not_after=NOW - DAY)
    settings = load_settings(None, _overrides(tmp_path, sign_file))
    with pytest.raises(ConfigError, match="smime.sign_file"):
        Services(settings, str)


def test_signing_certificate_near_expiry_warns_and_sets_the_metric(
    tmp_path: Path, pki: Pki
) -> None:
    """Ten days before notAfter: a warning event, the keys-expiring gauge, a config-check line."""
    sign_file = _signing_file(pki, "soon", not_after=NOW + 10 * DAY)
    settings = load_settings(None, _overrides(tmp_path, sign_file))
    metrics = Metrics()
    with capture_logs() as events:
        services = Services(settings, str, metrics=metrics)
    assert services.signing is not None
    assert [e["event"] for e in events] == ["smime.signing_certificate_expiring"]
    gauge = metrics.registry.get_sample_value("phigate_keys_expiring", {"kind": "smime-signing"})
    assert gauge == 1
    (warning,) = smime_warnings(settings)
    assert "smime.sign_file" in warning and "expires" in warning


def test_valid_signing_certificate_starts_quietly(tmp_path: Path, pki: Pki) -> None:
    """Control: a valid certificate a year from expiry gives no warning and a zero gauge."""
    sign_file = _signing_file(pki, "fine")
    settings = load_settings(None, _overrides(tmp_path, sign_file))
    metrics = Metrics()
    with capture_logs() as events:
        Services(settings, str, metrics=metrics)
    assert events == []
    assert (
        metrics.registry.get_sample_value("phigate_keys_expiring", {"kind": "smime-signing"}) == 0
    )
    assert smime_warnings(settings) == []


def test_no_signer_is_reported_as_unprotected_cbc(tmp_path: Path) -> None:
    """Without smime.sign_file the start logs, and config check can print, the integrity warning."""
    settings = load_settings(None, _overrides(tmp_path, None))
    with capture_logs() as events:
        Services(settings, str)
    assert [e["event"] for e in events] == ["smime.unsigned_output"]
    (warning,) = smime_warnings(settings, at=dt.datetime.now(dt.UTC))
    assert "without integrity" in warning
