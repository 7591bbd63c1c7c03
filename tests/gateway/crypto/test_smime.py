"""S/MIME output checked by the real `openssl cms` (OpenSSL 3.0): decrypt, verify, byte-exact inner entity."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID

from gateway.crypto.smime import (
    AlreadyEncrypted,
    Signer,
    SmimeError,
    UnsupportedRecipientKey,
    capabilities_from_message,
    encrypt_message,
    is_encrypted,
)
from tests.support.pki import DAY, NOW, Issued, Pki

PHI_SUBJECT = "Befund Jürgen Müller, MRN 4471-22"
ENCODED_SUBJECT = "=?utf-8?q?Befund_J=C3=BCrgen_M=C3=BCller=2C_MRN_4471-22?="

OUTER = (
    b"From: Dr. Weber <weber@praxis.example>\r\n"
    b"To: alice@example.org\r\n"
    b"Cc: records@praxis.example\r\n"
    b"Subject: " + ENCODED_SUBJECT.encode() + b"\r\n"
    b"Date: Tue, 02 Jan 2024 09:30:00 +0100\r\n"
    b"Message-ID: <20240102.1@praxis.example>\r\n"
    b"In-Reply-To: <earlier@example.org>\r\n"
    b"MIME-Version: 1.0\r\n"
)
CONTENT_HEADERS = b'Content-Type: multipart/mixed;\r\n boundary="outer-b"\r\n'
BODY = (
    b"--outer-b\r\n"
    b'Content-Type: multipart/alternative; boundary="alt-b"\r\n'
    b"\r\n"
    b"--alt-b\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n"
    b"Gr\xc3\xbc\xc3\x9fe, Befund anbei. \xe2\x82\xac 40\r\n"
    b"--alt-b\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"<p>Gr=C3=BC=C3=9Fe, <b>Befund</b> anbei.</p>\r\n"
    b"--alt-b--\r\n"
    b"--outer-b\r\n"
    b'Content-Type: application/pdf; name="befund.pdf"\r\n'
    b'Content-Disposition: attachment; filename="befund.pdf"\r\n'
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n" + base64.encodebytes(bytes(range(256)) * 4).replace(b"\n", b"\r\n") + b"--outer-b--\r\n"
)
MESSAGE = OUTER + CONTENT_HEADERS + b"\r\n" + BODY
#: What the recipient must get back: the original MIME entity, byte for byte.
ENTITY = CONTENT_HEADERS + b"\r\n" + BODY


@pytest.fixture(scope="module")
def alice(pki: Pki) -> Issued:
    """A recipient with an RSA-2048 certificate."""
    return pki.issue("alice@example.org", stem="alice")


@pytest.fixture(scope="module")
def bob(pki: Pki) -> Issued:
    """A recipient with an RSA-3072 certificate."""
    return pki.issue("bob@example.org", stem="bob", key_size=3072)


@pytest.fixture(scope="module")
def practice(pki: Pki) -> Signer:
    """The practice's signing identity."""
    issued = pki.issue("weber@praxis.example", stem="practice")
    return Signer(issued.cert, issued.key, (pki.intermediate.cert,))


