"""A throw-away authoritative DNS server on loopback (dnspython), serving DNSSEC-signed zones:
a parent zone `example.` (the tests' trust anchor) delegating with a DS record to a child zone,
both signed with dns.dnssec.sign_zone. Records can be added before signing, and a signed record
can then be spoiled (data changed under its RRSIG, or the RRSIG removed) for the bogus tests.
UDP answers too large for the client's buffer are truncated, so the client retries over TCP."""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import dns.dnssec
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone
from cryptography.hazmat.primitives.asymmetric import ec

PARENT = dns.name.from_text("example.")


def _soa_zone(origin: dns.name.Name) -> dns.zone.Zone:
    text = (
        f"$ORIGIN {origin}\n$TTL 300\n"
        "@ SOA ns1.example. hostmaster.example. 1 7200 3600 1209600 300\n"
        "@ NS ns1.example.\n"
    )
    return dns.zone.from_text(text, origin=origin, relativize=False)


@dataclass
class SignedZones:
    """The parent zone and one child zone, each with its key; sign() signs both."""

    child: dns.name.Name
    zones: dict[dns.name.Name, dns.zone.Zone] = field(default_factory=dict)
    keys: dict[dns.name.Name, tuple[ec.EllipticCurvePrivateKey, dns.rdata.Rdata]] = field(
        default_factory=dict
    )

    def __post_init__(self) -> None:
        for origin in (PARENT, self.child):
            self.zones[origin] = _soa_zone(origin)
            private = ec.generate_private_key(ec.SECP256R1())
            dnskey = dns.dnssec.make_dnskey(
                private.public_key(), dns.dnssec.Algorithm.ECDSAP256SHA256, flags=257
            )
            self.keys[origin] = (private, dnskey)

    def zone_of(self, name: dns.name.Name) -> dns.zone.Zone:
        """The zone `name` belongs to (the child when it is at or below it)."""
        return self.zones[self.child if name.is_subdomain(self.child) else PARENT]

    def add(self, name: str | dns.name.Name, rdtype: str, text: str, ttl: int = 300) -> None:
        """Add one record (presentation format) before signing."""
        owner = dns.name.from_text(name) if isinstance(name, str) else name
        rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rdtype), text)
        zone = self.zone_of(owner)
        with zone.writer() as txn:
            txn.add(owner, ttl, rdata)

    def add_rdata(self, owner: dns.name.Name, rdata: dns.rdata.Rdata, ttl: int = 300) -> None:
        """Add one record built in code before signing."""
        with self.zone_of(owner).writer() as txn:
            txn.add(owner, ttl, rdata)

    def sign(self) -> None:
        """Put the child's DS in the parent, then sign both zones."""
        child_key = self.keys[self.child][1]
        ds = dns.dnssec.make_ds(self.child, child_key, "SHA256")
        with self.zones[PARENT].writer() as txn:
            txn.add(self.child, 300, ds)
        for origin, zone in self.zones.items():
            private, dnskey = self.keys[origin]
            dns.dnssec.sign_zone(zone, keys=[(private, dnskey)], lifetime=86400)  # type: ignore[list-item]

    def anchor(self) -> str:
        """The parent's key as a trust anchor line ("example. DNSKEY ...")."""
        return f"{PARENT} DNSKEY {self.keys[PARENT][1].to_text()}"

    def spoil(self, name: str, rdtype: str, *, how: str) -> None:
        """After signing: "change" the record's data under its RRSIG, or "unsign" it."""
        owner = dns.name.from_text(name)
        kind = dns.rdatatype.from_text(rdtype)
        zone = self.zone_of(owner)
        with zone.writer() as txn:
            if how == "unsign":
                txn.delete(owner, dns.rdatatype.RRSIG, kind)
                return
            old = txn.get(owner, kind)
            assert old is not None
            wire = bytearray(next(iter(old)).to_digestable())
            wire[-1] ^= 0x01
            forged = dns.rdata.from_wire(dns.rdataclass.IN, kind, bytes(wire), 0, len(wire))
            txn.replace(owner, old.ttl, forged)


def answer(zones: SignedZones, wire: bytes, *, udp: bool) -> bytes:
    """The authoritative answer to one query; over UDP truncated (TC) when it does not fit."""
    query = dns.message.from_wire(wire)
    response = dns.message.make_response(query)
    response.flags |= dns.flags.AA
    [question] = query.question
    name, rdtype = question.name, question.rdtype
    zone = zones.zones[PARENT] if rdtype == dns.rdatatype.DS else zones.zone_of(name)
    node = zone.get_node(name)
    if node is None:
        response.set_rcode(dns.rcode.NXDOMAIN)
    else:
        rdataset = node.get_rdataset(dns.rdataclass.IN, rdtype)
        if rdataset is not None:
            response.answer.append(dns.rrset.from_rdata_list(name, rdataset.ttl, list(rdataset)))
            sigs = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.RRSIG, rdtype)
            if sigs is not None and query.ednsflags & dns.flags.DO:
                response.answer.append(dns.rrset.from_rdata_list(name, sigs.ttl, list(sigs)))
    limit = max(query.payload, 512) if udp and query.edns >= 0 else 512 if udp else 65535
    try:
        return response.to_wire(max_size=limit)
    except dns.exception.TooBig:
        response.answer.clear()
        response.flags |= dns.flags.TC
        return response.to_wire()


@contextmanager
def running_dns(zones: SignedZones) -> Iterator[int]:
    """The zones served over UDP and TCP on one free 127.0.0.1 port; yields the port."""

    class Udp(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            data, sock = self.request
            sock.sendto(answer(zones, data, udp=True), self.client_address)

    class Tcp(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            head = self.request.recv(2)
            if len(head) < 2:
                return
            (size,) = struct.unpack("!H", head)
            data = b""
            while len(data) < size:
                chunk = self.request.recv(size - len(data))
                if not chunk:
                    return
                data += chunk
            reply = answer(zones, data, udp=False)
            self.request.sendall(struct.pack("!H", len(reply)) + reply)

    tcp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Tcp)
    port = tcp.server_address[1]
    udp = socketserver.ThreadingUDPServer(("127.0.0.1", port), Udp)
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (tcp, udp)]
    for t in threads:
        t.start()
    try:
        yield port
    finally:
        for s in (tcp, udp):
            s.shutdown()
            s.server_close()


@contextmanager
def silent_dns() -> Iterator[int]:
    """A UDP and TCP port on 127.0.0.1 that take queries and never answer; yields the port."""
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(16)
    port = tcp.getsockname()[1]
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", port))
    try:
        yield port
    finally:
        tcp.close()
        udp.close()
