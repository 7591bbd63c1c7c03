"""DANE for mail end to end: OpenPGP keys in OPENPGPKEY records (RFC 7929) and S/MIME
certificates in SMIMEA records (RFC 8162), each accepted only with a valid DNSSEC chain.

The owner name is the first 28 octets of SHA-256 of the local part, in hex, under
`_openpgpkey.DOMAIN` or `_smimecert.DOMAIN`. Of SMIMEA records only those that carry a whole
certificate (selector 0, matching type 0) can give phigate something to encrypt to; for
certificate usages 1 (PKIX-EE) and 3 (DANE-EE) the certificate is a candidate, and is then
validated as an imported certificate is (so it must also chain to the configured anchors).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence

import dns.exception
import dns.name
import dns.rdatatype

from gateway.keys.lookup.base import Candidate, LookupFailed
from gateway.keys.lookup.dnssec import ValidatingClient


def dane_name(address: str, label: str) -> dns.name.Name:
    """The owner name of `address`'s record under `label` (_openpgpkey or _smimecert)."""
    local, _, domain = address.strip().rpartition("@")
    if not local or not domain:
        raise ValueError(f"not an e-mail address: {address!r}")
    digest = hashlib.sha256(local.encode("utf-8")).digest()[:28].hex()
    return dns.name.from_text(f"{digest}.{label}.{domain.lower()}")


class DaneOpenpgpkeySource:
    """OpenPGP keys from DNSSEC-signed OPENPGPKEY records. See KeySource."""

    name = "dane-openpgpkey"
    kinds = frozenset({"pgp"})

    def __init__(self, client: ValidatingClient) -> None:
        self.client = client

    def find(self, address: str, *, timeout: float) -> Sequence[Candidate]:
        """See KeySource."""
        try:
            owner = dane_name(address, "_openpgpkey")
        except (ValueError, dns.exception.DNSException):
            return []  # no DNS name can hold a record for this address
        try:
            rrset = self.client.query(
                owner, dns.rdatatype.OPENPGPKEY, deadline=time.monotonic() + timeout
            )
        except LookupFailed as exc:
            raise type(exc)(self.name, exc.reason) from exc
        if rrset is None:
            return []
        return [Candidate("pgp", bytes(r.key), self.name, str(owner)) for r in rrset]


class DaneSmimeaSource:
    """S/MIME certificates from DNSSEC-signed SMIMEA records. See KeySource."""

    name = "dane-smimea"
    kinds = frozenset({"smime"})

    def __init__(self, client: ValidatingClient) -> None:
        self.client = client

    def find(self, address: str, *, timeout: float) -> Sequence[Candidate]:
        """See KeySource."""
        try:
            owner = dane_name(address, "_smimecert")
        except (ValueError, dns.exception.DNSException):
            return []  # no DNS name can hold a record for this address
        try:
            rrset = self.client.query(
                owner, dns.rdatatype.SMIMEA, deadline=time.monotonic() + timeout
            )
        except LookupFailed as exc:
            raise type(exc)(self.name, exc.reason) from exc
        if rrset is None:
            return []
        found = []
        for r in rrset:
            usage, selector, mtype = int(r.usage), int(r.selector), int(r.mtype)
            if usage in (1, 3) and selector == 0 and mtype == 0:
                found.append(Candidate("smime", bytes(r.cert), self.name, f"{owner} usage {usage}"))
        return found
