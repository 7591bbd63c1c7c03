"""OpenPGP keys harvested from Autocrypt headers and attached keys, judged like imported keys, with
real gpg: a forged From, an expired or weak key, a secret key and an officer's key are never
taken; a pending key does not encrypt until approved, and then real gpg decrypts."""

from __future__ import annotations

import base64
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.crypto.pgp import HARVEST_DB_NAME, PgpKeyRefused, PgpKeyring
from gateway.keys.harvest import (
    HarvestDecisionError,
    PgpHarvester,
    carries_key_material,
    decide,
    pending_keys,
)
from tests.support.pgp import gen_key, gpg

PARTNER = "claims@billing-partner.example"
OTHER = "mallory@elsewhere.example"


def _home() -> Path:
    return Path(tempfile.mkdtemp(prefix="pg", dir="/tmp"))


def _drop(*homes: Path) -> None:
    for home in homes:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def partner() -> Iterator[dict]:
    """The partner's own keyring: a good key, an expired one, a key for another address, an RSA-1024
    key, and an exported secret key, all for PARTNER unless said otherwise."""
    home = _home()
    good = gen_key(home, PARTNER)
    expired = gen_key(home, PARTNER, expire="1d", at="20200101T000000")
    other = gen_key(home, OTHER)
    weak_params = (
        "%no-protection\nKey-Type: RSA\nKey-Length: 1024\nKey-Usage: sign,encrypt\n"
        f"Name-Real: Weak\nName-Email: {PARTNER}\nExpire-Date: 0\n%commit\n"
    )
    out = gpg(
        home,
        "--allow-weak-key-signatures",
        "--status-fd",
        "1",
        "--gen-key",
        data=weak_params.encode(),
    )
    weak = next(ln for ln in out.decode().splitlines() if "KEY_CREATED" in ln).split()[-1]
    yield {
        "home": home,
        "good": good,
        "expired": expired,
        "other": other,
        "weak": weak,
        "export": lambda fpr: gpg(home, "--export", fpr),
        "secret": gpg(home, "--export-secret-keys", good),
    }
    _drop(home)


@pytest.fixture
def ring() -> Iterator[PgpKeyring]:
    """An empty gateway keyring."""
    home = _home()
    with PgpKeyring(home) as keyring:
        yield keyring
    _drop(home)


def autocrypt_mail(
    sender: str, keydata: bytes, *, addr: str | None = None, extra: str = ""
) -> bytes:
    """A plain message from `sender` with an Autocrypt header (keydata folded as clients do)."""
    b64 = base64.b64encode(keydata).decode()
    folded = "\r\n ".join(b64[i : i + 72] for i in range(0, len(b64), 72))
    return (
        f"From: Claims Desk <{sender}>\r\nTo: hpark@practice.example\r\n"
        f"Message-ID: <ac-{len(b64)}@billing-partner.example>\r\nSubject: invoice\r\n"
        f"Autocrypt: addr={addr or sender}; prefer-encrypt=mutual;{extra} keydata=\r\n {folded}\r\n"
        "\r\nSee attached.\r\n"
    ).encode()


def attached_key_mail(sender: str, keydata: bytes) -> bytes:
    """A multipart message from `sender` with the key as an application/pgp-keys attachment."""
    armored = base64.encodebytes(keydata).decode().replace("\n", "\r\n")
    return (
        f"From: {sender}\r\nTo: hpark@practice.example\r\nSubject: my key\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain\r\n\r\nMy key is attached.\r\n"
        '--b1\r\nContent-Type: application/pgp-keys; name="key.gpg"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
        f"{armored}--b1--\r\n"
    ).encode()


