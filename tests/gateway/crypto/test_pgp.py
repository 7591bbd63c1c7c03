"""OpenPGP encryption through the gateway keyring, checked against a real `gpg --decrypt`."""

from __future__ import annotations

import email
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

import pytest

from gateway.cli.pgp import (
    PgpCommandFailed,
    import_pgp,
    parse_span,
    pgp_rows,
    trust_pgp,
    untrust_pgp,
)
from gateway.crypto.pgp import (
    InlinePgpUnsupported,
    PgpHomeError,
    PgpKeyImportError,
    PgpKeyRefused,
    PgpKeyring,
    PgpTrustDbError,
)
from tests.support.pgp import gen_key, gpg


@dataclass
class World:
    """A recipient-side keyring holding every test secret key, and the gateway's own keyring."""

    recipient_home: Path
    ring: PgpKeyring
    fprs: dict[str, str]
    signer: str


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    """Test keys generated once: usable, expired, revoked, sign-only, duplicated and expiring."""
    rhome = Path(tempfile.mkdtemp(prefix="pg", dir="/tmp"))
    ghome = Path(tempfile.mkdtemp(prefix="pg", dir="/tmp"))
    fprs = {
        "alice": gen_key(rhome, "alice@example.org"),
        "bob": gen_key(rhome, "bob@example.org", expire="1d", at="20200101T000000"),
        "carol": gen_key(rhome, "carol@example.org"),
        "dave": gen_key(rhome, "dave@example.org", encrypt=False),
        "erin1": gen_key(rhome, "erin@example.org"),
        "erin2": gen_key(rhome, "erin@example.org"),
        "fay": gen_key(rhome, "fay@example.org", expire="10d"),
        "gus": gen_key(rhome, "gus@example.org"),
        "hank": gen_key(rhome, "hank@example.org", encrypt=False, at="20200101T000000"),
    }
    # hank: a primary that never expires whose only encryption subkey expired in 2020.
    gpg(
        rhome,
        *("--faked-system-time", "20200101T000000", "--pinentry-mode", "loopback"),
        *("--passphrase", "", "--quick-add-key", fprs["hank"], "cv25519", "encr", "1d"),
    )
    ring = PgpKeyring(ghome)
    try:
        publics = gpg(rhome, "--export", *fprs.values())
        imported = ring.import_keys(publics)
        assert {k.fingerprint for k in imported} == set(fprs.values())
        rev = (rhome / "openpgp-revocs.d" / f"{fprs['carol']}.rev").read_bytes()
        ring.import_keys(rev.replace(b":-----BEGIN", b"-----BEGIN"))
        for name in ("alice", "bob", "carol", "dave", "fay", "hank"):
            ring.trust(fprs[name], f"{name}@example.org")
        signer = ring.create_signing_key("gateway@practice.example")
        gpg(rhome, "--import", data=gpg(ghome, "--export", signer))
        yield World(rhome, ring, fprs, signer)
    finally:
        ring.close()
        subprocess.run(["gpgconf", "--homedir", str(rhome), "--kill", "all"], check=False)
        shutil.rmtree(rhome, ignore_errors=True)
        shutil.rmtree(ghome, ignore_errors=True)


# The original headers that protect_subject copies into the encrypted entity, in two runs.
ORIGINATOR = (
    b"From: Dr Who <dr@practice.example>\r\n"
    b"To: Alice <alice@example.org>\r\n"
    b"Cc: nurse@practice.example\r\n"
    b"Subject: Lab results for J. Smith\r\n"
    b"Date: Mon, 02 Mar 2026 10:00:00 +0000\r\n"
    b"Message-ID: <m1@practice.example>\r\n"
)
REPLY_AND_PATIENT = b"Reply-To: desk@practice.example\r\nX-Patient-Id: 12345\r\n"
OUTER = (
    b"Received: from ws1.practice.example by mx\r\n"
    + ORIGINATOR
    + b"In-Reply-To: <m0@example.org>\r\n"
    b"References: <m0@example.org>\r\n" + REPLY_AND_PATIENT + b"MIME-Version: 1.0\r\n"
)
CONTENT_HEADERS = b'Content-Type: multipart/mixed;\r\n boundary="outer"\r\n'
BODY = (
    b"--outer\r\n"
    b'Content-Type: multipart/alternative; boundary="alt"\r\n\r\n'
    b"--alt\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n\r\n"
    + "Grüße, Ärztin — résultats ✓\r\n".encode()
    + b"--alt\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n\r\n"
    + "<p>Grüße <b>✓</b></p>\r\n".encode()
    + b"--alt--\r\n"
    b"--outer\r\n"
    b'Content-Type: application/pdf; name="lab.pdf"\r\n'
    b'Content-Disposition: attachment; filename="lab.pdf"\r\n'
    b"Content-Transfer-Encoding: base64\r\n\r\n"
    b"JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PD4+CmVuZG9iagp0cmFpbGVyCjw8Pj4KJSVFT0YK\r\n"
    b"--outer--\r\n"
)
RAW = OUTER + CONTENT_HEADERS + b"\r\n" + BODY


