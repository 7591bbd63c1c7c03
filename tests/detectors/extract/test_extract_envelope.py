"""Real S/MIME and OpenPGP envelopes are told apart from look-alikes by their structure."""

from __future__ import annotations

import base64
import email
import email.policy
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7

import detectors.extract.envelope as envelope_module
from detectors.extract import extract_message
from detectors.extract.envelope import (
    cms_signed_content,
    envelope_kind,
    message_encrypted_kind,
    openpgp_clear_content,
)
from tests.support.pgp import gen_key, gpg
from tests.support.pki import openssl_self_signed

CLEAR = b"Content-Type: text/plain\r\n\r\nPatient Jane Roe, MRN 4471203.\r\n"


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, bytes]]:
    """Envelopes made by openssl and gpg, and look-alikes, by name."""
    d = tmp_path_factory.mktemp("env")
    openssl_self_signed(d, "r@example.org")
    (d / "in.txt").write_bytes(CLEAR)
    out: dict[str, bytes] = {}
    for name, cipher in (("cms-cbc", "-aes256"), ("cms-gcm", "-aes-256-gcm")):
        subprocess.run(
            ["openssl", "cms", "-encrypt", cipher, "-in", d / "in.txt", "-outform", "DER",
             "-out", d / f"{name}.der", d / "c.pem"],
            check=True, capture_output=True,
        )  # fmt: skip
        out[name] = (d / f"{name}.der").read_bytes()
    subprocess.run(
        ["openssl", "cms", "-sign", "-in", d / "in.txt", "-signer", d / "c.pem", "-inkey",
         d / "k.pem", "-outform", "DER", "-nodetach", "-out", d / "signed.der"],
        check=True, capture_output=True,
    )  # fmt: skip
    out["cms-signed"] = (d / "signed.der").read_bytes()
    home = Path(tempfile.mkdtemp(prefix="pg", dir="/tmp"))
    try:
        fpr = gen_key(home, "r@example.org")
        common = ("--trust-model", "always", "--encrypt", "--recipient", fpr)
        out["pgp-binary"] = gpg(home, *common, data=CLEAR)
        out["pgp-armored"] = gpg(home, "--armor", *common, data=CLEAR)
        out["pgp-symmetric"] = gpg(
            home, "--armor", "--symmetric", "--passphrase", "x", "--pinentry-mode", "loopback",
            data=CLEAR,
        )  # fmt: skip
        out["pgp-signed-only"] = gpg(home, "--armor", "--sign", data=CLEAR)
        for algo in ("zip", "zlib", "bzip2", "none"):
            out[f"pgp-signed-{algo}"] = gpg(
                home, "--armor", "--compress-algo", algo, "--sign", data=CLEAR
            )
        out["pgp-stored"] = gpg(home, "--armor", "--store", data=CLEAR)
        out["pgp-public-key"] = gpg(home, "--armor", "--export", fpr)
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)
        shutil.rmtree(home, ignore_errors=True)
    yield out


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("cms-cbc", "smime"),
        ("cms-gcm", "smime"),
        ("pgp-binary", "pgp"),
        ("pgp-armored", "pgp"),
        ("pgp-symmetric", "pgp"),
        ("cms-signed", None),
        ("pgp-signed-only", None),
        ("pgp-public-key", None),
    ],
)
def test_made_by_real_tools(made: dict[str, bytes], name: str, expected: str | None) -> None:
    """What openssl and gpg encrypt is an envelope; what they only sign or export is not."""
    assert envelope_kind(made[name]) == expected


def test_base64_text_of_an_envelope_counts(made: dict[str, bytes]) -> None:
    """A CMS envelope given as base64 text (PEM body) is recognised too."""
    assert envelope_kind(base64.encodebytes(made["cms-cbc"])) == "smime"
    assert envelope_kind(b"\r\n \t" + base64.encodebytes(made["cms-cbc"])) == "smime"
    pem = (
        b"-----BEGIN PKCS7-----\n" + base64.encodebytes(made["cms-cbc"]) + b"-----END PKCS7-----\n"
    )
    assert envelope_kind(b"\n" + pem) == "smime"


