"""The gateway learns a sender's certificate and AES-GCM capability from signed mail only when the
signature verifies, the certificate chains to a configured trust anchor and names the sender:
a forged or altered message must not choose the certificate or cipher mail is encrypted with."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from asn1crypto import cms

from gateway.config import SmimeSettings
from gateway.crypto.methods import SmimeMethod
from gateway.crypto.smime import BadSignature, Signer, sign_message
from gateway.keys import CertStore
from tests.support.pki import Issued, Pki

PARTNER = "intake@heart.example"


def _mail(sender: str) -> bytes:
    return (
        f"From: {sender}\r\nTo: hpark@practice.example\r\nSubject: referral\r\n"
        "Content-Type: text/plain\r\n\r\nPlease send the labs.\r\n"
    ).encode()


@pytest.fixture(scope="module")
def stranger_pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A PKI the gateway does not trust."""
    return Pki(tmp_path_factory.mktemp("stranger"))


@pytest.fixture(scope="module")
def partner(pki: Pki) -> Issued:
    """The partner's real certificate."""
    return pki.issue(PARTNER, stem="partner")


def _settings(tmp_path: Path, pki: Pki) -> SmimeSettings:
    # auto: the control case shows the learnt certificate in use at once (approval is its own test)
    return SmimeSettings(
        store_dir=tmp_path / "certs", trust_anchors=(pki.root.cert_path,), harvest="auto"
    )


def _signed(who: Issued, issuer: Pki, sender: str = PARTNER) -> bytes:
    return sign_message(_mail(sender), Signer(who.cert, who.key, (issuer.intermediate.cert,)))


def _structure(message: bytes) -> str:
    body = message.split(b"\r\n\r\n", 1)[1]
    return str(cms.ContentInfo.load(base64.b64decode(body))["content_type"].native)


def test_verified_signed_mail_teaches_certificate_and_gcm(
    tmp_path: Path, pki: Pki, partner: Issued
) -> None:
    """Control: a valid signature teaches the certificate, and mail to the sender then uses GCM."""
    settings = _settings(tmp_path, pki)
    store = CertStore.from_settings(settings)
    result = store.learn_from_signed(_signed(partner, pki), PARTNER)
    assert result.learned, result.reason
    method = SmimeMethod(settings)
    assert method.usable(PARTNER)[0]
    assert _structure(method.encrypt(_mail("hpark@practice.example"), PARTNER)) == (
        "authenticated_enveloped_data"
    )


def test_altered_message_teaches_nothing(tmp_path: Path, pki: Pki, partner: Issued) -> None:
    """A signed message changed in transit is refused and leaves the store as it was."""
    store = CertStore.from_settings(_settings(tmp_path, pki))
    altered = _signed(partner, pki).replace(b"Please send", b"Please SEND")
    with pytest.raises(BadSignature):
        store.learn_from_signed(altered, PARTNER)
    assert store.lookup(PARTNER).problem == "not-found"
    assert store.learned_capabilities(PARTNER) is None


def test_untrusted_signer_teaches_nothing(tmp_path: Path, pki: Pki, stranger_pki: Pki) -> None:
    """A correctly signed message from a certificate outside the trust anchors is not learnt from."""
    settings = _settings(tmp_path, pki)
    store = CertStore.from_settings(settings)
    impostor = stranger_pki.issue(PARTNER, stem="impostor")
    result = store.learn_from_signed(_signed(impostor, stranger_pki), PARTNER)
    assert not result.learned
    assert store.entries() == ()
    assert store.learned_capabilities(PARTNER) is None
    assert not SmimeMethod(settings).usable(PARTNER)[0]


def test_certificate_of_someone_else_teaches_nothing(
    tmp_path: Path, pki: Pki, partner: Issued
) -> None:
    """The partner's valid signature on mail from another address teaches nothing about either."""
    store = CertStore.from_settings(_settings(tmp_path, pki))
    other = "billing@heart.example"
    for sender, envelope in ((other, other), (PARTNER, other), (other, PARTNER)):
        result = store.learn_from_signed(_signed(partner, pki, sender=sender), envelope)
        assert not result.learned
    assert store.entries() == ()
    assert store.learned_capabilities(other) is None
    assert store.learned_capabilities(PARTNER) is None