def _armored_part(message: bytes) -> tuple[email.message.EmailMessage, bytes]:
    msg = email.message_from_bytes(message, policy=policy.default)
    assert isinstance(msg, email.message.EmailMessage)
    parts = list(msg.iter_parts())
    assert len(parts) == 2
    payload = parts[1].get_payload(decode=True)
    assert isinstance(payload, bytes)
    return msg, payload


def _decrypt(world: World, armored: bytes) -> tuple[bytes, str]:
    proc = subprocess.run(
        ["gpg", "--homedir", str(world.recipient_home), "--batch", "--no-tty"]
        + ["--pinentry-mode", "loopback", "--passphrase", "", "--status-fd", "2", "--decrypt"],
        input=armored,
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return proc.stdout, proc.stderr.decode(errors="replace")


def test_pgp_mime_inner_entity_is_byte_exact(world: World) -> None:
    """HTML, an attachment and UTF-8 text decrypt with gpg to exactly the original MIME entity,
    after the free-text header fields that may not stay outside (X-Patient-Id)."""
    out = world.ring.encrypt_pgp_mime(RAW, [world.fprs["alice"]])
    msg, armored = _armored_part(out)
    assert msg.get_content_type() == "multipart/encrypted"
    assert msg.get_param("protocol") == "application/pgp-encrypted"
    version, data = msg.iter_parts()
    assert version.get_content_type() == "application/pgp-encrypted"
    assert str(version.get_payload()).strip() == "Version: 1"
    assert data.get_content_type() == "application/octet-stream"
    assert armored.startswith(b"-----BEGIN PGP MESSAGE-----")
    plaintext, _ = _decrypt(world, armored)
    assert plaintext == b"X-Patient-Id: 12345\r\n" + CONTENT_HEADERS + b"\r\n" + BODY


def test_outer_headers_are_the_listed_ones_only(world: World) -> None:
    """Addressing and threading headers stay outside; X-Patient-Id and Received do not."""
    out = world.ring.encrypt_pgp_mime(RAW, [world.fprs["alice"]])
    head = out.split(b"\r\n\r\n", 1)[0] + b"\r\n"
    for line in OUTER.splitlines(keepends=True):
        if line.startswith((b"Received", b"X-Patient-Id")):
            assert line not in head
        else:
            assert line in head
    assert b"\n" not in out.replace(b"\r\n", b"")


def test_protected_subject_moves_inside(world: World) -> None:
    """With protect_subject the outer Subject is neutral and the inner entity gains the protected
    headers (Subject, From, To, Cc, Date, Message-ID, Reply-To) and protected-headers="v1"."""
    out = world.ring.encrypt_pgp_mime(
        RAW, [world.fprs["alice"]], protect_subject=True, neutral_subject="Secure message"
    )
    msg, armored = _armored_part(out)
    assert msg["Subject"] == "Secure message"
    assert b"J. Smith" not in out
    plaintext, _ = _decrypt(world, armored)
    protected = ORIGINATOR + REPLY_AND_PATIENT
    marked = CONTENT_HEADERS.replace(b'"outer"\r\n', b'"outer";\r\n protected-headers="v1"\r\n')
    assert plaintext == protected + marked + b"\r\n" + BODY


def test_bare_lf_input_is_canonicalised_to_crlf(world: World) -> None:
    """A message with bare LF line endings is encrypted in CRLF canonical form."""
    raw = RAW.replace(b"\r\n", b"\n")
    out = world.ring.encrypt_pgp_mime(raw, [world.fprs["alice"]])
    _, armored = _armored_part(out)
    plaintext, _ = _decrypt(world, armored)
    assert plaintext == b"X-Patient-Id: 12345\r\n" + CONTENT_HEADERS + b"\r\n" + BODY


def test_signed_message_verifies(world: World) -> None:
    """Sign+encrypt with the gateway key gives a good signature from that key on decrypt."""
    out = world.ring.encrypt_pgp_mime(RAW, [world.fprs["alice"]], sign_with=world.signer)
    _, armored = _armored_part(out)
    plaintext, status = _decrypt(world, armored)
    assert plaintext == b"X-Patient-Id: 12345\r\n" + CONTENT_HEADERS + b"\r\n" + BODY
    assert "[GNUPG:] GOODSIG" in status
    assert f"[GNUPG:] VALIDSIG {world.signer}" in status


def test_unsigned_message_has_no_signature(world: World) -> None:
    """Without sign_with the decrypted message carries no signature at all."""
    out = world.ring.encrypt_pgp_mime(RAW, [world.fprs["alice"]])
    _, status = _decrypt(world, _armored_part(out)[1])
    assert "SIG" not in status.replace("NEWSIG", "")


def test_signing_with_a_recipient_only_key_is_refused(world: World) -> None:
    """A key the gateway holds no secret for cannot be used to sign."""
    with pytest.raises(PgpKeyRefused) as err:
        world.ring.encrypt_pgp_mime(RAW, [world.fprs["alice"]], sign_with=world.fprs["alice"])
    assert err.value.problem == "not-found"


def test_inline_plain_text_decrypts(world: World) -> None:
    """A quoted-printable text/plain message becomes an inline PGP block of its UTF-8 text, with
    the subject inside the encryption and a neutral one outside."""
    raw = (
        b"From: dr@practice.example\r\nTo: alice@example.org\r\nSubject: Hi\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        b"Gr=FC=DFe\r\nline two\r\n"
    )
    out = world.ring.encrypt_inline(raw, [world.fprs["alice"]], sign_with=world.signer)
    msg = email.message_from_bytes(out, policy=policy.default)
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content_charset() == "utf-8"
    assert msg["Subject"] == "Encrypted message"
    assert b"Hi" not in out.split(b"\r\n\r\n", 1)[0]
    body = out.split(b"\r\n\r\n", 1)[1]
    assert body.startswith(b"-----BEGIN PGP MESSAGE-----")
    plaintext, status = _decrypt(world, body)
    assert plaintext == "Subject: Hi\r\n\r\nGrüße\r\nline two\r\n".encode()
    assert f"VALIDSIG {world.signer}" in status


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(CONTENT_HEADERS + b"\r\n" + BODY, id="multipart"),
        pytest.param(b"Content-Type: text/html; charset=utf-8\r\n\r\n<p>x</p>\r\n", id="html"),
        pytest.param(
            b"Content-Type: text/plain\r\nContent-Disposition: attachment; filename=a.txt\r\n"
            b"\r\nx\r\n",
            id="attachment",
        ),
    ],
)
def test_inline_refuses_anything_but_single_text_plain(world: World, content: bytes) -> None:
    """Multipart, HTML and attached text make inline PGP refuse so the caller falls back."""
    raw = b"From: a@practice.example\r\nTo: alice@example.org\r\nMIME-Version: 1.0\r\n" + content
    with pytest.raises(InlinePgpUnsupported):
        world.ring.encrypt_inline(raw, [world.fprs["alice"]])


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("Alice <ALICE@example.org>", None),
        ("gus@example.org", "untrusted"),
        ("bob@example.org", "expired"),
        ("carol@example.org", "revoked"),
        ("dave@example.org", "unusable"),
        ("hank@example.org", "expired"),
        ("nobody@example.org", "not-found"),
    ],
)
def test_lookup_problems(world: World, address: str, problem: str | None) -> None:
    """Only a trusted, unexpired, unrevoked key with an encryption subkey is returned."""
    result = world.ring.lookup(address)
    assert result.problem == problem
    if problem is None:
        assert result.fingerprint == world.fprs["alice"]
    else:
        assert result.fingerprint is None


