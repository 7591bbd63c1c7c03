"""End to end on loopback: PHI to a partner whose key is only in their WKD is encrypted to it
(the partner's real gpg decrypts it), and to a partner whose certificate is only in a
DNSSEC-signed SMIMEA record (openssl decrypts it); with a WKD server that never answers, the
message falls back as without lookups and nothing with PHI reaches the partner in clear."""

from __future__ import annotations

import email
import email.policy
import smtplib
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest
from cryptography.hazmat.primitives import serialization

from gateway.crypto.pgp import PgpKeyring
from gateway.keys.lookup.cache import LookupCache
from gateway.keys.lookup.dane import dane_name
from gateway.keys.store import CertStore
from tests.gateway.crypto.test_smime import openssl_decrypt
from tests.support import POLICIES
from tests.support.dns import SignedZones, running_dns
from tests.support.gateway import make_settings, port_of, running_gateway, short_tempdir
from tests.support.pgp import gen_key, gpg
from tests.support.pki import Pki
from tests.support.wkd import running_wkd, silent_tcp

PARTNER = "claims@billing-partner.example"
SENDER = "hpark@practice.example"
GROUPS = {
    "internal": {"domains": ["practice.example"]},
    "business_associates": {"domains": ["billing-partner.example"]},
}
WKD_HOST = "openpgpkey.billing-partner.example"


def _referral() -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Dr. Helen Park <{SENDER}>"
    msg["To"] = PARTNER
    msg["Subject"] = "Claim for Tobias Lindqvist"
    msg["Message-ID"] = "<claim-wkd-1@practice.example>"
    msg.set_content(
        "Claim for patient Tobias Lindqvist, DOB 09/30/1958, MRN 5521870.\n"
        "Diagnosis: atrial fibrillation (I48.91).\n"
    )
    return msg.as_bytes(policy=email.policy.SMTP)


def _send(port: int, raw: bytes) -> int:
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as s:
        s.ehlo()
        s.mail(SENDER)
        assert s.rcpt(PARTNER)[0] == 250
        return s.data(raw)[0]


def _settings(tmp_path: Path, sink_port: int, wkd: dict[str, Any]) -> Any:
    return make_settings(
        tmp_path,
        sink_port,
        policy_file=str(POLICIES / "default.yaml"),
        groups=GROUPS,
        key_lookup={"cache_file": str(tmp_path / "lookup.json"), "budget": 3, "wkd": wkd},
    )


@pytest.fixture
def partner_home() -> Iterator[Path]:
    """The partner's own GnuPG home."""
    home = Path(short_tempdir())
    yield home
    with PgpKeyring(home):
        pass  # closing stops the agent


def test_phi_to_a_wkd_only_recipient_is_encrypted_and_gpg_decrypts_it(
    tmp_path: Path, sink, partner_home: Path
) -> None:
    """The gateway keyring starts empty; the key comes from WKD and the partner reads the mail."""
    fpr = gen_key(partner_home, PARTNER)
    with running_wkd(tmp_path, (WKD_HOST,)) as wkd:
        wkd.publish(PARTNER, gpg(partner_home, "--export", fpr))
        wkd_settings = {
            "enabled": True,
            "ca_file": str(wkd.ca_file),
            "port": wkd.port,
            "resolve": {WKD_HOST: "127.0.0.1"},
        }
        settings = _settings(tmp_path, sink[1], wkd_settings)
        with running_gateway(settings) as gw:
            assert _send(port_of(gw), _referral()) == 250
        assert wkd.hits_for(PARTNER) == 1
    [delivered] = [m for m in sink[0].messages if PARTNER in m.rcpt_tos]
    assert email.message_from_bytes(delivered.content).get_content_type() == "multipart/encrypted"
    assert b"5521870" not in delivered.content
    armored = delivered.content[delivered.content.index(b"-----BEGIN PGP MESSAGE-----") :]
    plain = gpg(partner_home, "--decrypt", data=armored)
    assert b"MRN 5521870" in plain
    record = LookupCache(tmp_path / "lookup.json").found("pgp", PARTNER)
    assert record is not None and record.source == "wkd" and record.fingerprint == fpr


def _outcome(settings: Any, sink) -> tuple[int, list[str]]:
    """The reply to the referral and the content types that reached the partner."""
    sink[0].messages.clear()
    with running_gateway(settings) as gw:
        code = _send(port_of(gw), _referral())
    to_partner = [m for m in sink[0].messages if PARTNER in m.rcpt_tos]
    assert all(b"5521870" not in m.content for m in to_partner)
    return code, [email.message_from_bytes(m.content).get_content_type() for m in to_partner]


def test_silent_wkd_falls_back_as_without_lookups(tmp_path: Path, sink) -> None:
    """A WKD that never answers: the message gets the same answer as with lookups off."""
    without = _outcome(_settings(tmp_path / "off", sink[1], {"enabled": False}), sink)
    with silent_tcp() as port:
        wkd_settings = {
            "enabled": True,
            "port": port,
            "timeout": 30,
            "resolve": {WKD_HOST: "127.0.0.1"},
        }
        silent = _outcome(_settings(tmp_path, sink[1], wkd_settings), sink)
    assert silent == without
    assert "multipart/encrypted" not in silent[1]
    assert LookupCache(tmp_path / "lookup.json").missing("pgp", PARTNER) is None


def test_phi_to_an_smimea_only_recipient_is_encrypted_and_openssl_decrypts_it(
    tmp_path: Path, sink, pki: Pki
) -> None:
    """The store holds only the issuing CA; the certificate comes from signed DNS."""
    partner = pki.issue(PARTNER, stem="partner-smimea")
    der = partner.cert.public_bytes(serialization.Encoding.DER)
    zones = SignedZones(dns.name.from_text("billing-partner.example."))
    zones.add_rdata(
        dane_name(PARTNER, "_smimecert"),
        dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.SMIMEA, f"3 0 0 {der.hex()}"),
    )
    zones.sign()
    CertStore(tmp_path / "certs", []).import_file(pki.intermediate.cert_path)
    with running_dns(zones) as port:
        settings = make_settings(
            tmp_path,
            sink[1],
            policy_file=str(POLICIES / "default.yaml"),
            groups=GROUPS,
            smime={
                "store_dir": str(tmp_path / "certs"),
                "trust_anchors": [str(pki.root.cert_path)],
            },
            key_lookup={
                "cache_file": str(tmp_path / "lookup.json"),
                "dns": {
                    "smimea": True,
                    "nameservers": [f"127.0.0.1:{port}"],
                    "trust_anchors": [zones.anchor()],
                },
            },
        )
        with running_gateway(settings) as gw:
            assert _send(port_of(gw), _referral()) == 250
    [delivered] = [m for m in sink[0].messages if PARTNER in m.rcpt_tos]
    assert b"5521870" not in delivered.content
    assert b"application/pkcs7-mime" in delivered.content
    assert b"MRN 5521870" in openssl_decrypt(delivered.content, partner, tmp_path)
    record = LookupCache(tmp_path / "lookup.json").found("smime", PARTNER)
    assert record is not None and record.source == "dane-smimea"
