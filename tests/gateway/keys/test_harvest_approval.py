"""Harvested material waits for an officer: `phigate keys pending|approve|reject` on a real
certificate store and a real GnuPG keyring, with exit codes, audit events and errors that name the
fingerprint; `keys list` shows where each key came from."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from gateway.cli.context import Hooks
from gateway.cli.keys import smime_rows
from gateway.config import load_settings
from gateway.crypto.pgp import PgpKeyring
from gateway.crypto.smime import Signer, sign_message
from gateway.keys import CertStore
from gateway.keys.harvest import PgpHarvester
from gateway.services import Services
from tests.gateway.keys.test_harvest_pgp import autocrypt_mail
from tests.support.cli import phigate
from tests.support.pgp import gen_key, gpg
from tests.support.pki import Issued, Pki

PARTNER = "intake@heart.example"
PATIENT = "tobias.lindqvist@gmail.com"
OFFICER = "lab@lab.example"


def _mail(sender: str) -> bytes:
    return f"From: {sender}\r\nTo: x@practice.example\r\nSubject: hi\r\n\r\nhello\r\n".encode()


def _signed(who: Issued, pki: Pki, sender: str) -> bytes:
    return sign_message(_mail(sender), Signer(who.cert, who.key, (pki.intermediate.cert,)))


@pytest.fixture
def homes() -> Iterator[dict[str, Path]]:
    """The partner's and the gateway's GnuPG homes (short paths, agents stopped afterwards)."""
    made = {n: Path(tempfile.mkdtemp(prefix="pg", dir="/tmp")) for n in ("partner", "gateway")}
    yield made
    for home in made.values():
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)
        shutil.rmtree(home, ignore_errors=True)


class Events:
    """The audit hook: what the command recorded."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, action: str, details: Any) -> None:
        self.seen.append((action, dict(details)))


def _store(tmp_path: Path, pki: Pki) -> CertStore:
    return CertStore(tmp_path / "certs", [pki.root.cert_path], [], harvest="approve")


def _flags(tmp_path: Path, pki: Pki, gateway_home: Path) -> list[str]:
    return [
        "--store",
        str(tmp_path / "certs"),
        "--trust-anchor",
        str(pki.root.cert_path),
        "--pgp-home",
        str(gateway_home),
    ]


