"""WKD lookups against a real HTTPS server on loopback (trustme CA): found keys are validated as
imported keys are, stored, trusted and cached; misses are remembered; bad keys, untrusted TLS
and silent servers are refused without being cached as "no key"."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from gateway.config import PgpSettings
from gateway.crypto.methods import PgpMethod
from gateway.crypto.pgp import HarvestedKey, PgpKeyring
from gateway.keys.lookup.cache import LookupCache
from gateway.keys.lookup.service import KeyLookup
from gateway.keys.lookup.wkd import WkdSource, zbase32
from tests.support.gateway import short_tempdir
from tests.support.pgp import gen_key, gpg
from tests.support.wkd import WkdServer, running_wkd, silent_tcp

HOSTS = ("openpgpkey.clinic.example", "clinic.example", "direct.example")


@dataclass
class Partner:
    """The recipients' own keyring and their fingerprints by name."""

    home: Path
    fprs: dict[str, str]

    def export(self, name: str) -> bytes:
        return gpg(self.home, "--export", self.fprs[name])


@pytest.fixture(scope="module")
def partner() -> Iterator[Partner]:
    """Recipient keys made once: usable, expired, one whose user ID names another address."""
    home = Path(short_tempdir())
    fprs = {
        "ann": gen_key(home, "ann@clinic.example"),
        "ben": gen_key(home, "ben@clinic.example", expire="1d", at="20200101T000000"),
        "other": gen_key(home, "someone-else@clinic.example"),
        "dora": gen_key(home, "dora@direct.example"),
        "eve": gen_key(home, "eve@clinic.example"),
    }
    yield Partner(home, fprs)
    with PgpKeyring(home):
        pass  # closing stops the agent


@pytest.fixture
def wkd(tmp_path: Path) -> Iterator[WkdServer]:
    """A WKD server for the test domains."""
    with running_wkd(tmp_path, HOSTS) as server:
        yield server


@pytest.fixture
def ring() -> Iterator[PgpKeyring]:
    """The gateway's empty keyring."""
    with PgpKeyring(Path(short_tempdir())) as keyring:
        yield keyring


def _source(server: WkdServer, ca_file: Path | None = None) -> WkdSource:
    resolve = {h: "127.0.0.1" for h in HOSTS}
    resolve["openpgpkey.direct.example"] = "127.0.0.2"  # nothing listens there: refused
    return WkdSource(ca_file=ca_file or server.ca_file, port=server.port, resolve=resolve)


def _lookup(source: WkdSource, ring: PgpKeyring, tmp_path: Path, **kw: float) -> KeyLookup:
    return KeyLookup([source], LookupCache(tmp_path / "lookup.json"), keyring=ring, **kw)


def test_zbase32_matches_the_drafts_example() -> None:
    """The WKD draft's example: Joe.Doe's local part hashes to iy9q119eutrkn8s1mk4r39qejnbu3n5q."""
    assert zbase32(hashlib.sha1(b"joe.doe").digest()) == "iy9q119eutrkn8s1mk4r39qejnbu3n5q"


def test_found_key_is_validated_stored_trusted_and_not_fetched_again(
    wkd: WkdServer, partner: Partner, ring: PgpKeyring, tmp_path: Path
) -> None:
    """A key in the advanced WKD is used after checks, and the next message needs no request."""
    wkd.publish("ann@clinic.example", partner.export("ann"))
    lookup = _lookup(_source(wkd), ring, tmp_path)
    method = PgpMethod(PgpSettings(home=ring.home), lookup=lookup, keyring=ring)
    assert not ring.lookup("ann@clinic.example").ok
    ok, why = method.usable("ann@clinic.example")
    assert ok, why
    assert ring.lookup("ann@clinic.example").fingerprint == partner.fprs["ann"]
    assert wkd.hits_for("ann@clinic.example") == 1
    assert wkd.hits[0][0] == "openpgpkey.clinic.example"
    assert "ann@" not in (tmp_path / "lookup.json").read_text()
    record = lookup.cache.found("pgp", "ann@clinic.example")
    assert record is not None and record.source == "wkd"
    assert record.fingerprint == partner.fprs["ann"]
    assert "openpgpkey.clinic.example/.well-known/openpgpkey/clinic.example/hu/" in record.detail
    assert method.usable("ann@clinic.example")[0]
    assert wkd.hits_for("ann@clinic.example") == 1


def test_keys_list_names_the_lookup_that_bound_a_key(
    wkd: WkdServer, partner: Partner, ring: PgpKeyring, tmp_path: Path
) -> None:
    """A key a WKD lookup stored shows as lookup:wkd in `keys list`, an officer's as imported."""
    wkd.publish("ann@clinic.example", partner.export("ann"))
    assert _lookup(_source(wkd), ring, tmp_path).lookup("ann@clinic.example", "pgp").found
    ring.import_keys(partner.export("dora"))
    ring.trust(partner.fprs["dora"], "dora@direct.example", officer=True)
    sources = {row["address"]: row["source"] for row in ring.list_keys()}
    assert sources == {"ann@clinic.example": "lookup:wkd", "dora@direct.example": "imported"}


