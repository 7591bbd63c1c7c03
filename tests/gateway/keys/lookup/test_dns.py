"""DANE OPENPGPKEY and SMIMEA and DNS CERT lookups against a real DNSSEC-signed authoritative
server on loopback, validated from the parent zone's key as trust anchor through the child's DS:
found material is validated and stored; bogus answers (changed data, missing RRSIG) and a
wrong-EKU certificate are refused; a server that never answers ends as a timeout."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from gateway.crypto.pgp import PgpKeyring
from gateway.keys.lookup.base import LookupFailed, LookupTimeout
from gateway.keys.lookup.cache import LookupCache
from gateway.keys.lookup.certrec import DnsCertSource, cert_names
from gateway.keys.lookup.dane import DaneOpenpgpkeySource, DaneSmimeaSource, dane_name
from gateway.keys.lookup.dnssec import TrustAnchors, ValidatingClient
from gateway.keys.lookup.service import KeyLookup, parse_certificates
from gateway.keys.store import CertStore, fingerprint
from tests.support.dns import SignedZones, running_dns, silent_dns
from tests.support.gateway import short_tempdir
from tests.support.pgp import gen_key, gpg
from tests.support.pki import Pki

CHILD = "direct.example."
DOMAIN = "direct.example"


@dataclass
class World:
    """The signed zones' server, the PKI behind the certificates and the OpenPGP fingerprints."""

    port: int
    zones: SignedZones
    pki: Pki
    fprs: dict[str, str]


def _der(pki: Pki, address: str, stem: str, **kw: object) -> bytes:
    issued = pki.issue(address, stem=stem, **kw)  # type: ignore[arg-type]
    return issued.cert.public_bytes(serialization.Encoding.DER)


def _smimea(der: bytes) -> dns.rdata.Rdata:
    return dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.SMIMEA, f"3 0 0 {der.hex()}")


def _cert(der: bytes) -> dns.rdata.Rdata:
    return dns.rdata.from_wire(
        dns.rdataclass.IN, dns.rdatatype.CERT, b"\x00\x01\x00\x00\x00" + der, 0, 5 + len(der)
    )


def _openpgpkey(key: bytes) -> dns.rdata.Rdata:
    return dns.rdata.from_wire(dns.rdataclass.IN, dns.rdatatype.OPENPGPKEY, key, 0, len(key))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Zones holding good and bad records for several addresses, signed, some then spoiled."""
    pki = Pki(tmp_path_factory.mktemp("pki"))
    home = Path(short_tempdir())
    fprs = {
        "pat": gen_key(home, f"pat@{DOMAIN}"),
        "quinn": gen_key(home, f"quinn@{DOMAIN}"),
        "ross": gen_key(home, f"ross@{DOMAIN}"),
    }
    zones = SignedZones(dns.name.from_text(CHILD))
    for name in fprs:
        key = gpg(home, "--export", fprs[name])
        zones.add_rdata(dane_name(f"{name}@{DOMAIN}", "_openpgpkey"), _openpgpkey(key))
    zones.add_rdata(
        dane_name(f"sam@{DOMAIN}", "_smimecert"), _smimea(_der(pki, f"sam@{DOMAIN}", "sam"))
    )
    wrong_eku = _der(pki, f"tess@{DOMAIN}", "tess", eku=[ExtendedKeyUsageOID.SERVER_AUTH])
    zones.add_rdata(dane_name(f"tess@{DOMAIN}", "_smimecert"), _smimea(wrong_eku))
    zones.add_rdata(
        cert_names(f"jane.doe@{DOMAIN}")[0], _cert(_der(pki, f"jane.doe@{DOMAIN}", "jane"))
    )
    zones.sign()
    zones.spoil(str(dane_name(f"quinn@{DOMAIN}", "_openpgpkey")), "OPENPGPKEY", how="change")
    zones.spoil(str(dane_name(f"ross@{DOMAIN}", "_openpgpkey")), "OPENPGPKEY", how="unsign")
    with running_dns(zones) as port:
        yield World(port, zones, pki, fprs)
    with PgpKeyring(home):
        pass  # closing stops the agent


def _client(world: World, anchor: str | None = None) -> ValidatingClient:
    anchors = TrustAnchors.parse([anchor or world.zones.anchor()])
    return ValidatingClient(anchors, [("127.0.0.1", world.port)])


@pytest.fixture
def ring() -> Iterator[PgpKeyring]:
    """The gateway's empty keyring."""
    with PgpKeyring(Path(short_tempdir())) as keyring:
        yield keyring