def openssl_cms_decrypt(
    src: Path, who: Issued, out: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run `openssl cms -decrypt` on the message in src as `who`, printing to out if given."""
    return subprocess.run(
        [
            "openssl",
            "cms",
            "-decrypt",
            "-in",
            str(src),
            "-recip",
            str(who.cert_path),
            "-inkey",
            str(who.key_path),
            *(["-out", str(out)] if out else []),
        ],
        capture_output=True,
        check=False,
    )


def openssl_decrypt(message: bytes, who: Issued, tmp_path: Path) -> bytes:
    """Run `openssl cms -decrypt` on a whole message and return what it printed."""
    src, out = tmp_path / f"in-{who.cert_path.stem}.eml", tmp_path / f"out-{who.cert_path.stem}"
    src.write_bytes(message)
    result = openssl_cms_decrypt(src, who, out)
    assert result.returncode == 0, result.stderr.decode()
    return out.read_bytes()


def encrypt_with_neutral_subject(who: Issued, neutral_subject: str) -> bytes:
    """MESSAGE encrypted for `who` with AES-GCM, its Subject protected behind neutral_subject."""
    return encrypt_message(
        MESSAGE,
        [who.cert],
        prefer_gcm=True,
        oaep=False,
        protect_subject=True,
        neutral_subject=neutral_subject,
    )


def content_info(message: bytes) -> cms.ContentInfo:
    """The CMS structure in the body of an application/pkcs7-mime message."""
    body = message.split(b"\r\n\r\n", 1)[1]
    return cms.ContentInfo.load(base64.b64decode(body))


def outer_headers(message: bytes) -> bytes:
    """The header block of a message."""
    return message.split(b"\r\n\r\n", 1)[0] + b"\r\n"


@pytest.mark.parametrize(
    ("gcm", "oaep", "structure", "key_transport", "cipher"),
    [
        (True, False, "authenticated_enveloped_data", "rsaes_pkcs1v15", "aes256_gcm"),
        (True, True, "authenticated_enveloped_data", "rsaes_oaep", "aes256_gcm"),
        (False, False, "enveloped_data", "rsaes_pkcs1v15", "aes256_cbc"),
        (False, True, "enveloped_data", "rsaes_oaep", "aes256_cbc"),
    ],
)
def test_openssl_decrypts_to_the_original_entity(
    alice: Issued,
    tmp_path: Path,
    gcm: bool,
    oaep: bool,
    structure: str,
    key_transport: str,
    cipher: str,
) -> None:
    """openssl cms decrypts GCM and CBC, PKCS#1 and OAEP, to the original MIME entity byte for byte."""
    encrypted = encrypt_message(MESSAGE, [alice.cert], prefer_gcm=gcm, oaep=oaep)
    info = content_info(encrypted)
    assert info["content_type"].native == structure
    content = info["content"]
    encrypted_info = content["auth_encrypted_content_info" if gcm else "encrypted_content_info"]
    assert encrypted_info["content_encryption_algorithm"]["algorithm"].native == cipher
    ktri = content["recipient_infos"][0].chosen
    assert ktri["key_encryption_algorithm"]["algorithm"].native == key_transport
    if gcm:
        assert len(content["mac"].native) == 16
    assert openssl_decrypt(encrypted, alice, tmp_path) == ENTITY


def test_outer_message_keeps_headers_and_declares_smime(alice: Issued) -> None:
    """The outer message keeps the original addressing headers and is base64 application/pkcs7-mime."""
    encrypted = encrypt_message(MESSAGE, [alice.cert], prefer_gcm=True, oaep=False)
    head = outer_headers(encrypted)
    for line in OUTER.split(b"\r\n")[:-1]:
        assert line + b"\r\n" in head
    assert (
        b'Content-Type: application/pkcs7-mime; smime-type=authEnveloped-data; name="smime.p7m"\r\n'
        in head
    )
    assert b"Content-Transfer-Encoding: base64\r\n" in head
    assert b"multipart/mixed" not in head
    cbc = encrypt_message(MESSAGE, [alice.cert], prefer_gcm=False, oaep=False)
    assert b"smime-type=enveloped-data;" in outer_headers(cbc)
    assert is_encrypted(encrypted) == "smime"


def test_every_recipient_can_decrypt(alice: Issued, bob: Issued, tmp_path: Path) -> None:
    """With two recipients (RSA-2048 and RSA-3072) each decrypts with their own key."""
    encrypted = encrypt_message(MESSAGE, [alice.cert, bob.cert], prefer_gcm=True, oaep=True)
    assert openssl_decrypt(encrypted, alice, tmp_path) == ENTITY
    assert openssl_decrypt(encrypted, bob, tmp_path) == ENTITY


def test_protected_subject_inside_neutral_outside(alice: Issued, tmp_path: Path) -> None:
    """With subject protection the PHI subject is only inside, with the protected headers."""
    encrypted = encrypt_with_neutral_subject(alice, "Verschlüsselte Nachricht")
    head = outer_headers(encrypted)
    assert ENCODED_SUBJECT.encode() not in encrypted
    assert b"MRN" not in head
    assert b"Subject: =?utf-8?" in head
    import email.header

    subject_line = next(line for line in head.split(b"\r\n") if line.startswith(b"Subject:"))
    decoded = str(email.header.make_header(email.header.decode_header(subject_line[9:].decode())))
    assert decoded == "Verschlüsselte Nachricht"
    inner = openssl_decrypt(encrypted, alice, tmp_path)
    inner_head, inner_body = inner.split(b"\r\n\r\n", 1)
    assert inner_body == BODY
    assert b'protected-headers="v1"' in inner_head
    assert b'boundary="outer-b"' in inner_head
    for name in (b"From:", b"To:", b"Cc:", b"Date:"):
        original = next(line for line in OUTER.split(b"\r\n") if line.startswith(name))
        assert original in inner_head.split(b"\r\n")
    assert b"Subject: " + ENCODED_SUBJECT.encode() in inner_head.split(b"\r\n")


def test_sign_then_encrypt_verifies_with_openssl(
    pki: Pki, alice: Issued, practice: Signer, tmp_path: Path
) -> None:
    """A signed-then-encrypted message decrypts to multipart/signed that openssl verifies against the root."""
    encrypted = encrypt_message(MESSAGE, [alice.cert], prefer_gcm=True, oaep=True, signer=practice)
    inner = openssl_decrypt(encrypted, alice, tmp_path)
    assert inner.startswith(b"Content-Type: multipart/signed;")
    assert b'protocol="application/pkcs7-signature"' in inner
    assert b"micalg=sha-256" in inner
    signed, verified = tmp_path / "signed.eml", tmp_path / "verified"
    signed.write_bytes(inner)
    result = subprocess.run(
        [
            "openssl",
            "cms",
            "-verify",
            "-in",
            str(signed),
            "-CAfile",
            str(pki.root.cert_path),
            "-purpose",
            "smimesign",
            "-out",
            str(verified),
        ],
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert verified.read_bytes() == ENTITY
    printed = subprocess.run(
        ["openssl", "cms", "-cmsout", "-print", "-in", str(signed)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "aes-256-gcm" in printed and "aes-256-cbc" in printed
    assert "aes256_gcm" in capabilities_from_message(inner)


def test_tampered_gcm_ciphertext_is_rejected(alice: Issued, tmp_path: Path) -> None:
    """Flipping one ciphertext byte makes openssl refuse the AuthEnvelopedData (the tag is checked)."""
    encrypted = encrypt_message(MESSAGE, [alice.cert], prefer_gcm=True, oaep=False)
    info = content_info(encrypted)
    ciphertext = bytearray(
        info["content"]["auth_encrypted_content_info"]["encrypted_content"].native
    )
    ciphertext[10] ^= 0x01
    info["content"]["auth_encrypted_content_info"]["encrypted_content"] = bytes(ciphertext)
    der = cms.ContentInfo.load(info.dump(force=True)).dump()
    head = outer_headers(encrypted)
    tampered = head + b"\r\n" + base64.encodebytes(der).replace(b"\n", b"\r\n")
    src = tmp_path / "tampered.eml"
    src.write_bytes(tampered)
    assert openssl_cms_decrypt(src, alice).returncode != 0


def test_bare_lf_input_is_canonicalised(alice: Issued, tmp_path: Path) -> None:
    """A message with bare LF line ends is encrypted in canonical CRLF form."""
    lf = MESSAGE.replace(b"\r\n", b"\n")
    encrypted = encrypt_message(lf, [alice.cert], prefer_gcm=False, oaep=False)
    assert openssl_decrypt(encrypted, alice, tmp_path) == ENTITY


def test_already_encrypted_message_is_refused(alice: Issued) -> None:
    """Encrypting an encrypted message again raises AlreadyEncrypted with a stable code."""
    encrypted = encrypt_message(MESSAGE, [alice.cert], prefer_gcm=True, oaep=False)
    with pytest.raises(AlreadyEncrypted) as info:
        encrypt_message(encrypted, [alice.cert], prefer_gcm=True, oaep=False)
    assert info.value.code == "smime-already-encrypted"


def test_neutral_subject_cannot_inject_headers(alice: Issued) -> None:
    """A neutral subject with a line break is refused instead of adding header fields."""
    with pytest.raises(SmimeError):
        encrypt_with_neutral_subject(alice, "Encrypted\r\nBcc: eve@example.net")


@pytest.mark.parametrize("curve", [ec.SECP256R1(), ec.SECP384R1()], ids=["P-256", "P-384"])
@pytest.mark.parametrize("gcm", [True, False], ids=["gcm", "cbc"])
def test_ec_recipient_decrypts_with_openssl(
    pki: Pki, tmp_path: Path, curve: ec.EllipticCurve, gcm: bool
) -> None:
    """EC recipients get ECDH KeyAgreeRecipientInfo that openssl decrypts to the original entity."""
    carol = pki.issue("carol@example.org", stem=f"carol-{curve.name}", curve=curve)
    encrypted = encrypt_message(MESSAGE, [carol.cert], prefer_gcm=gcm, oaep=False)
    kari = content_info(encrypted)["content"]["recipient_infos"][0]
    assert kari.name == "kari"
    assert kari.chosen["key_encryption_algorithm"]["algorithm"].dotted == "1.3.132.1.11.1"
    assert openssl_decrypt(encrypted, carol, tmp_path) == ENTITY


def test_unsupported_recipient_key_is_refused_clearly(pki: Pki) -> None:
    """An Ed25519 recipient certificate is refused with a coded error rather than sent in clear."""
    key = ed25519.Ed25519PrivateKey.generate()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ed")]))
        .issuer_name(pki.intermediate.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - DAY)
        .not_valid_after(NOW + DAY)
        .sign(pki.intermediate.key, hashes.SHA256())  # type: ignore[arg-type]
    )
    with pytest.raises(UnsupportedRecipientKey) as info:
        encrypt_message(MESSAGE, [cert], prefer_gcm=True, oaep=False)
    assert info.value.code == "smime-recipient-key-unsupported"
    assert "Jürgen" not in str(info.value)


HEAD = b"From: a@x.example\r\nTo: b@y.example\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
_ENVELOPES = Path(__file__).resolve().parents[2] / "data" / "envelopes"
# Real envelopes made by openssl and gpg (see tests/data/envelopes/README).
P7M = (
    b"Content-Transfer-Encoding: base64\r\n\r\n" + (_ENVELOPES / "openssl-cbc.p7m.b64").read_bytes()
)
ARMOR = (_ENVELOPES / "gpg.asc").read_bytes()
# Look-alikes: a label or armor around something that is not an envelope.
FAKE_ARMOR = (
    b"-----BEGIN PGP MESSAGE-----\r\n\r\nhQEMA2x0\r\n=abcd\r\n-----END PGP MESSAGE-----\r\n"
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            HEAD
            + b"Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n"
            + P7M,
            "smime",
        ),
        (
            HEAD
            + b"Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n\r\nMIIB\r\n",
            None,
        ),
        (
            HEAD
            + b"Content-Type: application/pkcs7-mime; smime-type=authEnveloped-data\r\n\r\nMIIB\r\n",
            None,
        ),
        (
            HEAD + b"Content-Type: application/x-pkcs7-mime; smime-type=enveloped-data\r\n" + P7M,
            "smime",
        ),
        (HEAD + b"Content-Type: application/x-pkcs7-mime; name=smime.p7m\r\n" + P7M, "smime"),
        (
            HEAD + b"Content-Type: application/pkcs7-mime; smime-type=signed-data\r\n\r\nMIIB\r\n",
            None,
        ),
        (
            HEAD
            + b'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary=b\r\n\r\n'
            + b"--b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n"
            + b"--b\r\nContent-Type: application/octet-stream\r\n\r\n"
            + ARMOR
            + b"--b--\r\n",
            "pgp",
        ),
        (
            HEAD
            + b'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; boundary=s\r\n\r\n'
            + b"--s\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n"
            + P7M
            + b"--s\r\nContent-Type: application/pkcs7-signature\r\n\r\nMIIB\r\n--s--\r\n",
            "smime",
        ),
        (HEAD + b"Content-Type: text/plain\r\n\r\n" + ARMOR, "pgp"),
        (HEAD + b"Content-Type: text/plain\r\n\r\n" + FAKE_ARMOR, None),
        (HEAD + b"\r\n\r\n" + ARMOR, "pgp"),
        (HEAD + b"Content-Type: text/plain\r\n\r\nPatient J. Doe, see below\r\n" + ARMOR, None),
        (
            HEAD
            + b"Content-Type: multipart/mixed; boundary=m\r\n\r\n"
            + b"--m\r\nContent-Type: text/plain\r\n\r\n"
            + ARMOR
            + b"--m\r\nContent-Type: application/pdf; name=a.pdf\r\n\r\n%PDF-1.4\r\n--m--\r\n",
            None,
        ),
        (
            HEAD
            + b"Content-Type: multipart/mixed; boundary=m\r\n\r\n"
            + b"--m\r\nContent-Type: text/plain\r\n\r\n"
            + ARMOR
            + b"--m\r\nContent-Type: application/octet-stream; name=a.pdf.pgp\r\n\r\n\x85\x01\r\n--m--\r\n",
            None,
        ),
        (MESSAGE, None),
        (HEAD + b"Content-Type: text/plain\r\n\r\nhello\r\n", None),
    ],
    ids=[
        "pkcs7-enveloped",
        "pkcs7-enveloped-label-only",
        "pkcs7-authenveloped-label-only",
        "x-pkcs7-enveloped",
        "x-pkcs7-no-smime-type",
        "pkcs7-signed-only",
        "pgp-mime",
        "signed-wrapping-enveloped",
        "inline-pgp",
        "inline-fake-armor",
        "inline-pgp-no-ctype",
        "pgp-quoted-in-clear-text",
        "inline-pgp-with-clear-attachment",
        "inline-pgp-with-fake-pgp-file",
        "clear-multipart",
        "clear-text",
    ],
)
def test_is_encrypted(raw: bytes, expected: str | None) -> None:
    """is_encrypted recognises S/MIME and PGP encryption and never mistakes partly clear mail for it."""
    assert is_encrypted(raw) == expected
