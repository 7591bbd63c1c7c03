"""DNS answers with their DNSSEC chain validated by phigate itself (dnspython), from configured
trust anchors down: an answer is accepted only when its RRSIG verifies with its zone's DNSKEY
set, and that set is authenticated by a trust anchor (DS or DNSKEY) or by a DS record from the
parent zone that is itself validated the same way. The resolver asked need not validate (its AD
bit is not trusted); it only has to return the RRSIGs (the DO bit is set).

A name that does not exist, or has no record of the type asked, is "nothing published"
(denials are not proven with NSEC: a forged denial can only make phigate fall back, never use a
key). A record without a valid signature chain is Bogus: the key it carries is never used.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import dns.dnssec
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.DNSKEY
import dns.rdtypes.ANY.DS
import dns.resolver
import dns.rrset

from gateway.keys.lookup.base import LookupFailed, LookupTimeout

#: DS digest types accepted (SHA-1 is not).
_DS_DIGESTS = {2: "SHA256", 4: "SHA384"}
#: Zone cuts followed from an anchor down before giving up.
_MAX_DEPTH = 8


class Bogus(Exception):
    """An answer whose DNSSEC chain does not validate."""


@dataclass(frozen=True)
class TrustAnchors:
    """DS and DNSKEY trust anchors by zone."""

    ds: dict[dns.name.Name, tuple[dns.rdtypes.ANY.DS.DS, ...]]
    dnskey: dict[dns.name.Name, tuple[dns.rdtypes.ANY.DNSKEY.DNSKEY, ...]]

    @classmethod
    def parse(cls, lines: Sequence[str]) -> TrustAnchors:
        """Anchors from "zone. DS ..." / "zone. DNSKEY ..." lines (ValueError naming the line)."""
        ds: dict[dns.name.Name, list[dns.rdtypes.ANY.DS.DS]] = {}
        keys: dict[dns.name.Name, list[dns.rdtypes.ANY.DNSKEY.DNSKEY]] = {}
        for line in lines:
            parts = line.split(None, 2)
            try:
                if len(parts) != 3:
                    raise ValueError("expected 'zone. DS|DNSKEY data'")
                zone = dns.name.from_text(parts[0])
                rdtype = dns.rdatatype.from_text(parts[1])
                rdata = dns.rdata.from_text(dns.rdataclass.IN, rdtype, parts[2])
            except (ValueError, dns.exception.DNSException) as exc:
                raise ValueError(f"trust anchor {line!r}: {exc}") from exc
            if isinstance(rdata, dns.rdtypes.ANY.DS.DS):
                ds.setdefault(zone, []).append(rdata)
            elif isinstance(rdata, dns.rdtypes.ANY.DNSKEY.DNSKEY):
                keys.setdefault(zone, []).append(rdata)
            else:
                raise ValueError(f"trust anchor {line!r}: only DS or DNSKEY records")
        return cls({k: tuple(v) for k, v in ds.items()}, {k: tuple(v) for k, v in keys.items()})

    def zones(self) -> set[dns.name.Name]:
        """The zones with an anchor."""
        return set(self.ds) | set(self.dnskey)


def system_nameserver() -> tuple[str, int]:
    """The first nameserver of /etc/resolv.conf."""
    try:
        servers = dns.resolver.Resolver().nameservers
    except dns.exception.DNSException as exc:
        raise LookupFailed("dns", f"no resolver configured ({exc})") from exc
    if not servers:
        raise LookupFailed("dns", "no resolver configured")
    return str(servers[0]), 53


class ValidatingClient:
    """Asks one resolver and validates every answer from the trust anchors down."""

    def __init__(
        self,
        anchors: TrustAnchors,
        nameservers: Sequence[tuple[str, int]] = (),
        *,
        source: str = "dns",
    ) -> None:
        self.anchors = anchors
        self.nameservers = tuple(nameservers)
        self.source = source

    def query(
        self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType, *, deadline: float
    ) -> dns.rrset.RRset | None:
        """The validated RRset, or None when the name or type does not exist.

        Raises LookupTimeout past `deadline`, LookupFailed for a transport or DNSSEC failure.
        """
        try:
            return self._validated(name, rdtype, deadline, {}, 0)
        except Bogus as exc:
            raise LookupFailed(self.source, f"DNSSEC bogus: {exc}") from exc

    # ----------------------------------------------------------------- internals

    def _ask(
        self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType, deadline: float
    ) -> dns.message.Message:
        where, port = self.nameservers[0] if self.nameservers else system_nameserver()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise LookupTimeout(self.source, f"no time left to ask for {name} {rdtype.name}")
        query = dns.message.make_query(name, rdtype, want_dnssec=True)
        query.flags |= dns.flags.CD  # phigate validates; a validating resolver must not filter
        try:
            response, _ = dns.query.udp_with_fallback(query, where, timeout=remaining, port=port)
        except dns.exception.Timeout as exc:
            raise LookupTimeout(
                self.source, f"{where}:{port} did not answer for {name} {rdtype.name}"
            ) from exc
        except (dns.exception.DNSException, OSError) as exc:
            raise LookupFailed(self.source, f"{where}:{port}: {type(exc).__name__}") from exc
        rcode = response.rcode()
        if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            raise LookupFailed(
                self.source, f"{where}:{port} answered {dns.rcode.to_text(rcode)} for {name}"
            )
        return response

    def _validated(
        self,
        name: dns.name.Name,
        rdtype: dns.rdatatype.RdataType,
        deadline: float,
        zone_keys: dict[dns.name.Name, dns.rrset.RRset],
        depth: int,
    ) -> dns.rrset.RRset | None:
        response = self._ask(name, rdtype, deadline)
        if response.rcode() == dns.rcode.NXDOMAIN:
            return None
        try:
            rrset = response.find_rrset(response.answer, name, dns.rdataclass.IN, rdtype)
        except KeyError:
            return None
        try:
            sigs = response.find_rrset(
                response.answer, name, dns.rdataclass.IN, dns.rdatatype.RRSIG, rdtype
            )
        except KeyError as exc:
            raise Bogus(f"{name} {rdtype.name} has no RRSIG") from exc
        signers = {sig.signer for sig in sigs}
        if len(signers) != 1:
            raise Bogus(f"{name} {rdtype.name} is signed by {len(signers)} zones")
        signer = signers.pop()
        if not name.is_subdomain(signer):
            raise Bogus(f"{name} signed by {signer}, which is not above it")
        if rdtype == dns.rdatatype.DS and signer == name:
            raise Bogus(f"the DS of {name} is signed by its own zone")
        keys = self._zone_keys(signer, deadline, zone_keys, depth)
        try:
            dns.dnssec.validate(rrset, sigs, {signer: keys})
        except dns.dnssec.ValidationFailure as exc:
            raise Bogus(f"{name} {rdtype.name}: {exc}") from exc
        return rrset

    def _zone_keys(
        self,
        zone: dns.name.Name,
        deadline: float,
        zone_keys: dict[dns.name.Name, dns.rrset.RRset],
        depth: int,
    ) -> dns.rrset.RRset:
        """The zone's DNSKEY set, authenticated by an anchor or the parent's DS."""
        if zone in zone_keys:
            return zone_keys[zone]
        if depth > _MAX_DEPTH:
            raise Bogus(f"more than {_MAX_DEPTH} zone cuts below the trust anchor")
        if not any(zone.is_subdomain(anchor) for anchor in self.anchors.zones()):
            raise Bogus(f"no trust anchor at or above {zone}")
        response = self._ask(zone, dns.rdatatype.DNSKEY, deadline)
        try:
            dnskeys = response.find_rrset(
                response.answer, zone, dns.rdataclass.IN, dns.rdatatype.DNSKEY
            )
            sigs = response.find_rrset(
                response.answer, zone, dns.rdataclass.IN, dns.rdatatype.RRSIG, dns.rdatatype.DNSKEY
            )
        except KeyError as exc:
            raise Bogus(f"{zone} has no signed DNSKEY set") from exc
        if zone in self.anchors.dnskey:
            trusted = [k for k in dnskeys if k in self.anchors.dnskey[zone]]
            ds_set: Sequence[dns.rdtypes.ANY.DS.DS] = ()
        elif zone in self.anchors.ds:
            trusted = []
            ds_set = self.anchors.ds[zone]
        else:
            parent_ds = self._validated(zone, dns.rdatatype.DS, deadline, zone_keys, depth + 1)
            if parent_ds is None:
                raise Bogus(f"{zone} has no DS in its parent (unsigned delegation)")
            trusted = []
            ds_set = list(parent_ds)
        for ds in ds_set:
            digest = _DS_DIGESTS.get(int(ds.digest_type))
            if digest is None:
                continue
            for key in dnskeys:
                if dns.dnssec.make_ds(zone, key, digest) == ds:
                    trusted.append(key)
        if not trusted:
            raise Bogus(f"no DNSKEY of {zone} matches its trust anchor or DS")
        anchor_set = dns.rrset.from_rdata_list(zone, dnskeys.ttl, trusted)
        try:
            dns.dnssec.validate(dnskeys, sigs, {zone: anchor_set})
        except dns.dnssec.ValidationFailure as exc:
            raise Bogus(f"{zone} DNSKEY set: {exc}") from exc
        zone_keys[zone] = dnskeys
        return dnskeys