def test_autocrypt_key_pending_until_approved_then_gpg_decrypts(
    ring: PgpKeyring, partner: dict
) -> None:
    """An Autocrypt key is taken as pending, does not encrypt, and after approval real gpg
    (the partner's own) decrypts what the gateway encrypted to it."""
    mail = autocrypt_mail(PARTNER, partner["export"](partner["good"]))
    assert carries_key_material(mail)
    results = PgpHarvester(ring, "approve").harvest(mail, message="hash-of-id")
    assert [(r.taken, r.reason, r.fingerprint) for r in results] == [
        (True, "pending", partner["good"])
    ]
    assert not ring.lookup(PARTNER).ok
    assert ring.lookup(PARTNER).problem == "not-found"  # a miss: lookups may still find one
    assert "awaits approval" in ring.lookup(PARTNER).detail
    with pytest.raises(Exception, match="refused"):
        ring.encrypt_pgp_mime(b"Subject: x\r\n\r\nsecret\r\n", [partner["good"]])
    [pending] = pending_keys(ring)
    assert (pending.addresses, pending.origin, pending.message) == (
        (PARTNER,),
        "autocrypt",
        "hash-of-id",
    )
    assert pending.prefer_encrypt == "mutual"

    decide(ring, partner["good"], approve=True)
    assert ring.lookup(PARTNER).fingerprint == partner["good"]
    out = ring.encrypt_pgp_mime(
        b"From: hpark@practice.example\r\nSubject: x\r\n\r\nthe lab results\r\n", [partner["good"]]
    )
    armored = out[out.index(b"-----BEGIN PGP MESSAGE-----") :]
    assert b"the lab results" in gpg(partner["home"], "--decrypt", data=armored)
    rows = [r for r in ring.list_keys() if r["address"] == PARTNER]
    assert [(r["status"], r["source"]) for r in rows] == [("ok", "harvested")]


def test_auto_mode_uses_the_key_at_once(ring: PgpKeyring, partner: dict) -> None:
    """With pgp.harvest: auto the harvested key encrypts without an officer's step."""
    mail = autocrypt_mail(PARTNER, partner["export"](partner["good"]))
    [result] = PgpHarvester(ring, "auto").harvest(mail)
    assert (result.taken, result.reason) == (True, "approved")
    assert ring.lookup(PARTNER).fingerprint == partner["good"]


def test_off_mode_takes_nothing(ring: PgpKeyring, partner: dict) -> None:
    """With pgp.harvest: off nothing is imported."""
    mail = autocrypt_mail(PARTNER, partner["export"](partner["good"]))
    assert PgpHarvester(ring, "off").harvest(mail) == []
    assert ring.keys() == []


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("forged-from", "autocrypt addr is not the From address"),
        ("key-for-other-address", "no user ID names the From address"),
        ("expired", "key expired"),
        ("weak", "weak key"),
        ("secret", "holds secret key material"),
        ("garbage", "not an OpenPGP key"),
        ("critical-attribute", "unknown critical attribute"),
    ],
)
def test_refused_offers_leave_the_keyring_empty(
    ring: PgpKeyring, partner: dict, case: str, reason: str
) -> None:
    """Each bad offer is refused with its reason and nothing enters the keyring."""
    export = partner["export"]
    mail = {
        # The From line names PARTNER, the header claims the key is someone else's.
        "forged-from": lambda: autocrypt_mail(PARTNER, export(partner["other"]), addr=OTHER),
        # The header names the From address, but the key was made for another one.
        "key-for-other-address": lambda: autocrypt_mail(PARTNER, export(partner["other"])),
        "expired": lambda: autocrypt_mail(PARTNER, export(partner["expired"])),
        "weak": lambda: autocrypt_mail(PARTNER, export(partner["weak"])),
        "secret": lambda: autocrypt_mail(PARTNER, partner["secret"]),
        "garbage": lambda: autocrypt_mail(PARTNER, b"\x99\x01\x0dnot a key at all"),
        "critical-attribute": lambda: autocrypt_mail(
            PARTNER, export(partner["good"]), extra=" future=1;"
        ),
    }[case]()
    results = PgpHarvester(ring, "auto").harvest(mail)
    assert results and not any(r.taken for r in results)
    assert any(reason in r.reason for r in results), results
    assert ring.keys() == []
    assert not (ring.home / HARVEST_DB_NAME).exists()


