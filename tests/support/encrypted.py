"""Helpers the tests of encrypted output share: the one copy a recipient got, and the armored
OpenPGP message in it, decrypted with the recipient's key."""

from __future__ import annotations

from pathlib import Path

from tests.support.leak import DefaultPolicyGateway
from tests.support.pgp import gpg

BEGIN_PGP, END_PGP = b"-----BEGIN PGP MESSAGE-----", b"-----END PGP MESSAGE-----"


def delivered_once(gw: DefaultPolicyGateway, raw: bytes, to: str) -> bytes:
    """Send `raw` to `to` alone: the gateway accepts it and `to` gets exactly one copy, returned."""
    outcome = gw.send(raw, [to])
    assert outcome.code == 250, outcome.reply
    (content,) = outcome.to(to)
    return content


def gpg_decrypt_armored(home: Path, data: bytes) -> bytes:
    """The armored PGP message inside `data`, decrypted with the keyring in `home`."""
    start = data.index(BEGIN_PGP)
    end = data.index(END_PGP) + len(END_PGP)
    return gpg(home, "--decrypt", data=data[start:end])
