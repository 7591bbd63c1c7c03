"""What the gateway sends an S/MIME recipient by default opens in the clients practices use.

NSS (Thunderbird) and gpgsm read neither RSA-OAEP nor AuthEnvelopedData, so the default for a
recipient nobody configured is EnvelopedData with AES-256-CBC and RSA PKCS#1 v1.5. Each client
decrypts the message the real gateway produced. A missing tool fails the test by name: these
checks are the reason the default is what it is, and must not disappear quietly.
"""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from asn1crypto import cms
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from gateway.keys import CertStore
from tests.support.leak import SENDER, default_policy_gateway
from tests.support.pki import Issued, Pki
from tests.support.tools import need_tool

RCPT = "intake@heart.example"
PASSWORD = "interop-pw"
PHI = "Marisol Quintero-Abbott, DOB 03/14/1962, MRN 4471203"
MESSAGE = (
    f"From: Dr. Helen Park <{SENDER}>\r\n"
    f"To: {RCPT}\r\n"
    "Subject: Labs\r\n"
    "Message-ID: <interop-1@practice.example>\r\n"
    "Date: Mon, 16 Nov 2026 09:30:00 -0500\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    f"Patient {PHI}.\r\n"
    "HbA1c 8.1%; type 2 diabetes (E11.9), metformin 500 mg twice daily.\r\n"
).encode()

#: Debian package that ships each tool (the Makefile's system dependencies must list them).
TOOLS = {
    "openssl": "openssl",
    "certutil": "libnss3-tools",
    "pk12util": "libnss3-tools",
    "cmsutil": "libnss3-tools",
    "gpgsm": "gpgsm",
    "gpgconf": "gnupg",
}


def need(tool: str) -> str:
    """The path of a client tool, or a failure naming the package to install."""
    return need_tool(tool, TOOLS, "S/MIME interoperability")


def legacy_pkcs12(item: Issued, pki: Pki, path: Path) -> Path:
    """Key and certificates as PKCS#12 with 3DES/SHA-1, which gpgsm reads (it cannot read PBES2)."""
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(2048)
        .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
        .hmac_hash(hashes.SHA1())
        .build(PASSWORD.encode())
    )
    blob = pkcs12.serialize_key_and_certificates(
        b"intake", item.key, item.cert, [pki.intermediate.cert], encryption
    )
    path.write_bytes(blob)
    return path


@pytest.fixture(scope="module")
def sent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[bytes, Pki, Issued]]:
    """The message as the gateway delivered it to the S/MIME recipient, with default settings."""
    base = tmp_path_factory.mktemp("interop")
    pki = Pki(base / "pki")
    cert = pki.issue(RCPT, stem="intake")
    store = CertStore(base / "certs", [pki.root.cert_path], [])
    store.import_certificates([cert.cert, pki.intermediate.cert], source="test")
    overrides = {
        "smime": {"store_dir": str(base / "certs"), "trust_anchors": [str(pki.root.cert_path)]}
    }
    with default_policy_gateway(tmp_path_factory.mktemp("gw"), **overrides) as gw:
        outcome = gw.send(MESSAGE, rcpts=[RCPT])
    assert outcome.code == 250, outcome.reply
    (delivered,) = outcome.to(RCPT)
    yield delivered, pki, cert


def _der(message: bytes) -> bytes:
    parsed = email.message_from_bytes(message, policy=email.policy.compat32)
    assert parsed.get_content_type() == "application/pkcs7-mime"
    payload = parsed.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload


def _shows_original(plain: bytes) -> None:
    text = plain.replace(b"\r\n", b"\n").decode()
    assert "Content-Type: text/plain" in text
    assert PHI in text


def test_default_is_cbc_enveloped_data_with_pkcs1_v15(sent: tuple[bytes, Pki, Issued]) -> None:
    """An unconfigured recipient gets EnvelopedData, AES-256-CBC, RSA PKCS#1 v1.5, and no PHI outside."""
    message, _, _ = sent
    assert PHI.encode() not in message
    info = cms.ContentInfo.load(_der(message))
    assert info["content_type"].native == "enveloped_data"
    enveloped = info["content"]
    algorithm = enveloped["encrypted_content_info"]["content_encryption_algorithm"]
    assert algorithm["algorithm"].native == "aes256_cbc"
    (recipient,) = enveloped["recipient_infos"]
    assert recipient.name == "ktri"
    assert recipient.chosen["key_encryption_algorithm"]["algorithm"].native == "rsaes_pkcs1v15"