def test_two_from_addresses_teach_nothing(ring: PgpKeyring, partner: dict) -> None:
    """A message with two From addresses has no single sender a key could belong to."""
    mail = autocrypt_mail(PARTNER, partner["export"](partner["good"])).replace(
        b"From: Claims Desk <" + PARTNER.encode() + b">",
        b"From: Claims Desk <" + PARTNER.encode() + b">, " + OTHER.encode(),
    )
    [result] = PgpHarvester(ring, "auto").harvest(mail)
    assert not result.taken and "From" in result.reason
    assert ring.keys() == []


def test_attached_key_is_harvested(ring: PgpKeyring, partner: dict) -> None:
    """A public key attached as application/pgp-keys is taken for the From address."""
    mail = attached_key_mail(PARTNER, partner["export"](partner["good"]))
    assert carries_key_material(mail)
    [result] = PgpHarvester(ring, "approve").harvest(mail)
    assert (result.taken, result.origin, result.fingerprint) == (
        True,
        "attachment",
        partner["good"],
    )


def test_harvested_key_never_overrides_an_officer_key(ring: PgpKeyring, partner: dict) -> None:
    """An officer trusted one key for the address: a harvested other key is not taken, not even in
    auto mode, and the officer's key keeps encrypting."""
    officer_home = _home()
    try:
        officer_key = gen_key(officer_home, PARTNER)
        ring.import_keys(gpg(officer_home, "--export", officer_key))
        ring.trust(officer_key, PARTNER)
        mail = autocrypt_mail(PARTNER, partner["export"](partner["good"]))
        [result] = PgpHarvester(ring, "auto").harvest(mail)
        assert not result.taken and "officer" in result.reason
        assert ring.lookup(PARTNER).fingerprint == officer_key
        assert partner["good"] not in {k.fingerprint for k in ring.keys()}
        # The officer's own key coming back in an Autocrypt header is left as it is.
        again = autocrypt_mail(PARTNER, gpg(officer_home, "--export", officer_key))
        [same] = PgpHarvester(ring, "auto").harvest(again)
        assert not same.taken and "officer" in same.reason
        assert ring.harvested() == {}
    finally:
        _drop(officer_home)


def test_approve_refused_when_an_officer_key_arrived_meanwhile(
    ring: PgpKeyring, partner: dict
) -> None:
    """A pending key cannot be approved over a key an officer trusted after it was harvested."""
    PgpHarvester(ring, "approve").harvest(
        autocrypt_mail(PARTNER, partner["export"](partner["good"]))
    )
    officer_home = _home()
    try:
        officer_key = gen_key(officer_home, PARTNER)
        ring.import_keys(gpg(officer_home, "--export", officer_key))
        ring.trust(officer_key, PARTNER)
        with pytest.raises(HarvestDecisionError, match=officer_key):
            decide(ring, partner["good"], approve=True)
        assert ring.lookup(PARTNER).fingerprint == officer_key
    finally:
        _drop(officer_home)


def test_rejected_key_is_deleted_and_not_taken_again(ring: PgpKeyring, partner: dict) -> None:
    """Reject removes the key from the keyring, and the same key arriving again stays out."""
    mail = autocrypt_mail(PARTNER, partner["export"](partner["good"]))
    PgpHarvester(ring, "approve").harvest(mail)
    decide(ring, partner["good"], approve=False)
    assert ring.keys() == []
    [again] = PgpHarvester(ring, "auto").harvest(mail)
    assert not again.taken and "rejected" in again.reason
    assert ring.keys() == []
    with pytest.raises(HarvestDecisionError, match=partner["good"]):
        decide(ring, partner["good"], approve=True)
    # An automatic source (a lookup) importing it again cannot bind it; the officer still can.
    ring.import_keys(partner["export"](partner["good"]))
    with pytest.raises(PgpKeyRefused, match="rejected"):
        ring.trust(partner["good"], PARTNER)
    ring.trust(partner["good"], PARTNER, officer=True)
    assert ring.lookup(PARTNER).fingerprint == partner["good"]


def test_plain_mail_is_not_looked_at() -> None:
    """Mail without an Autocrypt field or a pgp-keys part skips the harvester entirely."""
    assert not carries_key_material(b"From: a@b.example\r\nSubject: hi\r\n\r\nautocrypt: no\r\n")
