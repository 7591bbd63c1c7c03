"""A CRL past its nextUpdate, or not yet in force, cannot vouch that a certificate is unrevoked.

With `require_crl: true` such a certificate is refused as if no CRL existed. (That a stale CRL
still proves revocation is checked in tests/gateway/keys/test_certstore.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.keys import CertStore
from tests.support.pki import DAY, NOW, Issued, Pki


@pytest.fixture(scope="module")
def recipient(pki: Pki) -> Issued:
    """A valid, unrevoked recipient certificate."""
    return pki.issue("intake@heart.example", stem="intake")


def _store(tmp_path: Path, pki: Pki, recipient: Issued, issuing_crl: Path) -> CertStore:
    root_crl = pki.crl([], stem="root", issuer=pki.root)
    store = CertStore(
        tmp_path / "store", [pki.root.cert_path], [issuing_crl, root_crl], require_crl=True
    )
    store.import_certificates([pki.intermediate.cert, recipient.cert], source="test")
    return store


def test_current_crls_make_the_certificate_usable(
    tmp_path: Path, pki: Pki, recipient: Issued
) -> None:
    """Control: with current CRLs for every link, require_crl accepts the certificate."""
    store = _store(tmp_path, pki, recipient, pki.crl([], stem="current"))
    assert store.lookup("intake@heart.example").ok


def test_crl_past_next_update_is_treated_as_missing(
    tmp_path: Path, pki: Pki, recipient: Issued
) -> None:
    """A CRL whose nextUpdate has passed leaves the certificate unusable under require_crl."""
    stale = pki.crl([], stem="stale", this_update=NOW - 40 * DAY, next_update=NOW - 10 * DAY)
    found = _store(tmp_path, pki, recipient, stale).lookup("intake@heart.example")
    assert found.cert is None
    assert found.problem == "no-current-crl"
    assert "stale" in found.detail


def test_crl_issued_in_the_future_is_treated_as_missing(
    tmp_path: Path, pki: Pki, recipient: Issued
) -> None:
    """A CRL whose thisUpdate lies in the future speaks for no current moment."""
    early = pki.crl([], stem="early", this_update=NOW + 2 * DAY, next_update=NOW + 30 * DAY)
    found = _store(tmp_path, pki, recipient, early).lookup("intake@heart.example")
    assert found.cert is None
    assert found.problem == "no-current-crl"
