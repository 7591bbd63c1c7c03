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
from typing import Any

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


def _signed_records(
    client: ValidatingClient,
    source: str,
    address: str,
    label: str,
    rdtype: dns.rdatatype.RdataType,
    timeout: float,
) -> tuple[dns.name.Name, list[Any]]:
    """The DNSSEC-validated records of `address` under `label`, with their owner name; none
    when the address can have no such name or nothing is published there."""
    try:
        owner = dane_name(address, label)
    except (ValueError, dns.exception.DNSException):
        return dns.name.root, []  # no DNS name can hold a record for this address
    try:
        rrset = client.query(owner, rdtype, deadline=time.monotonic() + timeout)
    except LookupFailed as exc:
        raise type(exc)(source, exc.reason) from exc
    return owner, list(rrset) if rrset is not None else []


class DaneOpenpgpkeySource:
    """OpenPGP keys from DNSSEC-signed OPENPGPKEY records. See KeySource."""

    name = "dane-openpgpkey"
    kinds = frozenset({"pgp"})

    def __init__(self, client: ValidatingClient) -> None:
        self.client = client

    def find(self, address: str, *, timeout: float) -> Sequence[Candidate]:
        """See KeySource."""
        owner, records = _signed_records(
            self.client, self.name, address, "_openpgpkey", dns.rdatatype.OPENPGPKEY, timeout
        )
        return [Candidate("pgp", bytes(r.key), self.name, str(owner)) for r in records]


class DaneSmimeaSource:
    """S/MIME certificates from DNSSEC-signed SMIMEA records. See KeySource."""

    name = "dane-smimea"
    kinds = frozenset({"smime"})

    def __init__(self, client: ValidatingClient) -> None:
        self.client = client

    def find(self, address: str, *, timeout: float) -> Sequence[Candidate]:
        """See KeySource."""
        owner, records = _signed_records(
            self.client, self.name, address, "_smimecert", dns.rdatatype.SMIMEA, timeout
        )
        found = []
        for r in records:
            usage, selector, mtype = int(r.usage), int(r.selector), int(r.mtype)
            if usage in (1, 3) and selector == 0 and mtype == 0:
                found.append(Candidate("smime", bytes(r.cert), self.name, f"{owner} usage {usage}"))
        return found
