"""`phigate portal`: serve the patient pickup portal, wired to the roster, consents and audit log.

`phigate portal rotate-key` adds a new active master key to the shared key file; every portal
store (gateway node or portal process) re-reads the file when it changes, so new items are
sealed under the new key while older ones stay readable under theirs. It is recorded in the
audit log, and refused when no audit hook is configured to record it.
"""

from __future__ import annotations

import argparse
import ipaddress
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gateway.audit import AuditLog
from gateway.audit.events import record_event
from gateway.cli.command import Command, failing_as, operator, record_change, required_audit
from gateway.cli.context import Context
from gateway.cli.exits import EXIT_ERROR, EXIT_OK
from gateway.cli.options import config_option, given
from gateway.config import Settings, split_hostport
from gateway.delivery.outbox import Outbox
from gateway.delivery.sender import mail_sender
from gateway.model import ConfigError
from gateway.ops.logs import configure
from gateway.patients.consent import ConsentRegistry
from gateway.patients.disclosure import DEFAULT_DISCLOSURE_VERSION, load_disclosure
from gateway.patients.errors import ConsentError
from gateway.patients.roster import PatientRoster
from gateway.patients.scopes import SCOPES
from gateway.portal import PortalRuntime, PortalServices, PortalStore, run_portal
from gateway.portal.app import ConsentChoices, ConsentTerms, RecordedConsent
from gateway.portal.errors import PortalError
from gateway.storage.keyfiles import KeyFile
from gateway.storage.stores import PORTAL_MASTER_KEY

PREFIX = "phigate portal"

log = structlog.get_logger("phigate.portal")


def consent_choices(settings: Settings) -> ConsentChoices:
    """The consent scopes and durations the practice offers; ConfigError names a bad scope."""
    p = settings.portal
    unknown = [s for s in p.consent_scopes if s not in SCOPES]
    if unknown:
        raise ConfigError(
            f"portal.consent_scopes: unknown scope(s) {', '.join(unknown)} "
            f"(known: {', '.join(SCOPES)})"
        )
    return ConsentChoices(
        scopes=tuple(dict.fromkeys(p.consent_scopes)),
        days=tuple(sorted(set(p.consent_days))),
    )


def portal_parts(
    settings: Settings, outbox: Outbox | None = None
) -> tuple[PortalStore, PortalRuntime, PortalServices]:
    """The store, the portal's settings and its services, from the gateway config."""
    p = settings.portal
    a = settings.audit
    pat = settings.patients
    store = PortalStore(p.store_url, p.master_key_file)
    audit_log = AuditLog(a.url, a.key_file, a.anchor_file)
    roster = PatientRoster(pat.url, pat.key_file)
    consents = ConsentRegistry(pat.url, roster, disclosure_dir=pat.disclosure_dir)
    send_mail = mail_sender(settings, p.from_address, outbox)

    def audit(action: str, details: Mapping[str, Any], ref_id: str | None) -> None:
        record_event(audit_log, action, details, ref_id=ref_id)

    def disclosure() -> tuple[str, str]:
        d = load_disclosure(DEFAULT_DISCLOSURE_VERSION, pat.disclosure_dir)
        return d.version, d.text

    def record_consent(
        roster_id: str | None, address: str, version: str, terms: ConsentTerms
    ) -> RecordedConsent:
        rid = roster_id or roster.by_email(address)
        if rid is None:
            raise ConsentError("the address is not on the practice's patient roster")
        consent_id: str = consents.add(
            address,
            rid,
            obtained_at=datetime.now(UTC),
            method="portal",
            recorded_by="patient portal",
            disclosure_version=version,
            scope=terms.scopes,
            expires=terms.expires,
        )
        # What the patient is shown afterwards is read back from the register, not echoed.
        stored = consents.get(consent_id)
        return RecordedConsent(consent_id, tuple(stored.scopes), stored.expires)

    def verify_dob(roster_id: str, dob: date) -> bool:
        return bool(roster.verify_dob(roster_id, dob.isoformat()))

    services = PortalServices(
        send_mail=send_mail,
        audit=audit,
        has_dob=roster.has_dob,
        verify_dob=verify_dob,
        disclosure=disclosure,
        record_consent=record_consent,
        consent_choices=consent_choices(settings),
    )
    portal_settings = PortalRuntime(
        practice_name=p.practice_name,
        portal_from=p.from_address,
        practice_address=p.practice_address,
        help_text=p.help_text,
    )
    return store, portal_settings, services


def serve_portal(ctx: Context, args: argparse.Namespace) -> int:
    """Serve the portal over TLS."""
    overrides: dict[str, Any] = {}
    if args.listen:
        overrides["portal"] = {"listen": args.listen}
    settings = ctx.settings_with(overrides)
    configure(settings.logging.level, settings.logging.format)
    p = settings.portal
    cert = Path(args.cert) if args.cert else p.tls_cert_file
    key = Path(args.key) if args.key else p.tls_key_file
    if cert is None or key is None:
        print("phigate portal: a TLS certificate and key are required (--cert/--key)")
        return EXIT_ERROR
    store, portal_settings, services = portal_parts(settings)
    host, port = split_hostport(p.listen)
    log.info("portal.serving", listen=p.listen, url=p.url)
    run_portal(store, portal_settings, services, host=host, port=port, certfile=cert, keyfile=key)
    return EXIT_OK


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--listen", help="HOST:PORT (default portal.listen, 127.0.0.1:8443)")
    config_option(parser, "gateway config file", None)
    parser.add_argument("--cert", help="TLS certificate chain (PEM)")
    parser.add_argument("--key", help="TLS private key (PEM)")


def demo_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, for the newcomer demo only."""
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "demo-portal.pem", directory / "demo-portal.key"
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "phigate demo portal")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def rotate_key(ctx: Context, args: argparse.Namespace) -> int:
    """Add a new active portal master key (audited); older items stay readable under theirs."""
    with failing_as(PREFIX):
        path = ctx.settings.portal.clone(**given(master_key_file=args.p_key_file)).master_key_file
        if not path.exists():
            # A fresh file here would leave every stored item unreadable.
            raise PortalError(f"portal master key file {path} does not exist")
        audit = required_audit(ctx, PREFIX, "rotate the key")
        key_id = KeyFile(path, PORTAL_MASTER_KEY).rotate()
    details = {"key_id": key_id, "by": operator(args.p_who)}
    record_change(audit, PREFIX, "portal-key-rotated", details, f"the key was rotated to {key_id}")
    print(key_id)
    return EXIT_OK


def _rotate_options(parser: argparse.ArgumentParser) -> None:
    config_option(parser)
    parser.add_argument(
        "--key-file",
        dest="p_key_file",
        type=Path,
        metavar="FILE",
        help="portal master key file (default portal.master_key_file)",
    )
    parser.add_argument(
        "--as", dest="p_who", metavar="NAME", help="who is acting (default: the login name)"
    )


COMMANDS = (
    Command(
        "portal",
        "serve the secure patient pickup portal (TLS); rotate-key adds a new master key",
        serve_portal,
        _options,
        subcommands=(
            Command(
                "rotate-key",
                "add a new active portal master key (audited); print its id",
                rotate_key,
                _rotate_options,
            ),
        ),
        metavar="[rotate-key]",
    ),
)
