"""Issue 4 end to end on loopback: one message, three recipients, three treatments; notices;
quarantine and release; monitor mode; before-queue refusal. Real openssl and gpg decrypt."""

from __future__ import annotations

import email
import email.policy
import io
import shutil
import smtplib
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from gateway.crypto.pgp import PgpKeyring
from gateway.keys import CertStore
from tests.support import POLICIES, REPO
from tests.support.gateway import make_settings, port_of, running_gateway
from tests.support.mail import text_mail
from tests.support.pgp import gen_key, gpg
from tests.support.pki import Pki

PATIENT = "Tobias Lindqvist"
MRN = "5521870"
SMIME_RCPT = "intake@heart.example"
PGP_RCPT = "claims@billing-partner.example"
NOKEY_RCPT = "frontdesk@other-clinic.example"
SENDER = "hpark@practice.example"
GROUPS = {
    "internal": {"domains": ["practice.example"]},
    "business_associates": {"domains": ["heart.example", "billing-partner.example"]},
}


def _referral() -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Dr. Helen Park <{SENDER}>"
    msg["To"] = f"Intake <{SMIME_RCPT}>, Claims <{PGP_RCPT}>"
    msg["Cc"] = f"Front Office <{NOKEY_RCPT}>"
    msg["Subject"] = f"Referral for {PATIENT}"
    msg["Message-ID"] = "<referral-e2e@practice.example>"
    msg.set_content(
        f"Referral for patient {PATIENT}, DOB 09/30/1958, MRN {MRN}.\n"
        "Diagnosis: atrial fibrillation (I48.91). Current medication: apixaban 5 mg twice daily.\n"
        "Za\u0142\u0105czam wyniki - résumé attached.\n"
    )
    msg.add_alternative(f"<p>Referral for <b>{PATIENT}</b>, MRN {MRN}.</p>", subtype="html")
    msg.add_attachment(
        b"test,value\r\nLVEF,55%\r\n", maintype="text", subtype="csv", filename="echo.csv"
    )
    return msg.as_bytes(policy=email.policy.SMTP)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """An S/MIME certificate for one partner and a trusted OpenPGP key for another."""
    base = tmp_path_factory.mktemp("keys")
    pki = Pki(base / "pki")
    cert = pki.issue(SMIME_RCPT, stem="intake")
    store_dir = base / "certs"
    store = CertStore(store_dir, [pki.root.cert_path], [])
    store.import_certificates([cert.cert, pki.intermediate.cert], source="test")
    assert store.lookup(SMIME_RCPT).cert is not None
    recipient_home = Path(tempfile.mkdtemp(prefix="pg", dir="/tmp"))
    gateway_home = Path(tempfile.mkdtemp(prefix="pg", dir="/tmp"))
    fpr = gen_key(recipient_home, PGP_RCPT)
    with PgpKeyring(gateway_home) as ring:
        ring.import_keys(gpg(recipient_home, "--armor", "--export", fpr))
        ring.trust(fpr, PGP_RCPT)
    yield {
        "pki": pki,
        "cert": cert,
        "store_dir": store_dir,
        "recipient_home": recipient_home,
        "gateway_home": gateway_home,
    }
    subprocess.run(["gpgconf", "--homedir", str(recipient_home), "--kill", "all"], check=False)
    subprocess.run(["gpgconf", "--homedir", str(gateway_home), "--kill", "all"], check=False)
    shutil.rmtree(recipient_home, ignore_errors=True)
    shutil.rmtree(gateway_home, ignore_errors=True)


def _settings(tmp_path: Path, sink_port: int, keys: dict, **extra):
    return make_settings(
        tmp_path,
        sink_port,
        policy_file=str(POLICIES / "default.yaml"),
        groups=GROUPS,
        smime={
            "store_dir": str(keys["store_dir"]),
            "trust_anchors": [str(keys["pki"].root.cert_path)],
        },
        pgp={"home": str(keys["gateway_home"])},
        **extra,
    )