@pytest.mark.parametrize(
    ("name", "problem"),
    [("gus", "untrusted"), ("bob", "expired"), ("carol", "revoked"), ("dave", "unusable")],
)
def test_encrypt_refuses_keys_the_trust_model_rejects(
    world: World, name: str, problem: str
) -> None:
    """Encryption re-checks fingerprints, so a refused key is never passed to gpg with always-trust."""
    with pytest.raises(PgpKeyRefused) as err:
        world.ring.encrypt_pgp_mime(RAW, [world.fprs["alice"], world.fprs[name]])
    assert err.value.problem == problem


def test_two_keys_for_one_address(world: World) -> None:
    """Two keys: untrusted until one is trusted, ambiguous when both are, resolved by untrust."""
    ring, erin1, erin2 = world.ring, world.fprs["erin1"], world.fprs["erin2"]
    first = ring.lookup("erin@example.org")
    assert (first.problem, first.fingerprint) == ("untrusted", None)
    assert "2 keys" in first.detail
    ring.trust(erin2, "erin@example.org")
    assert ring.lookup("erin@example.org").fingerprint == erin2
    ring.trust(erin1, "erin@example.org")
    both = ring.lookup("erin@example.org")
    assert (both.problem, both.fingerprint) == ("ambiguous", None)
    with pytest.raises(PgpKeyRefused):
        ring.trust(erin1, "alice@example.org")
    assert ring.untrust(erin2, "erin@example.org") == 1
    assert ring.lookup("erin@example.org").fingerprint == erin1
    assert ring.untrust(erin1) == 1


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"not a key at all\n" * 20, id="text"),
        pytest.param(bytes(range(256)) * 4, id="binary-noise"),
        pytest.param(
            b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nbm90IGEga2V5\n=AAAA\n"
            b"-----END PGP PUBLIC KEY BLOCK-----\n",
            id="armored-garbage",
        ),
    ],
)
def test_garbage_key_files_are_refused(world: World, data: bytes) -> None:
    """Input with no OpenPGP public key raises a clear import error and changes nothing."""
    before = world.ring.list_keys()
    with pytest.raises(PgpKeyImportError, match="no OpenPGP public key"):
        world.ring.import_keys(data)
    assert world.ring.list_keys() == before


