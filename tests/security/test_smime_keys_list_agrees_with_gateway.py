"""`phigate keys list` judges a certificate as the gateway does (require_crl and CRLs included)
and says why one is unusable, so an operator is never told a certificate the gateway refuses is fine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.config import load_settings
from gateway.crypto.methods import SmimeMethod
from gateway.keys import CertStore
from tests.support.cli import phigate as keys_main
from tests.support.pki import DAY, NOW, Pki


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A CA pair for this module."""
    return Pki(tmp_path_factory.mktemp("pki"))


def _config(tmp_path: Path, pki: Pki, crls: list[Path], *, require_crl: bool) -> Path:
    config = tmp_path / "phigate.yaml"
    smime = {
        "store_dir": str(tmp_path / "certs"),
        "trust_anchors": [str(pki.root.cert_path)],
        "crls": [str(c) for c in crls],
        "require_crl": require_crl,
    }
    config.write_text(json.dumps({"smime": smime}))  # JSON is YAML
    return config


def _rows(config: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, str]]:
    capsys.readouterr()
    assert keys_main(["keys", "list", "--json", "--config", str(config)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    return {r["address"]: r for r in rows}


def test_list_honours_require_crl_like_the_gateway(
    tmp_path: Path, pki: Pki, capsys: pytest.CaptureFixture[str]
) -> None:
    """With require_crl and no root CRL, the listing and the encryptor both refuse the certificate."""
    cert = pki.issue("intake@heart.example", stem="intake")
    config = _config(tmp_path, pki, [pki.crl([])], require_crl=True)
    settings = load_settings(config)
    CertStore.from_settings(settings.smime).import_certificates(
        [pki.intermediate.cert, cert.cert], source="test"
    )
    usable, _ = SmimeMethod(settings.smime).usable("intake@heart.example")
    assert not usable
    row = _rows(config, capsys)["intake@heart.example"]
    assert row["status"] == "no-current-crl"
    assert "no CRL covers" in row["detail"]


def test_list_says_why_a_certificate_is_unusable(
    tmp_path: Path, pki: Pki, capsys: pytest.CaptureFixture[str]
) -> None:
    """The table shows the reason next to the status: expired, revoked, stale CRL."""
    expired = pki.issue("old@heart.example", stem="old", not_after=NOW - DAY)
    revoked = pki.issue("gone@heart.example", stem="gone")
    fine = pki.issue("fine@heart.example", stem="fine")
    crl = pki.crl([revoked], stem="listing")
    config = _config(tmp_path, pki, [crl], require_crl=False)
    store = CertStore.from_settings(load_settings(config).smime)
    store.import_certificates(
        [pki.intermediate.cert, expired.cert, revoked.cert, fine.cert], source="test"
    )
    rows = _rows(config, capsys)
    assert rows["old@heart.example"]["status"] == "expired"
    assert rows["old@heart.example"]["detail"].startswith("expired ")
    assert rows["gone@heart.example"]["status"] == "revoked"
    assert "listing.crl" in rows["gone@heart.example"]["detail"]
    assert (rows["fine@heart.example"]["status"], rows["fine@heart.example"]["detail"]) == (
        "valid",
        "",
    )
    assert keys_main(["keys", "list", "--config", str(config)]) == 0
    table = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:]}
    assert "revoked (revoked " in table["gone@heart.example"]
    assert "expired (expired " in table["old@heart.example"]