def test_openssl_decrypts_default_output(sent: tuple[bytes, Pki, Issued], tmp_path: Path) -> None:
    """openssl cms -decrypt opens the gateway's default S/MIME output."""
    message, _, cert = sent
    source = tmp_path / "in.eml"
    source.write_bytes(message)
    result = subprocess.run(
        [need("openssl"), "cms", "-decrypt", "-in", str(source)]
        + ["-recip", str(cert.cert_path), "-inkey", str(cert.key_path)],
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    _shows_original(result.stdout)


def test_nss_cmsutil_decrypts_default_output(
    sent: tuple[bytes, Pki, Issued], tmp_path: Path
) -> None:
    """NSS (what Thunderbird uses) decrypts the default output with cmsutil -D."""
    message, pki, cert = sent
    db = tmp_path / "nssdb"
    db.mkdir()
    password_file = tmp_path / "pw"
    password_file.write_text(PASSWORD)
    p12 = legacy_pkcs12(cert, pki, tmp_path / "intake.p12")
    for command in (
        [need("certutil"), "-N", "-d", f"sql:{db}", "--empty-password"],
        [need("pk12util"), "-i", str(p12), "-d", f"sql:{db}", "-w", str(password_file)],
    ):
        done = subprocess.run(command, capture_output=True, check=False)
        assert done.returncode == 0, done.stderr.decode()
    source, out = tmp_path / "in.p7m", tmp_path / "out"
    source.write_bytes(_der(message))
    result = subprocess.run(
        [need("cmsutil"), "-D", "-i", str(source), "-d", f"sql:{db}", "-o", str(out)],
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    _shows_original(out.read_bytes())


def test_gpgsm_decrypts_default_output(sent: tuple[bytes, Pki, Issued], tmp_path: Path) -> None:
    """gpgsm --decrypt (Kleopatra, KMail, Mutt) opens the default output."""
    message, pki, cert = sent
    gpgsm = need("gpgsm")
    home = Path(tempfile.mkdtemp(prefix="gs", dir="/tmp"))  # agent socket paths must stay short
    try:
        os.chmod(home, 0o700)
        (home / "gpgsm.conf").write_text("disable-crl-checks\n")
        (home / "gpg-agent.conf").write_text("allow-loopback-pinentry\n")
        env = {**os.environ, "GNUPGHOME": str(home)}
        batch = [gpgsm, "--batch", "--pinentry-mode", "loopback", "--passphrase-fd", "0"]

        def run(*args: str) -> subprocess.CompletedProcess[bytes]:
            return subprocess.run(
                [*batch, *args],
                input=PASSWORD.encode() + b"\n",
                env=env,
                capture_output=True,
                check=False,
            )

        source, out = tmp_path / "in.p7m", tmp_path / "out"
        source.write_bytes(_der(message))
        done = run("--import", str(pki.root.cert_path))
        assert done.returncode == 0, done.stderr.decode(errors="replace")
        # gpgsm's PKCS#12 reader refuses about one file in sixty that openssl reads, the same
        # file every time ("possibly bad passphrase"): it depends on the random salt. The key's
        # file is only the way in, so a refused one is made again with a new salt; what is under
        # test, the decryption of the gateway's message, gets no second try.
        for attempt in range(3):
            p12 = legacy_pkcs12(cert, pki, tmp_path / f"intake{attempt}.p12")
            done = run("--import", str(p12))
            if done.returncode == 0:
                break
        assert done.returncode == 0, done.stderr.decode(errors="replace")
        done = run("--decrypt", "--output", str(out), str(source))
        assert done.returncode == 0, done.stderr.decode(errors="replace")
        _shows_original(out.read_bytes())
    finally:
        subprocess.run([need("gpgconf"), "--homedir", str(home), "--kill", "all"], check=False)
        shutil.rmtree(home, ignore_errors=True)
