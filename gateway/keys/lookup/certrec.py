"""S/MIME certificates in DNS CERT records (RFC 4398), as Direct Secure Messaging publishes them.

First the address-bound record: "@" becomes "." and the local part is one label (RFC 4398 3.3:
a dot inside it is escaped, so jane.doe@direct.example is asked at jane\\.doe.direct.example),
then the domain-bound one (direct.example). Only certificate type PKIX (1) carries a
certificate; the answer must validate under DNSSEC, and the certificate is then validated as an
imported one.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import dns.exception
import dns.name
import dns.rdatatype

from gateway.keys.lookup.base import Candidate, LookupFailed
from gateway.keys.lookup.dnssec import ValidatingClient

#: RFC 4398 certificate type of an X.509 certificate.
CERT_PKIX = 1


def cert_names(address: str) -> tuple[dns.name.Name, ...]:
    """The address-bound (when the local part fits in one label) and domain-bound owner names."""
    local, _, domain = address.strip().rpartition("@")
    if not local or not domain:
        raise ValueError(f"not an e-mail address: {address!r}")
    domain_name = dns.name.from_text(domain.lower())
    try:
        bound = dns.name.Name((local.encode("utf-8"),)).concatenate(domain_name)
    except dns.exception.DNSException:
        return (domain_name,)  # a local part longer than a label: only the domain's record
    return bound, domain_name


class DnsCertSource:
    """X.509 certificates from DNSSEC-signed CERT records. See KeySource."""

    name = "dns-cert"
    kinds = frozenset({"smime"})

    def __init__(self, client: ValidatingClient) -> None:
        self.client = client

    def find(self, address: str, *, timeout: float) -> Sequence[Candidate]:
        """See KeySource."""
        deadline = time.monotonic() + timeout
        try:
            names = cert_names(address)
        except (ValueError, dns.exception.DNSException):
            return []  # no DNS name can hold a record for this address
        for owner in names:
            try:
                rrset = self.client.query(owner, dns.rdatatype.CERT, deadline=deadline)
            except LookupFailed as exc:
                raise type(exc)(self.name, exc.reason) from exc
            if rrset is None:
                continue
            found = [
                Candidate("smime", bytes(r.certificate), self.name, str(owner))
                for r in rrset
                if int(r.certificate_type) == CERT_PKIX
            ]
            if found:
                return found
        return []