def test_plain_text_is_not_base64_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Text whose first character is not base64's "M" (DER's 0x30) cannot decode to DER: every
    text leaf is asked, so a long one must not pay for white-space removal and a decode."""

    def refuse(data: bytes) -> bytes | None:
        raise AssertionError("decoded as base64")

    monkeypatch.setattr(envelope_module, "_b64", refuse)
    assert envelope_kind(b"La la la la.\r\n" * 400) is None
    assert envelope_kind(b"  \r\nQUJD" * 10) is None  # base64 of other bytes than DER
    # ... nor asked whether it is a CMS signature (the same leaves are asked that too)
    assert cms_signed_content(b"La la la la.\r\n" * 400) is None
    assert cms_signed_content(b"  \r\nQUJD" * 10) is None
    message = b"From: a@x.example\r\nSubject: hi\r\n\r\n" + b"La la la la.\r\n" * 400
    assert "La la" in extract_message(message).parts[-1].text


@pytest.mark.parametrize(
    "data",
    [
        CLEAR,
        base64.encodebytes(CLEAR),
        b"-----BEGIN PGP MESSAGE-----\n\n" + CLEAR + b"\n-----END PGP MESSAGE-----\n",
        b"-----BEGIN PGP MESSAGE-----\n\n"
        + base64.encodebytes(CLEAR)
        + b"-----END PGP MESSAGE-----\n",
        b"\x30\x82\x01\x00garbage",
        b"",
    ],
    ids=["clear", "base64-clear", "armor-clear", "armor-base64-clear", "bad-der", "empty"],
)
def test_look_alikes_are_not_envelopes(data: bytes) -> None:
    """Clear text behind an envelope's label or armor is not encrypted."""
    assert envelope_kind(data) is None


def test_truncated_envelopes_are_not_envelopes(made: dict[str, bytes]) -> None:
    """A cut-off CMS or OpenPGP envelope does not parse, so it does not count."""
    assert envelope_kind(made["cms-cbc"][:-40]) is None
    assert envelope_kind(made["pgp-binary"][:-40]) is None


def test_pgp_armor_with_a_wrong_checksum_is_not_an_envelope(made: dict[str, bytes]) -> None:
    """Armor whose CRC does not match its body is refused."""
    text = made["pgp-armored"].decode()
    lines = text.splitlines()
    crc_index = next(i for i, ln in enumerate(lines) if ln.startswith("="))
    lines[crc_index] = "=AAAA" if lines[crc_index] != "=AAAA" else "=BBBB"
    assert envelope_kind("\n".join(lines).encode()) is None


def test_enveloped_data_without_recipients_is_not_an_envelope(made: dict[str, bytes]) -> None:
    """CMS EnvelopedData with an empty recipient set protects nothing."""
    info = cms.ContentInfo.load(made["cms-cbc"])
    enveloped = info["content"]
    enveloped["recipient_infos"] = cms.RecipientInfos([])
    emptied = cms.ContentInfo({"content_type": "enveloped_data", "content": enveloped}).dump(
        force=True
    )
    assert envelope_kind(emptied) is None


def _message(head: str, body: bytes) -> email.message.Message:
    return email.message_from_bytes(head.encode() + b"\r\n" + body, policy=email.policy.compat32)


def test_whole_messages(made: dict[str, bytes]) -> None:
    """A message counts as encrypted only when its body is a real envelope."""
    p7m = base64.encodebytes(made["cms-cbc"])
    smime_head = (
        "Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n"
        "Content-Transfer-Encoding: base64\r\n"
    )
    assert message_encrypted_kind(_message(smime_head, p7m)) == "smime"
    assert message_encrypted_kind(_message(smime_head, base64.encodebytes(CLEAR))) is None
    pgp_mime = (
        b"--b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n"
        b"--b\r\nContent-Type: application/octet-stream\r\n\r\n"
        + made["pgp-armored"]
        + b"\r\n--b--\r\n"
    )
    head = 'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary=b\r\n'
    assert message_encrypted_kind(_message(head, pgp_mime)) == "pgp"
    fake = pgp_mime.replace(made["pgp-armored"], CLEAR)
    assert message_encrypted_kind(_message(head, fake)) is None
    inline = "Content-Type: text/plain\r\n"
    assert message_encrypted_kind(_message(inline, made["pgp-armored"])) == "pgp"
    quoted = b"See below.\r\n" + made["pgp-armored"]
    assert message_encrypted_kind(_message(inline, quoted)) is None


