"""End to end on loopback: a partner's mail with an Autocrypt header passes the gateway, its key
waits for approval (PHI to the partner is not encrypted to it), `phigate keys approve` puts it in
use, and the next message is PGP/MIME that the partner's real gpg decrypts."""

from __future__ import annotations

import email
import email.policy
import smtplib
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from gateway.crypto.pgp import PgpKeyring
from tests.gateway.keys.test_harvest_pgp import autocrypt_mail
from tests.support import POLICIES
from tests.support.cli import phigate
from tests.support.gateway import make_settings, port_of, running_gateway, short_tempdir
from tests.support.pgp import gen_key, gpg

PARTNER = "claims@billing-partner.example"
SENDER = "hpark@practice.example"
GROUPS = {
    "internal": {"domains": ["practice.example"]},
    "business_associates": {"domains": ["billing-partner.example"]},
}


def _referral() -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Dr. Helen Park <{SENDER}>"
    msg["To"] = PARTNER
    msg["Subject"] = "Claim for Tobias Lindqvist"
    msg["Message-ID"] = "<claim-1@practice.example>"
    msg.set_content(
        "Claim for patient Tobias Lindqvist, DOB 09/30/1958, MRN 5521870.\n"
        "Diagnosis: atrial fibrillation (I48.91).\n"
    )
    return msg.as_bytes(policy=email.policy.SMTP)


def _send(port: int, raw: bytes, mail_from: str, rcpt: str) -> int:
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as s:
        s.ehlo()
        s.mail(mail_from)
        assert s.rcpt(rcpt)[0] == 250
        return s.data(raw)[0]


@pytest.fixture
def partner_home() -> Iterator[Path]:
    """The partner's own GnuPG home."""
    home = Path(short_tempdir())
    yield home
    with PgpKeyring(home):
        pass  # closing stops the agent


def test_autocrypt_through_gateway_then_approve_then_gpg_decrypts(
    tmp_path: Path, sink, partner_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Harvest from passing mail, pending until approved, then real encryption to the key."""
    fpr = gen_key(partner_home, PARTNER)
    settings = make_settings(
        tmp_path, sink[1], policy_file=str(POLICIES / "default.yaml"), groups=GROUPS
    )
    home = settings.pgp.home
    hello = autocrypt_mail(PARTNER, gpg(partner_home, "--export", fpr))
    with running_gateway(settings) as gw:
        assert _send(port_of(gw), hello, PARTNER, SENDER) == 250
        with PgpKeyring(home) as ring:
            assert [e.state for e in ring.harvested().values()] == ["pending"]
            assert not ring.lookup(PARTNER).ok
        # Pending: the PHI message is not encrypted to the harvested key (without a usable key
        # the policy refuses it or falls back; either way nothing with PHI reaches the partner).
        _send(port_of(gw), _referral(), SENDER, PARTNER)
        to_partner = [m for m in sink[0].messages if PARTNER in m.rcpt_tos]
        assert all(b"BEGIN PGP MESSAGE" not in m.content for m in to_partner)
        assert all(b"5521870" not in m.content for m in to_partner)

        assert phigate(["keys", "approve", "--pgp-home", str(home), fpr]) == 0
        capsys.readouterr()
        sink[0].messages.clear()
        assert _send(port_of(gw), _referral(), SENDER, PARTNER) == 250
    [delivered] = [m for m in sink[0].messages if PARTNER in m.rcpt_tos]
    assert email.message_from_bytes(delivered.content).get_content_type() == "multipart/encrypted"
    armored = delivered.content[delivered.content.index(b"-----BEGIN PGP MESSAGE-----") :]
    plain = gpg(partner_home, "--decrypt", data=armored)
    assert b"MRN 5521870" in plain
