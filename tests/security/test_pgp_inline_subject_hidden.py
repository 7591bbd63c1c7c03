"""PHI that is only in the subject never reaches an inline-PGP recipient outside the encryption.

Inline PGP has no protected headers: the gateway sends a neutral Subject and carries the real one
as the first line of the encrypted text, where `gpg --decrypt` shows it. The message goes through
a real gateway on the shipped default policy to an outside recipient configured for inline PGP.
"""

from __future__ import annotations

import email
import email.policy
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from gateway.crypto.pgp import PgpKeyring
from tests.support.encrypted import delivered_once, gpg_decrypt_armored
from tests.support.leak import OUTSIDER, SENDER, DefaultPolicyGateway, default_policy_gateway
from tests.support.pgp import gen_key, gpg

SURNAME = "Quintero-Abbott"
MRN = "4471203"
SUBJECT = f"Marisol {SURNAME} DOB 03/14/1962 MRN {MRN} labs"
NEEDLES = (SURNAME.encode(), MRN.encode(), b"03/14/1962")


@dataclass
class World:
    """A running gateway whose keyring trusts an inline-PGP key for the outside recipient."""

    gw: DefaultPolicyGateway
    recipient_home: Path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The outsider's key is trusted in the gateway keyring and listed in pgp.inline_addresses."""
    recipient_home = Path(tempfile.mkdtemp(prefix="pg", dir="/tmp"))
    gateway_home = Path(tempfile.mkdtemp(prefix="pg", dir="/tmp"))
    try:
        with PgpKeyring(gateway_home) as ring:
            fpr = gen_key(recipient_home, OUTSIDER)
            ring.import_keys(gpg(recipient_home, "--armor", "--export", fpr))
            ring.trust(fpr, OUTSIDER)
        overrides = {"pgp": {"home": str(gateway_home), "inline_addresses": [OUTSIDER]}}
        with default_policy_gateway(tmp_path_factory.mktemp("gw"), **overrides) as gw:
            yield World(gw, recipient_home)
    finally:
        for home in (recipient_home, gateway_home):
            subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)
            shutil.rmtree(home, ignore_errors=True)


def _message(headers: str) -> bytes:
    return (
        f"From: Dr. Helen Park <{SENDER}>\r\n"
        f"To: {OUTSIDER}\r\n"
        f"{headers}"
        "Message-ID: <inline-1@practice.example>\r\n"
        "Date: Mon, 16 Nov 2026 09:30:00 -0500\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Please see the attached results and call me back.\r\n"
    ).encode()


def _deliver(world: World, raw: bytes) -> bytes:
    return delivered_once(world.gw, raw, OUTSIDER)


def _decrypt(world: World, content: bytes) -> bytes:
    return gpg_decrypt_armored(world.recipient_home, content)


def test_subject_only_phi_is_neutralised_and_first_inside(world: World) -> None:
    """A subject carrying a name, DOB and MRN is replaced outside and is the first line inside."""
    content = _deliver(world, _message(f"Subject: {SUBJECT}\r\n"))
    for needle in NEEDLES:
        assert needle not in content, f"{needle!r} reached the outsider in clear"
    msg = email.message_from_bytes(content, policy=email.policy.default)
    assert msg["Subject"] == "Encrypted message"
    assert msg.get_payload().startswith("-----BEGIN PGP MESSAGE-----")
    assert _decrypt(world, content).startswith(f"Subject: {SUBJECT}\r\n\r\n".encode())


def test_subject_leads_even_after_other_moved_fields(world: World) -> None:
    """With Thread-Topic before Subject the real subject is still the first line inside."""
    headers = f"Thread-Topic: {SURNAME} follow-up\r\nSubject: {SUBJECT}\r\n"
    content = _deliver(world, _message(headers))
    for needle in NEEDLES:
        assert needle not in content, f"{needle!r} reached the outsider in clear"
    inner = _decrypt(world, content)
    assert inner.startswith(
        f"Subject: {SUBJECT}\r\nThread-Topic: {SURNAME} follow-up\r\n\r\n".encode()
    )


def test_encoded_subject_cannot_add_lines_inside(world: World) -> None:
    """An encoded-word subject hiding a line break stays one decoded line inside, not two."""
    encoded = "=?utf-8?q?Marisol_Quintero-Abbott=0D=0AMRN_4471203_labs?="
    content = _deliver(world, _message(f"Subject: {encoded}\r\n"))
    for needle in NEEDLES:
        assert needle not in content, f"{needle!r} reached the outsider in clear"
    inner = _decrypt(world, content)
    assert inner.startswith(b"Subject: Marisol Quintero-Abbott MRN 4471203 labs\r\n\r\n")
