"""The DNS side of DKIM for the tests: the domain, the selector and a resolver serving its key."""

from __future__ import annotations

import base64
from collections.abc import Callable

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

DOMAIN = "clinic.example"
SELECTOR = "phigate2026"


def dns_for(key: rsa.RSAPrivateKey) -> Callable[..., bytes | None]:
    """A DNS lookup that serves only the selector's TXT record, as a zone would publish it."""
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)

    def dnsfunc(name: bytes, timeout: int = 5) -> bytes | None:
        return record if name == f"{SELECTOR}._domainkey.{DOMAIN}.".encode() else None

    return dnsfunc