def test_direct_method_when_the_openpgpkey_host_is_missing(
    wkd: WkdServer, partner: Partner, ring: PgpKeyring, tmp_path: Path
) -> None:
    """With no openpgpkey.DOMAIN server, the direct method on DOMAIN itself is asked."""
    wkd.publish("dora@direct.example", partner.export("dora"), method="direct")
    report = _lookup(_source(wkd), ring, tmp_path).lookup("dora@direct.example", "pgp")
    assert report.found
    assert report.used == (partner.fprs["dora"],)
    assert ring.lookup("dora@direct.example").ok


def test_nothing_published_is_remembered_until_the_ttl_runs_out(
    wkd: WkdServer, ring: PgpKeyring, tmp_path: Path
) -> None:
    """A 404 is a miss: the negative cache answers the next lookup without a request."""
    lookup = _lookup(_source(wkd), ring, tmp_path)
    first = lookup.lookup("nobody@clinic.example", "pgp")
    assert not first.found
    assert [a.status for a in first.answers] == ["not-found"]
    asked = wkd.hits_for("nobody@clinic.example")
    assert asked == 1
    second = lookup.lookup("nobody@clinic.example", "pgp")
    assert second.cached_miss is not None and not second.found
    assert "nobody" not in (tmp_path / "lookup.json").read_text()  # recipients only hashed
    assert wkd.hits_for("nobody@clinic.example") == asked
    no_ttl = _lookup(_source(wkd), ring, tmp_path / "other", negative_ttl=0)
    no_ttl.lookup("nobody@clinic.example", "pgp")
    no_ttl.lookup("nobody@clinic.example", "pgp")
    assert wkd.hits_for("nobody@clinic.example") == asked + 2


@pytest.mark.parametrize(
    ("address", "name", "reason"),
    [
        ("ben@clinic.example", "ben", "expired"),
        ("eve@clinic.example", "other", "no user ID with the address"),
    ],
)
def test_bad_key_is_refused_and_never_used(
    wkd: WkdServer,
    partner: Partner,
    ring: PgpKeyring,
    tmp_path: Path,
    address: str,
    name: str,
    reason: str,
) -> None:
    """An expired key, or one whose user ID names someone else, is refused and not trusted."""
    wkd.publish(address, partner.export(name))
    report = _lookup(_source(wkd), ring, tmp_path).lookup(address, "pgp")
    assert not report.found
    [answer] = report.answers
    [judged] = answer.candidates
    assert not judged.used
    assert reason in judged.reason
    assert ring.trusted_for(address) == []
    assert not ring.lookup(address).ok


def test_untrusted_tls_certificate_is_a_failure_not_a_miss(
    wkd: WkdServer, partner: Partner, ring: PgpKeyring, tmp_path: Path
) -> None:
    """A server whose certificate does not verify gives no key and no negative cache entry."""
    wkd.publish("ann@clinic.example", partner.export("ann"))
    other_ca = tmp_path / "other"
    other_ca.mkdir()
    with running_wkd(other_ca, HOSTS) as stranger:
        source = _source(wkd, ca_file=stranger.ca_file)
    lookup = _lookup(source, ring, tmp_path)
    report = lookup.lookup("ann@clinic.example", "pgp")
    assert not report.found
    assert report.answers[0].status == "failed"
    assert "TLS" in report.answers[0].reason
    assert lookup.cache.missing("pgp", "ann@clinic.example") is None
    assert not ring.lookup("ann@clinic.example").ok


def test_silent_server_times_out_within_the_budget(ring: PgpKeyring, tmp_path: Path) -> None:
    """A server that never answers ends as a timeout, which is not cached as "no key"."""
    with silent_tcp() as port:
        source = WkdSource(port=port, resolve={"openpgpkey.clinic.example": "127.0.0.1"})
        lookup = _lookup(source, ring, tmp_path, budget=0.5)
        report = lookup.lookup("ann@clinic.example", "pgp")
    assert not report.found
    assert report.answers[0].status == "timeout"
    assert lookup.cache.missing("pgp", "ann@clinic.example") is None


def test_key_an_officer_rejected_is_not_taken_from_wkd(
    wkd: WkdServer, partner: Partner, ring: PgpKeyring, tmp_path: Path
) -> None:
    """A harvested key the officer rejected is refused when the WKD publishes it too."""
    fpr = partner.fprs["ann"]
    wkd.publish("ann@clinic.example", partner.export("ann"))
    ring.record_harvest(
        HarvestedKey(fpr, ("ann@clinic.example",), "rejected", "autocrypt", "m", "2026-01-01")
    )
    report = _lookup(_source(wkd), ring, tmp_path).lookup("ann@clinic.example", "pgp")
    assert not report.found
    assert "rejected by an officer" in report.answers[0].candidates[0].reason
    assert ring.trusted_for("ann@clinic.example") == []
