"""The `phigate` command line."""

from __future__ import annotations

import argparse
import email.policy
import getpass
import os
import re
import smtplib
import sys
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from gateway.config import split_hostport
from gateway.model import ConfigError, PhigateError

DEMO_OUTBOX = Path("var/outbox")


def _hostport(value: str) -> str:
    try:
        split_hostport(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def _audit_settings(config: str | None) -> tuple[str, Path, Path | None]:
    from gateway.config import load_settings

    settings = load_settings(Path(config) if config else None)
    return settings.audit.url, settings.audit.key_file, settings.audit.anchor_file


def _report_context(config: str | None) -> Any:
    from gateway.cli.keys import smime_rows
    from gateway.cli.pgp import pgp_rows
    from gateway.cli.reports import ReportContext
    from gateway.config import load_settings
    from gateway.keys.store import CertStore

    s = load_settings(Path(config) if config else None)

    def smime() -> list[dict[str, Any]]:
        return smime_rows(CertStore.from_settings(s.smime))

    def pgp() -> list[dict[str, Any]]:
        # pgp_rows would create an empty GnuPG home; a report must not.
        return pgp_rows(s.pgp.home) if s.pgp.home.exists() else []

    return ReportContext(
        s.audit.url,
        s.audit.key_file,
        s.audit.anchor_file,
        (("S/MIME certificates", smime), ("OpenPGP keys", pgp)),
    )


def build_parser() -> argparse.ArgumentParser:
    """All subcommands and their flags."""
    parser = argparse.ArgumentParser(
        prog="phigate",
        description="Outbound email DLP and encryption gateway for medical practices.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the SMTP gateway")
    serve.add_argument(
        "--listen", type=_hostport, help="HOST:PORT to accept mail on (default 127.0.0.1:10025)"
    )
    serve.add_argument(
        "--next-hop", type=_hostport, help="HOST:PORT to relay to (default 127.0.0.1:10026)"
    )
    serve.add_argument("--config", type=Path, help="YAML config file; flags override it")
    serve.add_argument("--workers", type=int, help="worker processes sharing the port (default 1)")
    serve.add_argument(
        "--demo",
        action="store_true",
        help=f"newcomer demo: when no next hop answers, capture mail in {DEMO_OUTBOX}/",
    )

    check = sub.add_parser("config", help="check a config file").add_subparsers(
        dest="config_command", required=True
    )
    cc = check.add_parser("check", help="validate a config file and print the settings")
    cc.add_argument("file", type=Path)

    from gateway.cli.policy import add_parsers as add_policy

    add_policy(sub)

    send = sub.add_parser("send", help="send a sample or given message to the gateway")
    send.add_argument(
        "file", nargs="?", type=Path, help=".eml file to send (default: a sample message)"
    )
    send.add_argument("--server", type=_hostport, default="127.0.0.1:10025")
    send.add_argument("--from", dest="sender", default="frontdesk@practice.example")
    send.add_argument("--to", dest="recipients", action="append", help="recipient (repeatable)")
    send.add_argument(
        "--sample",
        choices=("office", "patient", "partner"),
        default="office",
        help="which demo message: office news (no PHI), lab results to a patient's own "
        "address, or a referral to a partner",
    )

    pw = sub.add_parser("passwd", help="print a credentials line (user:argon2 hash) for SMTP AUTH")
    pw.add_argument("user")

    from gateway.cli.portal import add_parser as add_portal
    from gateway.cli.scan import add_parser as add_scan

    add_portal(sub)

    add_scan(sub)

    from gateway.cli.stores import register as register_stores

    register_stores(sub)

    from gateway.cli.audit import register

    register(sub, _audit_settings)

    from gateway.cli.patients import PatientsSettings
    from gateway.cli.patients import register as register_patients

    def patients_settings(config: str | None) -> PatientsSettings:
        from gateway.config import load_settings

        settings = load_settings(Path(config) if config else None)
        p = settings.patients

        def audit(action: str, details: dict[str, Any]) -> None:
            from gateway.audit import AuditLog
            from gateway.audit.events import record_event

            a = settings.audit
            log = AuditLog(a.url, a.key_file, a.anchor_file)
            try:
                record_event(log, action, details, actor=getpass.getuser())
            finally:
                log.close()

        return PatientsSettings(
            url=p.url, key_file=p.key_file, disclosure_dir=p.disclosure_dir, audit=audit
        )

    register_patients(sub, patients_settings)

    from gateway.cli.reports import register as register_reports

    register_reports(sub, _report_context)
    return parser


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the gateway."""
    from gateway.ops.server import run

    overrides: dict[str, Any] = {}
    if args.listen:
        overrides["listen"] = args.listen
    if args.next_hop:
        overrides["next_hop"] = args.next_hop
    if args.workers is not None:
        overrides["workers"] = args.workers
    if args.demo:
        overrides["delivery"] = {"outbox": str(DEMO_OUTBOX)}
        overrides["portal"] = {
            "enabled": True,
            "url": "https://127.0.0.1:8443",
            "listen": "127.0.0.1:8443",
            "practice_name": "Demo Family Practice",
            "from_address": "secure-messages@practice.example",
            "practice_address": "frontdesk@practice.example",
        }
        overrides["notices"] = {"postmaster": "postmaster@practice.example"}
        start_demo_portal(args.config, overrides)
        print(
            f"phigate demo: listening on {args.listen or '127.0.0.1:10025'}; when no next hop answers,"
            f" mail is captured in {DEMO_OUTBOX.resolve()}/ (one .eml per message).\n"
            "  .venv/bin/phigate send                   office news: delivered unchanged\n"
            "  .venv/bin/phigate send --sample patient  lab results to a patient: a portal notice\n"
            "  .venv/bin/phigate send --sample partner  a referral, no key to encrypt with: portal\n"
            "The patient portal runs at https://127.0.0.1:8443 (self-signed demo certificate).",
            file=sys.stderr,
        )
    return run(args.config, overrides)


def start_demo_portal(config: Path | None, overrides: dict[str, Any]) -> None:
    """Serve the portal in a thread beside the demo gateway (one-time codes go to the outbox)."""
    import threading

    from gateway.cli.portal import demo_certificate, portal_parts
    from gateway.config import load_settings
    from gateway.delivery.outbox import Outbox
    from gateway.portal import create_app, portal_server

    settings = load_settings(config, overrides)
    cert, key = demo_certificate(Path("var/keys"))
    store, portal_settings, services = portal_parts(settings, outbox=Outbox(DEMO_OUTBOX))
    host, port = split_hostport(settings.portal.listen)
    server = portal_server(
        create_app(store, portal_settings, services),
        host=host,
        port=port,
        certfile=cert,
        keyfile=key,
    )
    threading.Thread(target=server.run, name="demo-portal", daemon=True).start()


def cmd_config_check(args: argparse.Namespace) -> int:
    """Validate a config file, the policy it names, its key files and databases."""
    from gateway.app import check_policy
    from gateway.config import load_settings
    from gateway.services import smime_warnings
    from gateway.storage.stores import check_stores

    settings = load_settings(args.file)
    check_stores(settings, connect=True)
    check_policy(settings)
    for warning in smime_warnings(settings):
        print(f"phigate: warning: {warning}", file=sys.stderr)
    print(f"{args.file}: ok")
    print(settings.model_dump_json(indent=2))
    return 0


SAMPLES = {
    "office": (
        ["someone@partner.example"],
        "phigate demo: office hours over the holidays",
        "Hello,\n\nOur office is closed on the 25th and 26th. Regular hours resume on Monday.\n\n"
        "-- The front desk\n",
    ),
    "patient": (
        ["jordan.avery.demo@gmail.com"],
        "Your recent visit",
        "Dear Jordan,\n\nYour A1c came back at 8.2%, which is above target. Dr. Park would like to\n"
        "increase your metformin to 1000 mg twice daily. Please call us to schedule a follow-up.\n\n"
        "-- Nurse line\n",
    ),
    "partner": (
        ["intake@cardiology-partner.example"],
        "Referral",
        "Referral for patient Jordan Avery, DOB 03/14/1961, MRN 7734102.\n"
        "Diagnosis: atrial fibrillation (I48.91). Current medication: apixaban 5 mg twice daily.\n",
    ),
}


def sample_message(sender: str, recipients: list[str], kind: str = "office") -> bytes:
    """A small demo message (synthetic: no real patient)."""
    _default, subject, body = SAMPLES[kind]
    msg = EmailMessage()
    msg["From"] = f"Front Desk <{sender}>"
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="practice.example")
    msg.set_content(body)
    return msg.as_bytes(policy=email.policy.SMTP)


def cmd_send(args: argparse.Namespace) -> int:
    """Send a message over SMTP and print the gateway's reply."""
    recipients = args.recipients or list(SAMPLES[args.sample][0])
    if args.file:
        # SMTP wants CRLF line endings; files on disk usually have LF.
        data = re.sub(rb"\r?\n", b"\r\n", args.file.read_bytes())
    else:
        data = sample_message(args.sender, recipients, args.sample)
    host, port = split_hostport(args.server)
    try:
        with smtplib.SMTP(host, port, timeout=60) as smtp:
            refused = smtp.sendmail(args.sender, recipients, data)
    except smtplib.SMTPResponseException as exc:
        print(f"refused: {exc.smtp_code} {_text(exc.smtp_error)}", file=sys.stderr)
        return 1
    except smtplib.SMTPRecipientsRefused as exc:
        for rcpt, (c, t) in exc.recipients.items():
            print(f"refused {rcpt}: {c} {_text(t)}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"phigate send: cannot reach {args.server}: {exc}", file=sys.stderr)
        return 1
    for rcpt, (c, t) in refused.items():
        print(f"refused {rcpt}: {c} {_text(t)}", file=sys.stderr)
    print(f"sent to {len(recipients) - len(refused)} recipient(s) via {args.server}")
    return 0 if not refused else 1


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def cmd_passwd(args: argparse.Namespace) -> int:
    """Print a credentials-file line for one user."""
    from gateway.smtp.auth import hash_password

    password = (
        getpass.getpass(f"password for {args.user}: ")
        if sys.stdin.isatty()
        else sys.stdin.readline().rstrip("\n")
    )
    if not password:
        print("phigate passwd: empty password", file=sys.stderr)
        return 2
    print(f"{args.user}:{hash_password(password)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `phigate` console script."""
    args = build_parser().parse_args(argv)
    handlers = {
        "serve": cmd_serve,
        "send": cmd_send,
        "passwd": cmd_passwd,
    }
    try:
        if args.command == "config":
            return cmd_config_check(args)
        if args.command == "scan":
            from gateway.cli.scan import run as run_scan

            return run_scan(args)
        if args.command in handlers:
            return handlers[args.command](args)
        func = getattr(args, "func", None)
        if func is None:
            build_parser().print_help()
            return 2
        result = func(args)
        return int(result or 0)
    except ConfigError as exc:
        print(f"phigate: {exc}", file=sys.stderr)
        return 2
    except PhigateError as exc:
        # A bad key file, a store that cannot open: one line naming it, never a traceback.
        print(f"phigate: {exc.code}: {_one_line(exc)}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader (e.g. `head`) went away: stop quietly, like other Unix tools.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