def test_secret_key_input_is_refused(world: World) -> None:
    """A secret-key export is refused as a recipient key and is not imported."""
    secret = gpg(world.recipient_home, "--export-secret-subkeys", world.fprs["gus"])
    assert secret
    before = world.ring.list_keys()
    with pytest.raises(PgpKeyImportError, match="secret key"):
        world.ring.import_keys(secret)
    assert world.ring.list_keys() == before
    assert gpg(world.ring.home, "--list-secret-keys", world.fprs["gus"], check=False) == b""


def test_list_keys_and_expiring(world: World) -> None:
    """Rows report status and expiry; only the key ending within the window is expiring."""
    rows = {(r["address"], r["fingerprint"]): r for r in world.ring.list_keys()}
    alice = rows[("alice@example.org", world.fprs["alice"])]
    assert alice["kind"] == "pgp" and alice["status"] == "ok" and alice["expires"] is None
    assert rows[("bob@example.org", world.fprs["bob"])]["status"] == "expired"
    assert rows[("carol@example.org", world.fprs["carol"])]["status"] == "revoked"
    assert rows[("gus@example.org", world.fprs["gus"])]["status"] == "untrusted"
    assert rows[("gateway@practice.example", world.signer)]["status"] == "signing"
    fay = rows[("fay@example.org", world.fprs["fay"])]
    fay_ends = datetime.fromisoformat(fay["expires"])
    now = datetime.now(UTC)
    assert timedelta(days=9) < fay_ends - now <= timedelta(days=10)
    soon = {r["fingerprint"] for r in world.ring.expiring(timedelta(days=30), now=now)}
    assert world.fprs["fay"] in soon
    assert world.signer not in soon
    assert world.fprs["alice"] not in soon and world.fprs["bob"] not in soon
    assert world.fprs["fay"] not in {
        r["fingerprint"] for r in world.ring.expiring(timedelta(days=5), now=now)
    }


def test_home_path_too_long_is_refused() -> None:
    """A GNUPGHOME too long for gpg-agent's socket is refused before anything is created."""
    home = Path("/tmp/" + "p" * 90)
    with pytest.raises(PgpHomeError, match="characters"):
        PgpKeyring(home)
    assert not home.exists()