def test_smime_certificate_pending_until_approved(
    tmp_path: Path, pki: Pki, homes: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A certificate from verified signed mail is pending (not used), listed by `keys pending`,
    and used once `keys approve` ran; the approval is audited with the fingerprint only."""
    partner = pki.issue(PARTNER, stem="intake")
    store = _store(tmp_path, pki)
    learned = store.learn_from_signed(_signed(partner, pki, PARTNER), PARTNER, message="h1")
    assert learned.learned and "pending" in learned.reason
    assert not store.lookup(PARTNER).ok
    # A miss (not "untrusted"), so a lookup source may still find a usable certificate.
    assert store.lookup(PARTNER).problem == "not-found"
    assert "awaiting approval" in store.lookup(PARTNER).detail

    flags = _flags(tmp_path, pki, homes["gateway"])
    assert phigate(["keys", "pending", *flags]) == 0
    out = capsys.readouterr().out
    assert learned.fingerprint in out and "signed mail" in out

    events = Events()
    assert (
        phigate(["keys", "approve", *flags, learned.fingerprint[:20]], Hooks(audit_event=events))
        == 0
    )
    assert learned.fingerprint in capsys.readouterr().out
    assert events.seen == [("keys-approve", {"kind": "smime", "fingerprint": learned.fingerprint})]
    assert store.lookup(PARTNER).ok

    assert phigate(["keys", "list", *flags]) == 0
    row = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith(PARTNER))
    assert row.split()[4:6] == ["harvested", "valid"]


def test_smime_reject_keeps_certificate_out(
    tmp_path: Path, pki: Pki, homes: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A rejected certificate is never used, and the same signed mail does not bring it back."""
    partner = pki.issue(PARTNER, stem="intake2")
    store = _store(tmp_path, pki)
    signed = _signed(partner, pki, PARTNER)
    fp = store.learn_from_signed(signed, PARTNER).fingerprint
    events = Events()
    flags = _flags(tmp_path, pki, homes["gateway"])
    assert phigate(["keys", "reject", *flags, fp], Hooks(audit_event=events)) == 0
    assert events.seen == [("keys-reject", {"kind": "smime", "fingerprint": fp})]
    store.learn_from_signed(signed, PARTNER)
    assert store.lookup(PARTNER).problem == "not-found"
    assert store.pending() == ()
    # Deciding again names the fingerprint and fails with status 1.
    assert phigate(["keys", "approve", *flags, fp]) == 1
    err = capsys.readouterr().err
    assert fp in err and "phigate keys approve" in err


def test_officer_certificate_wins_over_harvested(tmp_path: Path, pki: Pki) -> None:
    """An officer-imported valid certificate stays in use even when a harvested one for the same
    address lasts longer and was approved."""
    store = CertStore(tmp_path / "certs", [pki.root.cert_path], [], harvest="auto")
    officer = pki.issue(OFFICER, stem="officer-lab")
    store.import_certificates([officer.cert], source="lab.pem")
    later = officer.cert.not_valid_after_utc.replace(year=officer.cert.not_valid_after_utc.year + 1)
    harvested = pki.issue(OFFICER, stem="harvested-lab", not_after=later)
    assert store.learn_from_signed(_signed(harvested, pki, OFFICER), OFFICER).learned
    found = store.lookup(OFFICER)
    assert found.ok and found.entry is not None
    assert found.entry.source == "lab.pem"


def test_pgp_pending_approve_reject_cli(
    tmp_path: Path, pki: Pki, homes: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """`keys pending` lists a harvested OpenPGP key with a patient-looking address masked,
    `keys approve` puts it in use (audited), a second approve fails naming the fingerprint, and
    `keys reject` of another pending key deletes it."""
    partner_key = gen_key(homes["partner"], PARTNER)
    patient_key = gen_key(homes["partner"], PATIENT)
    with PgpKeyring(homes["gateway"]) as ring:
        harvester = PgpHarvester(ring, "approve")
        for address, fpr in ((PARTNER, partner_key), (PATIENT, patient_key)):
            [taken] = harvester.harvest(
                autocrypt_mail(address, gpg(homes["partner"], "--export", fpr))
            )
            assert taken.taken, taken
    flags = _flags(tmp_path, pki, homes["gateway"])
    config = tmp_path / "phigate.yaml"
    config.write_text("groups:\n  business_associates:\n    domains: [heart.example]\n")
    assert phigate(["keys", "pending", "--config", str(config), *flags]) == 0
    out = capsys.readouterr().out
    assert partner_key in out and patient_key in out
    assert PARTNER in out  # a business associate's address is shown
    assert PATIENT not in out and "t***@gmail.com" in out

    events = Events()
    assert phigate(["keys", "approve", *flags, partner_key], Hooks(audit_event=events)) == 0
    assert events.seen == [("keys-approve", {"kind": "pgp", "fingerprint": partner_key})]
    capsys.readouterr()
    with PgpKeyring(homes["gateway"]) as ring:
        assert ring.lookup(PARTNER).fingerprint == partner_key

    assert phigate(["keys", "approve", *flags, partner_key]) == 1
    err = capsys.readouterr().err
    assert partner_key in err

    assert phigate(["keys", "reject", *flags, patient_key], Hooks(audit_event=events)) == 0
    assert PATIENT not in capsys.readouterr().out
    with PgpKeyring(homes["gateway"]) as ring:
        assert patient_key not in {k.fingerprint for k in ring.keys()}
        assert not ring.lookup(PATIENT).ok

    assert phigate(["keys", "list", "--json", *flags]) == 0
    rows = [json.loads(ln) for ln in capsys.readouterr().out.splitlines()]
    assert [(r["source"], r["status"]) for r in rows if r["address"] == PARTNER] == [
        ("harvested", "ok")
    ]
    # The table has the SOURCE column too.
    assert phigate(["keys", "list", *flags]) == 0
    table = capsys.readouterr().out.splitlines()
    assert "SOURCE" in table[0].split()
    assert "harvested" in next(ln for ln in table if ln.startswith(PARTNER)).split()


def test_unknown_fingerprint_fails_naming_it(
    tmp_path: Path, pki: Pki, homes: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A fingerprint nothing has (of either kind), or one that is not hex, fails with status 1."""
    flags = _flags(tmp_path, pki, homes["gateway"])
    for fpr in ("0123456789ABCDEF0123456789ABCDEF01234567", "deadbeefdeadbeef", "nothex!"):
        assert phigate(["keys", "approve", *flags, fpr]) == 1
        err = capsys.readouterr().err
        assert fpr in err and "keys pending" in err


def test_pipeline_hook_stores_pending_with_hashed_message_id(tmp_path: Path, pki: Pki) -> None:
    """Services.harvest (the pipeline's hook) under the default smime.harvest stores a signed
    partner's certificate as pending, with the Message-ID's keyed hash, and logs no address."""
    partner = pki.issue(PARTNER, stem="intake-hook")
    settings = load_settings(
        None,
        {
            "audit": {"url": f"sqlite:///{tmp_path}/a.db", "key_file": str(tmp_path / "a.key")},
            "smime": {
                "store_dir": str(tmp_path / "certs"),
                "trust_anchors": [str(pki.root.cert_path)],
            },
            "pgp": {"home": tempfile.mkdtemp(prefix="pg", dir="/tmp")},
        },
    )
    assert settings.smime.harvest == "approve" and settings.pgp.harvest == "approve"
    services = Services(settings, lambda value: "k-" + hashlib.sha256(value.encode()).hexdigest())
    mail = _mail(PARTNER).replace(b"Subject:", b"Message-ID: <m1@heart.example>\r\nSubject:")
    signed = sign_message(mail, Signer(partner.cert, partner.key, (pki.intermediate.cert,)))
    with capture_logs() as events:
        assert services.harvest(signed, PARTNER) is True
    assert PARTNER not in repr(events)
    [pending] = services.cert_store.pending()
    assert pending.source == "harvested"
    assert pending.message == "k-" + hashlib.sha256(b"<m1@heart.example>").hexdigest()
    assert not services.cert_store.lookup(PARTNER).ok
    shutil.rmtree(settings.pgp.home, ignore_errors=True)


def test_source_column_names_imported_harvested_and_looked_up(tmp_path: Path, pki: Pki) -> None:
    """keys list rows say where each certificate came from, never the officer's file name."""
    store = CertStore(tmp_path / "certs", [pki.root.cert_path], [], harvest="auto")
    officer = pki.issue("a@lab.example", stem="src-officer")
    found = pki.issue("b@lab.example", stem="src-lookup")
    mailed = pki.issue("c@lab.example", stem="src-mail")
    store.import_certificates([officer.cert], source="lab-certs.pem")
    store.import_certificates([found.cert], source="lookup:ldap")
    assert store.learn_from_signed(_signed(mailed, pki, "c@lab.example"), "c@lab.example").learned
    sources = {r["address"]: r["source"] for r in smime_rows(store)}
    assert sources == {
        "a@lab.example": "imported",
        "b@lab.example": "lookup:ldap",
        "c@lab.example": "harvested",
    }


def test_officer_import_of_a_pending_certificate_puts_it_in_use(tmp_path: Path, pki: Pki) -> None:
    """Importing (keys import) the very certificate that waits for approval is the officer's
    decision: it is in use and listed as imported from then on."""
    partner = pki.issue(PARTNER, stem="intake-import")
    store = _store(tmp_path, pki)
    assert "pending" in store.learn_from_signed(_signed(partner, pki, PARTNER), PARTNER).reason
    assert (
        phigate(["keys", "import", "--store", str(tmp_path / "certs"), str(partner.cert_path)]) == 0
    )
    assert store.pending() == ()
    found = store.lookup(PARTNER)
    assert found.ok and found.entry is not None and not found.entry.harvested


def test_a_lookup_never_revives_a_rejected_certificate(tmp_path: Path, pki: Pki) -> None:
    """A certificate the officer rejected stays out when a lookup source stores it again."""
    partner = pki.issue(PARTNER, stem="intake-lookup")
    store = _store(tmp_path, pki)
    fp = store.learn_from_signed(_signed(partner, pki, PARTNER), PARTNER).fingerprint
    store.decide(fp, approve=False)
    store.import_certificates([partner.cert], source="lookup:ldap")
    assert store.lookup(PARTNER).problem == "not-found"