def _send(port: int, raw: bytes, rcpts: list[str]) -> tuple[int, bytes]:
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as s:
        s.ehlo()
        s.mail(SENDER)
        for r in rcpts:
            assert s.rcpt(r)[0] == 250
        return s.data(raw)


def _inner_entity(raw: bytes) -> bytes:
    """The original message's MIME entity: its Content-* header fields and body."""
    head, _, body = raw.partition(b"\r\n\r\n")
    fields: list[bytes] = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += b"\r\n" + line
        else:
            fields.append(line)
    content = [f for f in fields if f.lower().startswith(b"content-")]
    return b"\r\n".join(content) + b"\r\n\r\n" + body


def test_three_recipients_three_treatments_and_real_tools_decrypt(tmp_path: Path, sink, keys):
    """S/MIME partner, PGP partner, and a recipient with no key who falls back to block + notice."""
    raw = _referral()
    with running_gateway(_settings(tmp_path, sink[1], keys)) as gw:
        code, text = _send(port_of(gw), raw, [SMIME_RCPT, PGP_RCPT, NOKEY_RCPT])
    assert code == 250, text
    got = {tuple(m.rcpt_tos): m for m in sink[0].messages}
    assert set(got) == {(SMIME_RCPT,), (PGP_RCPT,), (SENDER,)}
    for m in got.values():
        assert PATIENT.encode() not in m.content and MRN.encode() not in m.content

    # S/MIME: openssl decrypts to the original entity, with the subject protected inside.
    smime = got[(SMIME_RCPT,)].content
    outer = email.message_from_bytes(smime)
    assert outer.get_content_type() == "application/pkcs7-mime"
    assert outer["Subject"] == "Encrypted message"
    msg_file = tmp_path / "smime.eml"
    msg_file.write_bytes(smime)
    out = subprocess.run(
        [
            "openssl",
            "cms",
            "-decrypt",
            "-in",
            str(msg_file),
            "-recip",
            str(keys["cert"].cert_path),
            "-inkey",
            str(keys["cert"].key_path),
        ],
        capture_output=True,
        timeout=60,
        check=True,
    ).stdout
    assert f"Subject: Referral for {PATIENT}".encode() in out
    original_entity = _inner_entity(raw)
    assert out.replace(b"\r\n", b"\n").endswith(
        original_entity.split(b"\r\n\r\n", 1)[1].replace(b"\r\n", b"\n")
    )

    # OpenPGP: gpg decrypts to the original entity byte for byte (protected headers first).
    pgp = got[(PGP_RCPT,)].content
    assert email.message_from_bytes(pgp).get_content_type() == "multipart/encrypted"
    armored = pgp[
        pgp.index(b"-----BEGIN PGP MESSAGE-----") : pgp.index(b"-----END PGP MESSAGE-----") + 25
    ]
    plain = gpg(keys["recipient_home"], "--decrypt", data=armored)
    # The inner Content-Type gains protected-headers="v1"; the rest is byte for byte.
    inner_body = original_entity.split(b"\r\n\r\n", 1)[1]
    assert plain.endswith(b"\r\n\r\n" + inner_body)
    assert b'protected-headers="v1"' in plain.split(b"\r\n\r\n", 1)[0]

    # No key: the sender is told, with the reference, rule and what was found in plain words,
    # never a preview (not even a masked one: it keeps the birth year) nor an entity code.
    notice = got[(SENDER,)]
    assert notice.mail_from == "<>"
    ref = text.decode().rsplit("ref ", 1)[1].rstrip(")")
    body = notice.content.decode()
    shown = email.message_from_bytes(notice.content, policy=email.policy.default)
    plain = shown.get_body(("plain",))
    assert isinstance(plain, EmailMessage)
    words = " ".join(plain.get_content().split())
    assert ref in body and "phi-elsewhere" in body and "medical record number" in words
    assert "MRN" not in words and "1958" not in words