def test_home_is_created_private(tmp_path: Path) -> None:
    """A missing keyring directory is created with mode 0700; a world-readable one is refused."""
    base = Path(tempfile.mkdtemp(prefix="pg", dir="/tmp"))
    try:
        ring = PgpKeyring(base / "ring")
        assert (base / "ring").stat().st_mode & 0o777 == 0o700
        ring.close()
        open_home = base / "open"
        open_home.mkdir(mode=0o755)
        os.chmod(open_home, 0o755)
        with pytest.raises(PgpHomeError, match="chmod 700"):
            PgpKeyring(open_home)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_corrupt_trust_db_fails_closed() -> None:
    """A malformed trust file makes lookups fail with a clear error instead of trusting anyone."""
    home = Path(tempfile.mkdtemp(prefix="pg", dir="/tmp"))
    try:
        (home / "phigate-trust.json").write_text("{not json")
        with PgpKeyring(home) as ring, pytest.raises(PgpTrustDbError):
            ring.lookup("alice@example.org")
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_cli_functions(world: World) -> None:
    """import_pgp, trust_pgp, untrust_pgp and pgp_rows work on a fresh keyring from a key file."""
    home = Path(tempfile.mkdtemp(prefix="pg", dir="/tmp"))
    try:
        keyfile = home / "gus.asc"
        keyfile.write_bytes(gpg(world.recipient_home, "--armor", "--export", world.fprs["gus"]))
        summary = import_pgp(home, keyfile)
        assert world.fprs["gus"] in summary and "untrusted" in summary
        assert "now encrypts to " + world.fprs["gus"] in trust_pgp(
            home, world.fprs["gus"], "gus@example.org"
        )
        rows = pgp_rows(home)
        assert [(r["address"], r["status"]) for r in rows] == [("gus@example.org", "ok")]
        assert pgp_rows(home, parse_span("30d")) == []
        assert "removed 1" in untrust_pgp(home, world.fprs["gus"])
        with pytest.raises(PgpCommandFailed, match="cannot read key file .*missing.asc"):
            import_pgp(home, home / "missing.asc")
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)
        shutil.rmtree(home, ignore_errors=True)


def test_imported_signing_key_signs() -> None:
    """An unprotected secret key imported as the gateway signing key produces good signatures."""
    keys = Path(tempfile.mkdtemp(prefix="pg", dir="/tmp"))
    home = Path(tempfile.mkdtemp(prefix="pg", dir="/tmp"))
    try:
        signer = gen_key(keys, "gw@practice.example", encrypt=False)
        rcpt = gen_key(keys, "rcpt@example.org")
        with PgpKeyring(home) as ring:
            with pytest.raises(PgpKeyImportError, match="no secret key"):
                ring.import_signing_key(gpg(keys, "--export", signer))
            ring.import_signing_key(gpg(keys, "--export-secret-keys", signer))
            ring.import_keys(gpg(keys, "--export", rcpt))
            ring.trust(rcpt, "rcpt@example.org")
            out = ring.encrypt_pgp_mime(RAW, [rcpt], sign_with=signer)
        _, armored = _armored_part(out)
        status = subprocess.run(
            ["gpg", "--homedir", str(keys), "--batch", "--status-fd", "1", "--decrypt"],
            input=armored,
            capture_output=True,
            timeout=60,
        ).stdout.decode()
        assert f"[GNUPG:] VALIDSIG {signer}" in status
    finally:
        subprocess.run(["gpgconf", "--homedir", str(keys), "--kill", "all"], check=False)
        shutil.rmtree(keys, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)


def test_neutral_subject_is_encoded_and_single_line(world: World) -> None:
    """A non-ASCII neutral Subject is RFC 2047 encoded; one with a line break is rejected."""
    out = world.ring.encrypt_pgp_mime(
        RAW, [world.fprs["alice"]], protect_subject=True, neutral_subject="Verschlüsselt"
    )
    assert b"Subject: =?utf-8?" in out
    msg = email.message_from_bytes(out, policy=policy.default)
    assert msg["Subject"] == "Verschlüsselt"
    with pytest.raises(ValueError, match="single line"):
        world.ring.encrypt_pgp_mime(
            RAW, [world.fprs["alice"]], protect_subject=True, neutral_subject="x\r\nBcc: a@b"
        )