def _packet(tag: int, body: bytes) -> bytes:
    """One new-format OpenPGP packet (body shorter than 192 bytes)."""
    assert len(body) < 192
    return bytes([0xC0 | tag, len(body)]) + body


def _armor(packets: bytes, label: str = "PGP MESSAGE") -> bytes:
    return (
        f"-----BEGIN {label}-----\n\n".encode()
        + base64.encodebytes(packets)
        + f"-----END {label}-----\n".encode()
    )


def _packets_of(made: dict[str, bytes]) -> list[tuple[int, bytes]]:
    """The (tag, whole packet) list of the binary gpg envelope (new- or old-format headers)."""
    from detectors.extract.envelope import _packet_header

    data, pos, out = made["pgp-binary"], 0, []
    while pos < len(data):
        header = _packet_header(data, pos)
        assert header is not None
        tag, _start, end = header
        out.append((tag, data[pos:end]))
        pos = end
    return out


SEIPD_CLEAR = b"\x01" + b"Patient Jane Roe, MRN 4471203, seen today for diabetes follow-up."


def test_pgp_packet_sequences(made: dict[str, bytes]) -> None:
    """Only session-key packets followed by integrity-protected data count, in known versions."""
    packets = _packets_of(made)
    assert [tag for tag, _ in packets] == [1, 18]
    pkesk, seipd = packets[0][1], packets[1][1]
    assert envelope_kind(pkesk + seipd) == "pgp"
    assert envelope_kind(_armor(pkesk + seipd)) == "pgp"
    skesk = _packet(3, b"\x04\x09\x03\x00")
    literal = _packet(11, b"b\x00\x00\x00\x00\x00" + CLEAR)
    assert envelope_kind(skesk) is None  # a session key with nothing encrypted
    assert envelope_kind(_armor(skesk)) is None
    assert envelope_kind(literal) is None  # literal data is clear text
    assert envelope_kind(_armor(literal)) is None
    assert envelope_kind(seipd) is None  # no session key before the data
    assert envelope_kind(pkesk + seipd + literal) is None  # clear text after the envelope
    # the right shape, but clear text where the ciphertext belongs
    assert envelope_kind(pkesk + _packet(18, SEIPD_CLEAR)) is None
    # the same session-key packet, but of an unknown version
    from detectors.extract.envelope import _packet_header

    header = _packet_header(pkesk, 0)
    assert header is not None and pkesk[header[1]] == 3
    unknown = pkesk[: header[1]] + b"\x09" + pkesk[header[1] + 1 :]
    assert envelope_kind(unknown + seipd) is None


def test_signature_armor_is_not_an_envelope(made: dict[str, bytes]) -> None:
    """An envelope's packets under PGP SIGNATURE armor are not a PGP message."""
    assert envelope_kind(_armor(made["pgp-binary"], "PGP SIGNATURE")) is None


def test_enveloped_data_holding_clear_text_is_not_an_envelope(made: dict[str, bytes]) -> None:
    """CMS EnvelopedData whose 'encrypted' content is readable text is a look-alike."""
    info = cms.ContentInfo.load(made["cms-cbc"])
    enveloped = info["content"]
    enveloped["encrypted_content_info"]["encrypted_content"] = SEIPD_CLEAR[1:] * 2
    faked = cms.ContentInfo({"content_type": "enveloped_data", "content": enveloped}).dump(
        force=True
    )
    assert envelope_kind(faked) is None


@pytest.mark.parametrize(
    "name",
    ["pgp-signed-only", "pgp-signed-zip", "pgp-signed-zlib", "pgp-signed-bzip2",
     "pgp-signed-none", "pgp-stored"],
)  # fmt: skip
def test_clear_content_of_unencrypted_pgp_messages(made: dict[str, bytes], name: str) -> None:
    """Signed, compressed or stored OpenPGP messages give up their literal text without a key."""
    assert openpgp_clear_content(made[name], 1 << 20) == CLEAR


@pytest.mark.parametrize("name", ["pgp-armored", "pgp-binary", "pgp-symmetric"])
def test_encrypted_pgp_messages_have_no_clear_content(made: dict[str, bytes], name: str) -> None:
    """An encrypted message has no clear content to read."""
    assert openpgp_clear_content(made[name], 1 << 20) is None