def _store(world: World, tmp_path: Path) -> CertStore:
    """A store trusting the test root, with the issuing CA known (DNS records hold the leaf)."""
    store = CertStore(tmp_path / "certs", [world.pki.root.cert_path])
    store.import_file(world.pki.intermediate.cert_path)
    return store


def test_openpgpkey_with_valid_dnssec_is_stored_and_trusted(
    world: World, ring: PgpKeyring, tmp_path: Path
) -> None:
    """A signed OPENPGPKEY record's key is validated, imported and bound to the address."""
    source = DaneOpenpgpkeySource(_client(world))
    lookup = KeyLookup([source], LookupCache(tmp_path / "c.json"), keyring=ring)
    report = lookup.lookup(f"pat@{DOMAIN}", "pgp")
    assert report.used == (world.fprs["pat"],), report.answers
    assert report.used == (world.fprs["pat"],)
    assert ring.lookup(f"pat@{DOMAIN}").fingerprint == world.fprs["pat"]
    record = lookup.cache.found("pgp", f"pat@{DOMAIN}")
    assert record is not None and record.source == "dane-openpgpkey"
    assert "._openpgpkey.direct.example" in record.detail


@pytest.mark.parametrize(("name", "why"), [("quinn", "DNSSEC bogus"), ("ross", "no RRSIG")])
def test_bogus_openpgpkey_is_refused(
    world: World, ring: PgpKeyring, tmp_path: Path, name: str, why: str
) -> None:
    """Data changed under its signature, or served without one, is a failure, never a key."""
    address = f"{name}@{DOMAIN}"
    with pytest.raises(LookupFailed, match=why):
        DaneOpenpgpkeySource(_client(world)).find(address, timeout=5)
    lookup = KeyLookup(
        [DaneOpenpgpkeySource(_client(world))], LookupCache(tmp_path / "c.json"), keyring=ring
    )
    report = lookup.lookup(address, "pgp")
    assert not report.found
    assert report.answers[0].status == "failed"
    assert lookup.cache.missing("pgp", address) is None
    assert not ring.lookup(address).ok


def test_wrong_trust_anchor_makes_every_answer_bogus(world: World) -> None:
    """Validated against a key that did not sign the parent zone, even a good record is refused."""
    other = SignedZones(dns.name.from_text("elsewhere.example."))
    with pytest.raises(LookupFailed, match="DNSSEC bogus"):
        DaneOpenpgpkeySource(_client(world, other.anchor())).find(f"pat@{DOMAIN}", timeout=5)


def test_smimea_certificate_is_validated_and_stored(world: World, tmp_path: Path) -> None:
    """An SMIMEA (DANE-EE, full certificate) chaining to the anchors is imported, marked."""
    store = _store(world, tmp_path)
    lookup = KeyLookup(
        [DaneSmimeaSource(_client(world))], LookupCache(tmp_path / "c.json"), store=store
    )
    report = lookup.lookup(f"sam@{DOMAIN}", "smime")
    assert report.found, report.answers
    found = store.lookup(f"sam@{DOMAIN}")
    assert found.ok
    assert found.entry is not None and found.entry.source == "lookup:dane-smimea"


