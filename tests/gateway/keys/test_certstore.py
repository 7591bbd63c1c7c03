"""The certificate store: import, lookup by address, and refusal of unusable certificates."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from gateway.cli.keys import smime_rows
from gateway.crypto.smime import Signer, capabilities_from_message, sign_message
from gateway.keys import CertLookup, CertStore, load_signer
from tests.support.cli import phigate as keys_main
from tests.support.pki import DAY, NOW, Issued, Pki


@pytest.fixture(scope="module")
def other_pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A second, untrusted CA pair."""
    return Pki(tmp_path_factory.mktemp("other"))


@pytest.fixture(scope="module")
def revoked(pki: Pki) -> Issued:
    """A certificate on the intermediate's CRL."""
    return pki.issue("revoked@example.org", stem="revoked")


@pytest.fixture(scope="module")
def crl(pki: Pki, revoked: Issued) -> Path:
    """The intermediate's CRL, revoking `revoked`."""
    return pki.crl([revoked])


def make_store(
    tmp_path: Path, pki: Pki, crls: list[str | Path] | None = None, **kw: object
) -> CertStore:
    """A store in a fresh folder that trusts the fixture root and knows the intermediate."""
    store = CertStore(tmp_path / "store", [pki.root.cert_path], crls or [], **kw)  # type: ignore[arg-type]
    store.import_file(pki.intermediate.cert_path)
    return store


def lookup_among(
    tmp_path: Path, pki: Pki, address: str, *certs: Issued, crls: list[str | Path] | None = None
) -> CertLookup:
    """Import these certificates, in order, into a fresh store and look the address up."""
    store = make_store(tmp_path, pki, crls)
    for cert in certs:
        store.import_file(cert.cert_path)
    return store.lookup(address)


def test_import_and_lookup_by_san(tmp_path: Path, pki: Pki) -> None:
    """A PEM import is found by its SAN address, case-insensitively, and stored on disk."""
    alice = pki.issue("Alice@Example.org", stem="alice")
    store = make_store(tmp_path, pki)
    result = store.import_file(alice.cert_path)
    assert [e.fingerprint for e in result.added] == [alice.fingerprint]
    found = store.lookup("ALICE@example.ORG")
    assert found.ok and found.problem is None
    assert found.cert == alice.cert
    index = json.loads((tmp_path / "store" / "index.json").read_text())
    assert index["certs"][0]["addresses"] == ["alice@example.org"]
    assert (
        tmp_path / "store" / f"certs/{alice.fingerprint}.pem"
    ).read_bytes() == alice.cert_path.read_bytes()
    second = CertStore(tmp_path / "store", [pki.root.cert_path], [])
    assert second.lookup("alice@example.org").cert == alice.cert


def test_lookup_falls_back_to_subject_email(tmp_path: Path, pki: Pki) -> None:
    """A certificate without SAN is found by its subject emailAddress."""
    dana = pki.issue(None, stem="dana", san=False, subject_email="dana@example.org")
    store = make_store(tmp_path, pki)
    store.import_file(dana.cert_path)
    assert store.lookup("dana@example.org").cert == dana.cert


def test_der_and_pkcs12_import(tmp_path: Path, pki: Pki) -> None:
    """DER certificates and password-protected PKCS#12 files import; the key is not kept."""
    erin = pki.issue("erin@example.org", stem="erin")
    frank = pki.issue("frank@example.org", stem="frank")
    der = tmp_path / "erin.cer"
    der.write_bytes(erin.cert.public_bytes(serialization.Encoding.DER))
    p12 = pki.pkcs12(frank, b"s3cret", stem="frank")
    store = CertStore(tmp_path / "store", [pki.root.cert_path], [])
    store.import_file(der)
    result = store.import_file(p12, b"s3cret")
    assert result.intermediates == 1
    assert store.lookup("erin@example.org").cert == erin.cert
    assert store.lookup("frank@example.org").cert == frank.cert
    stored = b"".join(p.read_bytes() for p in (tmp_path / "store").rglob("*.pem"))
    assert b"PRIVATE KEY" not in stored