def test_quarantine_stores_encrypted_notifies_and_release_delivers(tmp_path: Path, sink, keys):
    """An unscannable attachment is quarantined (250 only after the store), the sender is told,
    and `phigate quarantine release` delivers the original once."""
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        z.writestr("notes.txt", "scan notes")
    data = bytearray(zbuf.getvalue())
    # Mark the member encrypted (bit 0 of its flags, local and central headers): unreadable to us.
    data[6] |= 1
    central = data.index(b"PK\x01\x02")
    data[central + 8] |= 1
    msg = text_mail(SENDER, "records@unknown.example", "Files", "See attached.")
    msg.add_attachment(bytes(data), maintype="application", subtype="zip", filename="files.zip")
    raw = msg.as_bytes(policy=email.policy.SMTP)
    settings = _settings(tmp_path, sink[1], keys)
    with running_gateway(settings) as gw:
        code, text = _send(port_of(gw), raw, ["records@unknown.example"])
    assert code == 250 and b"ref PG-" in text
    # The sending MTA logs this reply: it says the message was held, not "delivered".
    assert b"quarantined for review" in text and b"delivered" not in text
    assert [m.rcpt_tos for m in sink[0].messages] == [[SENDER]], "only the notice went out"
    assert "quarantine" in sink[0].messages[0].content.decode().lower()
    db = (tmp_path / "quarantine.db").read_bytes()
    assert b"scan notes" not in db and b"records@unknown.example" not in db

    cfg = tmp_path / "cli.yaml"
    cfg.write_text(
        f"next_hop: {settings.next_hop}\n"
        f"quarantine: {{url: '{settings.quarantine.url}', master_key_file: '{settings.quarantine.master_key_file}'}}\n"
        f"audit: {{url: '{settings.audit.url}', key_file: '{settings.audit.key_file}'}}\n"
    )
    from gateway.cli.main import main

    listing = subprocess.run(
        [str(REPO / ".venv/bin/phigate"), "quarantine", "list", "--config", str(cfg)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listing.returncode == 0, listing.stderr
    entry_id = next(
        line.split()[0] for line in listing.stdout.splitlines() if "unscannable" in line
    )
    assert main(["quarantine", "release", entry_id, "--config", str(cfg)]) == 0
    released = [m for m in sink[0].messages if m.rcpt_tos == ["records@unknown.example"]]
    assert len(released) == 1 and released[0].content == raw


def test_monitor_mode_delivers_unchanged(tmp_path: Path, sink, keys):
    """With monitor: true the message goes out as it came, to every recipient."""
    policy = tmp_path / "monitor.yaml"
    policy.write_text(
        (POLICIES / "default.yaml").read_text().replace("monitor: false", "monitor: true")
    )
    raw = _referral()
    settings = _settings(tmp_path, sink[1], keys).clone(policy_file=policy)
    with running_gateway(settings) as gw:
        code, _ = _send(port_of(gw), raw, [SMIME_RCPT, NOKEY_RCPT])
    assert code == 250
    assert [(m.rcpt_tos, m.content) for m in sink[0].messages] == [([SMIME_RCPT, NOKEY_RCPT], raw)]


def test_a_blocked_message_is_not_reported_as_delivered(tmp_path: Path, sink, keys):
    """Only the sender's notice goes out, and the 250 (which Postfix logs as status=sent) says the
    message was blocked and the sender told, with the reference, never "delivered"."""
    with running_gateway(_settings(tmp_path, sink[1], keys)) as gw:
        code, text = _send(port_of(gw), _referral(), [NOKEY_RCPT])
    assert code == 250
    assert b"blocked by policy, sender notified" in text and b"ref PG-" in text
    assert b"delivered" not in text
    assert [m.rcpt_tos for m in sink[0].messages] == [[SENDER]]


def test_before_queue_mode_refuses_in_the_smtp_reply(tmp_path: Path, sink, keys):
    """With block_reply: reject, a message blocked for everyone gets 550 5.7.1 with the reference."""
    settings = _settings(
        tmp_path,
        sink[1],
        keys,
        notices={"postmaster": "postmaster@practice.example", "block_reply": "reject"},
    )
    with running_gateway(settings) as gw:
        code, text = _send(port_of(gw), _referral(), [NOKEY_RCPT])
    assert code == 550 and text.startswith(b"5.7.1") and b"ref PG-" in text
    assert sink[0].messages == []