def test_smimea_with_wrong_eku_is_refused(world: World, tmp_path: Path) -> None:
    """A certificate for TLS servers, not e-mail, is refused as an import would refuse it."""
    store = _store(world, tmp_path)
    lookup = KeyLookup(
        [DaneSmimeaSource(_client(world))], LookupCache(tmp_path / "c.json"), store=store
    )
    report = lookup.lookup(f"tess@{DOMAIN}", "smime")
    assert not report.found
    [judged] = report.answers[0].candidates
    assert "wrong-usage" in judged.reason
    assert store.lookup(f"tess@{DOMAIN}").problem == "not-found"
    assert lookup.cache.missing("smime", f"tess@{DOMAIN}") is not None


def test_dns_cert_record_found_at_the_address_bound_name(world: World, tmp_path: Path) -> None:
    """Direct's CERT record (PKIX) for jane.doe@ is found at jane\\.doe.direct.example."""
    assert cert_names(f"jane.doe@{DOMAIN}")[0].to_text() == "jane\\.doe.direct.example."
    store = _store(world, tmp_path)
    lookup = KeyLookup(
        [DnsCertSource(_client(world))], LookupCache(tmp_path / "c.json"), store=store
    )
    report = lookup.lookup(f"jane.doe@{DOMAIN}", "smime")
    assert report.found
    found = store.lookup(f"jane.doe@{DOMAIN}")
    assert found.entry is not None and found.entry.source == "lookup:dns-cert"


def test_no_record_is_a_miss(world: World, tmp_path: Path) -> None:
    """A name that does not exist is "nothing published", and remembered as a miss."""
    store = _store(world, tmp_path)
    lookup = KeyLookup(
        [DaneSmimeaSource(_client(world)), DnsCertSource(_client(world))],
        LookupCache(tmp_path / "c.json"),
        store=store,
    )
    report = lookup.lookup(f"nobody@{DOMAIN}", "smime")
    assert [a.status for a in report.answers] == ["not-found", "not-found"]
    assert lookup.cache.missing("smime", f"nobody@{DOMAIN}") is not None


def test_silent_server_times_out_and_the_budget_holds(world: World, tmp_path: Path) -> None:
    """A resolver that never answers: the source times out, the lookup ends as a timeout."""
    with silent_dns() as port:
        client = ValidatingClient(TrustAnchors.parse([world.zones.anchor()]), [("127.0.0.1", port)])
        with pytest.raises(LookupTimeout):
            DnsCertSource(client).find(f"jane.doe@{DOMAIN}", timeout=0.3)
        lookup = KeyLookup(
            [DnsCertSource(client)],
            LookupCache(tmp_path / "c.json"),
            store=_store(world, tmp_path),
            budget=0.3,
            timeouts={"dns-cert": 30.0},
        )
        report = lookup.lookup(f"jane.doe@{DOMAIN}", "smime")
    assert report.answers[0].status == "timeout"
    assert not report.found
    assert lookup.cache.missing("smime", f"jane.doe@{DOMAIN}") is None


def test_certificate_an_officer_rejected_is_not_taken_from_dns(
    world: World, tmp_path: Path
) -> None:
    """A harvested certificate the officer rejected stays refused when SMIMEA publishes it."""
    store = _store(world, tmp_path)
    lookup = KeyLookup(
        [DaneSmimeaSource(_client(world))], LookupCache(tmp_path / "c.json"), store=store
    )
    [candidate] = DaneSmimeaSource(_client(world)).find(f"sam@{DOMAIN}", timeout=5)
    [cert] = parse_certificates(candidate.data)
    store.import_certificates([cert], source="harvested", state="pending", message="m")
    store.decide(fingerprint(cert), approve=False)
    report = lookup.lookup(f"sam@{DOMAIN}", "smime")
    assert not report.found
    assert "rejected by an officer" in report.answers[0].candidates[0].reason
    assert not store.lookup(f"sam@{DOMAIN}").ok