def test_ec_certificate_for_key_agreement_is_usable(tmp_path: Path, pki: Pki) -> None:
    """An EC certificate with keyAgreement usage is valid for encryption."""
    from cryptography.hazmat.primitives.asymmetric import ec

    olga = pki.issue("olga@example.org", stem="olga-ec", curve=ec.SECP256R1())
    store = make_store(tmp_path, pki)
    store.import_file(olga.cert_path)
    assert store.lookup("olga@example.org").cert == olga.cert


def test_not_found(tmp_path: Path, pki: Pki) -> None:
    """An unknown address yields problem not-found."""
    assert make_store(tmp_path, pki).lookup("nobody@example.org").problem == "not-found"


@pytest.mark.parametrize(
    ("stem", "options", "problem"),
    [
        ("expired", {"not_before": NOW - 400 * DAY, "not_after": NOW - DAY}, "expired"),
        ("future", {"not_before": NOW + 10 * DAY, "not_after": NOW + 400 * DAY}, "not-yet-valid"),
        ("client-only", {"eku": [ExtendedKeyUsageOID.CLIENT_AUTH]}, "wrong-usage"),
        ("no-encipherment", {"key_encipherment": False}, "wrong-usage"),
        ("untrusted", {"other": True}, "untrusted"),
    ],
)
def test_unusable_certificates_are_refused(
    tmp_path: Path, pki: Pki, other_pki: Pki, stem: str, options: dict[str, object], problem: str
) -> None:
    """Expired, not yet valid, wrong-usage and untrusted certificates are refused with their code."""
    options = dict(options)
    issuer = other_pki if options.pop("other", False) else pki
    issued = issuer.issue(f"{stem}@example.org", stem=stem, **options)  # type: ignore[arg-type]
    store = make_store(tmp_path, pki)
    store.import_file(issued.cert_path)
    if issuer is other_pki:
        store.import_file(other_pki.intermediate.cert_path)
    found = store.lookup(f"{stem}@example.org")
    assert found.cert is None
    assert found.problem == problem
    assert found.detail


def test_revoked_certificate_is_refused(
    tmp_path: Path, pki: Pki, revoked: Issued, crl: Path
) -> None:
    """A certificate on the issuer's CRL is refused as revoked; without the CRL it would pass."""
    store = make_store(tmp_path, pki, [crl])
    store.import_file(revoked.cert_path)
    found = store.lookup("revoked@example.org")
    assert (found.cert, found.problem) == (None, "revoked")
    assert "issuing.crl" in found.detail
    without = CertStore(tmp_path / "store", [pki.root.cert_path], [])
    assert without.lookup("revoked@example.org").ok


def test_crl_signed_by_another_ca_is_ignored(
    tmp_path: Path, pki: Pki, other_pki: Pki, revoked: Issued
) -> None:
    """A CRL naming the right issuer but signed by another key does not revoke anything."""
    forged = pki.directory / "forged.crl"
    bogus = x509.CertificateRevocationListBuilder().issuer_name(pki.intermediate.cert.subject)
    bogus = (
        bogus.last_update(NOW - DAY)
        .next_update(NOW + DAY)
        .add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(revoked.cert.serial_number)
            .revocation_date(NOW - DAY)
            .build()
        )
    )
    from cryptography.hazmat.primitives import hashes

    forged.write_bytes(
        bogus.sign(other_pki.intermediate.key, hashes.SHA256()).public_bytes(
            serialization.Encoding.PEM
        )  # type: ignore[arg-type]
    )
    store = make_store(tmp_path, pki, [forged])
    store.import_file(revoked.cert_path)
    assert store.lookup("revoked@example.org").ok