def test_clear_content_is_bounded(made: dict[str, bytes]) -> None:
    """A literal text bigger than the bound is refused rather than inflated."""
    assert openpgp_clear_content(made["pgp-signed-zlib"], len(CLEAR) - 1) is None


def test_walker_reads_the_text_of_a_signed_pgp_block(made: dict[str, bytes]) -> None:
    """A body that is one `gpg --sign --armor` block is scanned as the text a client shows."""
    raw = b"Subject: x\r\nContent-Type: text/plain\r\n\r\n" + made["pgp-signed-only"]
    result = extract_message(raw)
    assert "MRN 4471203" in result.text_of("body")
    assert not result.unscannable


def test_walker_reports_an_unreadable_pgp_block() -> None:
    """Armor around something that is neither an envelope nor readable OpenPGP is unscannable."""
    block = b"-----BEGIN PGP MESSAGE-----\n\n" + base64.encodebytes(b"\xff" * 40)
    raw = b"Subject: x\r\nContent-Type: text/plain\r\n\r\n" + block + b"-----END PGP MESSAGE-----\n"
    assert [u.reason for u in extract_message(raw).unscannable] == ["unknown-type"]


# ---- S/MIME signatures: a signed message is read, never held as unreadable --------------------


@pytest.fixture(scope="module")
def signed_mail(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Whole signed messages made by `openssl smime` (detached and opaque) and by cryptography."""
    d = tmp_path_factory.mktemp("sig")
    openssl_self_signed(d, "gp@clinic.example")
    (d / "in.txt").write_bytes(CLEAR)
    head = b"From: gp@clinic.example\r\nTo: lab@partner.example\r\nSubject: Results\r\n"
    out: dict[str, bytes] = {}
    for name, extra in (("openssl-detached", []), ("openssl-opaque", ["-nodetach"])):
        made = subprocess.run(
            ["openssl", "smime", "-sign", "-in", d / "in.txt", "-signer", d / "c.pem",
             "-inkey", d / "k.pem", *extra],
            check=True, capture_output=True,
        ).stdout  # fmt: skip
        out[name] = head + made
    key = serialization.load_pem_private_key((d / "k.pem").read_bytes(), None)
    cert = x509.load_pem_x509_certificate((d / "c.pem").read_bytes())
    assert isinstance(key, rsa.RSAPrivateKey)
    detached = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(CLEAR)
        .add_signer(cert, key, hashes.SHA256())
        .sign(serialization.Encoding.SMIME, [pkcs7.PKCS7Options.DetachedSignature])
    )
    out["cryptography-detached"] = head + b"MIME-Version: 1.0\r\n" + detached
    return out


@pytest.mark.parametrize("name", ["openssl-detached", "cryptography-detached"])
def test_a_detached_signature_holds_nothing_unreadable(
    signed_mail: dict[str, bytes], name: str
) -> None:
    """smime.p7s of a clear-signed message is a signature, not binary of unknown type; the
    signed text itself is read."""
    result = extract_message(signed_mail[name])
    assert result.unscannable == (), result.unscannable
    assert any("MRN 4471203" in p.text for p in result.parts)


def test_opaque_signed_content_is_read(signed_mail: dict[str, bytes]) -> None:
    """An opaque-signed message (smime.p7m, signed-data) carries its text in clear: read it."""
    result = extract_message(signed_mail["openssl-opaque"])
    assert result.unscannable == (), result.unscannable
    assert any("MRN 4471203" in p.text for p in result.parts), [p.text for p in result.parts]


def test_a_signature_part_that_is_no_signature_stays_unscannable(
    signed_mail: dict[str, bytes],
) -> None:
    """Random bytes under a signature's name and type are unreadable binary, held as before."""
    raw = signed_mail["openssl-detached"]
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    for part in msg.walk():
        if part.get_content_type() in (
            "application/pkcs7-signature",
            "application/x-pkcs7-signature",
        ):
            part.set_payload(base64.encodebytes(bytes(range(256)) * 3).decode())
    result = extract_message(msg.as_bytes())
    assert [u.reason for u in result.unscannable] == ["unknown-type"]


def test_a_signed_data_look_alike_is_no_signature(made: dict[str, bytes]) -> None:
    """A SignedData cut short parses as nothing, so it is no signature to skip."""
    assert cms_signed_content(made["cms-signed"][:-40]) is None
    assert cms_signed_content(made["cms-signed"]) == CLEAR
