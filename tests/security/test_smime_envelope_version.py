"""EnvelopedData carries the version RFC 5652 6.1 demands for its recipients.

A key-agreement (ECDH) RecipientInfo is version 3, so the EnvelopedData around it must be
version 2; strict parsers (and the RFC) reject a version 0 envelope with a kari inside.
"""

from __future__ import annotations

import base64

from asn1crypto import cms
from cryptography.hazmat.primitives.asymmetric import ec

from gateway.crypto.smime import encrypt_message
from tests.support.pki import Pki

MESSAGE = (
    b"From: a@practice.example\r\nTo: b@heart.example\r\nSubject: s\r\n"
    b"Content-Type: text/plain\r\n\r\nhello\r\n"
)


def _enveloped(message: bytes) -> cms.EnvelopedData:
    body = message.split(b"\r\n\r\n", 1)[1]
    info = cms.ContentInfo.load(base64.b64decode(body))
    assert info["content_type"].native == "enveloped_data"
    return info["content"]


def test_ecdh_recipient_makes_enveloped_data_version_2(pki: Pki) -> None:
    """With a kari (ECDH) recipient the CBC EnvelopedData is version 2."""
    carol = pki.issue("carol@heart.example", stem="carol", curve=ec.SECP256R1())
    data = _enveloped(encrypt_message(MESSAGE, [carol.cert], prefer_gcm=False, oaep=False))
    assert data["recipient_infos"][0].name == "kari"
    assert data["version"].native == "v2"


def test_mixed_rsa_and_ecdh_recipients_make_version_2(pki: Pki) -> None:
    """One kari among ktri recipients is enough to need version 2."""
    rsa_rcpt = pki.issue("dave@heart.example", stem="dave")
    ec_rcpt = pki.issue("erin@heart.example", stem="erin", curve=ec.SECP384R1())
    data = _enveloped(
        encrypt_message(MESSAGE, [rsa_rcpt.cert, ec_rcpt.cert], prefer_gcm=False, oaep=False)
    )
    assert [ri.name for ri in data["recipient_infos"]] == ["ktri", "kari"]
    assert data["version"].native == "v2"


def test_rsa_only_recipients_keep_version_0(pki: Pki) -> None:
    """Only version-0 ktri recipients (issuerAndSerialNumber) keep EnvelopedData version 0."""
    rsa_rcpt = pki.issue("frank@heart.example", stem="frank")
    data = _enveloped(encrypt_message(MESSAGE, [rsa_rcpt.cert], prefer_gcm=False, oaep=False))
    assert data["version"].native == "v0"