def test_unreadable_crl_fails_closed(tmp_path: Path, pki: Pki) -> None:
    """A corrupt configured CRL makes lookups answer untrusted (revocation unknown), not valid."""
    bad = tmp_path / "bad.crl"
    bad.write_bytes(b"-----BEGIN X509 CRL-----\nnot base64\n-----END X509 CRL-----\n")
    gina = pki.issue("gina@example.org", stem="gina")
    store = make_store(tmp_path, pki, [bad])
    store.import_file(gina.cert_path)
    found = store.lookup("gina@example.org")
    assert found.problem == "untrusted"
    assert "revocation status unknown" in found.detail


def test_require_crl(tmp_path: Path, pki: Pki, crl: Path) -> None:
    """With require_crl, a chain link without a CRL is refused (no-current-crl); with both CRLs it is valid."""
    hana = pki.issue("hana@example.org", stem="hana")
    store = make_store(tmp_path, pki, [crl], require_crl=True)
    store.import_file(hana.cert_path)
    found = store.lookup("hana@example.org")
    assert found.problem == "no-current-crl"
    assert "no CRL covers" in found.detail and "phigate test issuing CA" in found.detail
    root_crl = pki.crl([], stem="root", issuer=pki.root)
    full = CertStore(tmp_path / "store", [pki.root.cert_path], [crl, root_crl], require_crl=True)
    assert full.lookup("hana@example.org").ok


def test_two_valid_certificates_latest_not_after_wins(tmp_path: Path, pki: Pki) -> None:
    """Of two valid certificates for one address the one with the latest notAfter is chosen, and said so."""
    old = pki.issue("ivan@example.org", stem="ivan-old", not_after=NOW + 30 * DAY)
    new = pki.issue("ivan@example.org", stem="ivan-new", not_after=NOW + 700 * DAY)
    found = lookup_among(tmp_path, pki, "ivan@example.org", new, old)
    assert found.cert == new.cert
    assert found.candidates == 2
    assert "latest notAfter" in found.detail and new.fingerprint[:16] in found.detail


def test_valid_certificate_beats_newer_revoked_one(
    tmp_path: Path, pki: Pki, revoked: Issued, crl: Path
) -> None:
    """A valid certificate is chosen over a newer but revoked one for the same address."""
    good = pki.issue("revoked@example.org", stem="revoked-good", not_after=NOW + 100 * DAY)
    found = lookup_among(tmp_path, pki, "revoked@example.org", revoked, good, crls=[crl])
    assert found.cert == good.cert
    assert "revoked" in found.detail


def test_identical_validity_is_ambiguous(tmp_path: Path, pki: Pki) -> None:
    """Two valid certificates with the same validity period give problem ambiguous."""
    first = pki.issue("jo@example.org", stem="jo-1", not_after=NOW + 200 * DAY)
    second = pki.issue("jo@example.org", stem="jo-2", not_after=NOW + 200 * DAY)
    found = lookup_among(tmp_path, pki, "jo@example.org", first, second)
    assert (found.cert, found.problem) == (None, "ambiguous")


def test_all_invalid_reports_newest_problem(tmp_path: Path, pki: Pki) -> None:
    """With only unusable certificates the newest one's problem is reported and the others named."""
    expired = pki.issue(
        "kim@example.org", stem="kim-old", not_before=NOW - 800 * DAY, not_after=NOW - 400 * DAY
    )
    wrong = pki.issue("kim@example.org", stem="kim-new", eku=[ExtendedKeyUsageOID.CODE_SIGNING])
    found = lookup_among(tmp_path, pki, "kim@example.org", expired, wrong)
    assert found.problem == "wrong-usage"
    assert f"{expired.fingerprint[:16]}=expired" in found.detail


def test_capabilities_from_a_signed_message(tmp_path: Path, pki: Pki) -> None:
    """Capabilities learnt from a recipient's signed message mark the certificate as GCM-capable."""
    lee = pki.issue("lee@example.org", stem="lee")
    store = make_store(tmp_path, pki)
    store.import_file(lee.cert_path)
    assert store.lookup("lee@example.org").supports_gcm is False
    signed = sign_message(
        b"From: lee@example.org\r\nTo: x@praxis.example\r\nSubject: hi\r\n\r\nhello\r\n",
        Signer(lee.cert, lee.key),
    )
    assert store.record_capabilities("lee@example.org", capabilities_from_message(signed))
    found = store.lookup("lee@example.org")
    assert found.supports_gcm is True
    assert {"aes256_gcm", "aes256_cbc"} <= found.capabilities


def test_load_signer_from_pkcs12(pki: Pki) -> None:
    """A PKCS#12 signing identity loads with its chain, and the leaf matches the key."""
    practice = pki.issue("praxis@praxis.example", stem="praxis")
    signer = load_signer(pki.pkcs12(practice, b"pw", stem="praxis"), b"pw")
    assert signer.certificate == practice.cert
    assert signer.chain == (pki.intermediate.cert,)


def test_cli_import_and_list(tmp_path: Path, pki: Pki, capsys: pytest.CaptureFixture[str]) -> None:
    """`keys import` with a password file and `keys list --json --expiring` show the stored certificates."""
    soon = pki.issue("soon@example.org", stem="soon", not_after=NOW + 10 * DAY)
    late = pki.issue("late@example.org", stem="late", not_after=NOW + 300 * DAY)
    password = tmp_path / "pw"
    password.write_text("hunter2\n")
    common = ["--store", str(tmp_path / "s"), "--trust-anchor", str(pki.root.cert_path)]
    assert (
        keys_main(
            [
                "keys",
                "import",
                str(pki.pkcs12(soon, b"hunter2", stem="soon")),
                "--password-file",
                str(password),
                *common,
            ]
        )
        == 0
    )
    assert keys_main(["keys", "import", str(late.cert_path), *common]) == 0
    capsys.readouterr()
    assert keys_main(["keys", "list", "--json", "--expiring", "30d", *common]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows == [
        {
            "address": "soon@example.org",
            "kind": "smime",
            "fingerprint": soon.fingerprint,
            "not_after": soon.cert.not_valid_after_utc.isoformat(),
            "status": "valid",
            "detail": "",
            "source": "imported",
        }
    ]
    store = CertStore(tmp_path / "s", [pki.root.cert_path], [])
    statuses = {r["address"]: r["status"] for r in smime_rows(store, at=NOW + 20 * DAY)}
    assert statuses == {"soon@example.org": "expired", "late@example.org": "valid"}


def test_cli_import_wrong_password_exits_2(
    tmp_path: Path, pki: Pki, capsys: pytest.CaptureFixture[str]
) -> None:
    """A wrong PKCS#12 password gives exit code 2 and a message naming the file and the code."""
    mo = pki.issue("mo@example.org", stem="mo")
    p12 = pki.pkcs12(mo, b"right", stem="mo")
    password = tmp_path / "pw"
    password.write_text("wrong")
    code = keys_main(
        [
            "keys",
            "import",
            str(p12),
            "--password-file",
            str(password),
            "--store",
            str(tmp_path / "s"),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert str(p12) in err and "cert-password-wrong" in err


def test_lookup_honours_the_given_time(tmp_path: Path, pki: Pki) -> None:
    """Lookups honour an injected time: a valid certificate is expired a year and a day later."""
    nia = pki.issue("nia@example.org", stem="nia")
    store = make_store(tmp_path, pki)
    store.import_file(nia.cert_path)
    later = nia.cert.not_valid_after_utc + dt.timedelta(seconds=1)
    assert store.lookup("nia@example.org", at=later).problem == "expired"


def test_stale_crl_still_proves_revocation(tmp_path: Path, pki: Pki) -> None:
    """A certificate listed on a CRL past its nextUpdate is revoked, with or without require_crl."""
    olga = pki.issue("olga@example.org", stem="olga")
    stale = pki.crl(
        [olga], stem="stale-olga", this_update=NOW - 40 * DAY, next_update=NOW - 10 * DAY
    )
    for require in (False, True):
        store = make_store(tmp_path / str(require), pki, [stale], require_crl=require)
        store.import_file(olga.cert_path)
        found = store.lookup("olga@example.org")
        assert (found.cert, found.problem) == (None, "revoked")


def test_stale_crl_without_require_crl_is_ignored(tmp_path: Path, pki: Pki) -> None:
    """Without require_crl, a stale CRL that does not list the certificate leaves it usable."""
    pia = pki.issue("pia@example.org", stem="pia")
    stale = pki.crl([], stem="stale-pia", this_update=NOW - 40 * DAY, next_update=NOW - 10 * DAY)
    store = make_store(tmp_path, pki, [stale])
    store.import_file(pia.cert_path)
    assert store.lookup("pia@example.org").ok


def _openssl_signed(who: Issued, pki: Pki, message: bytes, tmp_path: Path) -> bytes:
    """A message signed by openssl cms (multipart/signed; its capabilities list no AES-GCM)."""
    import subprocess

    source = tmp_path / "plain.eml"
    source.write_bytes(message)
    done = subprocess.run(
        ["openssl", "cms", "-sign", "-in", str(source), "-signer", str(who.cert_path)]
        + ["-inkey", str(who.key_path), "-certfile", str(pki.intermediate.cert_path)]
        + ["-md", "sha256", "-crlfeol"],
        capture_output=True,
        check=True,
    )
    headers = message.split(b"\r\n\r\n", 1)[0]
    kept = b"".join(
        line + b"\r\n"
        for line in headers.split(b"\r\n")
        if not line.lower().startswith(b"content-")
    )
    return kept + done.stdout.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def test_capabilities_follow_the_latest_signed_message(tmp_path: Path, pki: Pki) -> None:
    """GCM learnt from one signed message is dropped when a later one (openssl's) lacks it."""
    quinn = pki.issue("quinn@example.org", stem="quinn")
    store = make_store(tmp_path, pki, harvest="auto")
    mail = b"From: quinn@example.org\r\nTo: x@praxis.example\r\nSubject: hi\r\n\r\nhello\r\n"
    first = store.learn_from_signed(
        sign_message(mail, Signer(quinn.cert, quinn.key, (pki.intermediate.cert,))),
        "quinn@example.org",
    )
    assert first.learned and store.lookup("quinn@example.org").supports_gcm
    later = store.learn_from_signed(
        _openssl_signed(quinn, pki, mail, tmp_path), "quinn@example.org"
    )
    assert later.learned, later.reason
    assert "aes256_cbc" in later.capabilities and "aes256_gcm" not in later.capabilities
    found = store.lookup("quinn@example.org")
    assert found.ok and not found.supports_gcm


def test_pipeline_hook_learns_and_logs_no_address(tmp_path: Path, pki: Pki) -> None:
    """Services.learn_smime learns from signed mail and logs a fingerprint, never the address."""
    from structlog.testing import capture_logs

    from gateway.config import load_settings
    from gateway.services import Services

    rae = pki.issue("rae@example.org", stem="rae")
    settings = load_settings(
        None,
        {
            "audit": {"url": f"sqlite:///{tmp_path}/a.db", "key_file": str(tmp_path / "a.key")},
            "smime": {
                "store_dir": str(tmp_path / "certs"),
                "trust_anchors": [str(pki.root.cert_path)],
                "harvest": "auto",
            },
        },
    )
    services = Services(settings, str)
    mail = b"From: rae@example.org\r\nTo: x@praxis.example\r\nSubject: hi\r\n\r\nhello\r\n"
    signed = sign_message(mail, Signer(rae.cert, rae.key, (pki.intermediate.cert,)))
    with capture_logs() as events:
        assert services.learn_smime(mail, "rae@example.org") is False
        assert services.learn_smime(signed, "rae@example.org") is True
    assert [e["event"] for e in events] == ["smime.capabilities_learnt"]
    assert "rae@example.org" not in repr(events)
    assert services.cert_store.lookup("rae@example.org").supports_gcm
