"""`phigate serve`, `config check`, `send` and `passwd`: run the gateway and talk to it."""

from __future__ import annotations

import argparse
import email.policy
import getpass
import re
import smtplib
import sys
import threading
from email.message import EmailMessage
from email.utils import getaddresses, make_msgid
from pathlib import Path
from typing import Any

from gateway.app import check_policy
from gateway.cli.command import Command, CommandFailed
from gateway.cli.context import Context
from gateway.cli.exits import EXIT_FAILED, EXIT_OK
from gateway.cli.options import config_option
from gateway.cli.portal import demo_certificate, portal_parts
from gateway.config import Settings, split_hostport
from gateway.delivery.outbox import Outbox
from gateway.ops.server import run
from gateway.portal import create_app, portal_server
from gateway.services import smime_warnings
from gateway.smtp.auth import hash_password
from gateway.storage.stores import check_stores

DEMO_OUTBOX = Path("var/outbox")


def _hostport(value: str) -> str:
    try:
        split_hostport(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def serve(ctx: Context, args: argparse.Namespace) -> int:
    """Run the gateway."""
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
        start_demo_portal(ctx.settings_with(overrides))
        print(
            f"phigate demo: listening on {args.listen or '127.0.0.1:10025'}; when no next hop answers,"
            f" mail is captured in {DEMO_OUTBOX.resolve()}/ (one .eml per message).\n"
            "  .venv/bin/phigate send                   office news: delivered unchanged\n"
            "  .venv/bin/phigate send --sample patient  lab results to a patient: a portal notice\n"
            "  .venv/bin/phigate send --sample partner  a referral, no key to encrypt with: portal\n"
            "The patient portal runs at https://127.0.0.1:8443 (self-signed demo certificate).",
            file=sys.stderr,
        )
    return run(ctx.config, overrides)


def start_demo_portal(settings: Settings) -> None:
    """Serve the portal in a thread beside the demo gateway (one-time codes go to the outbox)."""
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


def config_check(ctx: Context, args: argparse.Namespace) -> int:
    """Validate a config file, the policy it names, its key files and databases."""
    settings = ctx.settings
    check_stores(settings, connect=True)
    check_policy(settings, ctx.registry)
    for warning in smime_warnings(settings):
        print(f"phigate: warning: {warning}", file=sys.stderr)
    print(f"{ctx.config}: ok")
    print(settings.model_dump_json(indent=2))
    return EXIT_OK


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


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _refused(refused: dict[str, tuple[int, bytes]]) -> None:
    for rcpt, (code, text) in refused.items():
        print(f"refused {rcpt}: {code} {_text(text)}", file=sys.stderr)


DEFAULT_SENDER = "frontdesk@practice.example"
_REF = re.compile(r"\(ref ([A-Za-z0-9_-]+)\)")


class _ReplySMTP(smtplib.SMTP):
    """smtplib's client, keeping the reply to DATA (it carries the gateway's reference)."""

    data_reply: tuple[int, bytes] = (0, b"")

    def data(self, msg: Any) -> tuple[int, bytes]:
        self.data_reply = super().data(msg)
        return self.data_reply


def header_addresses(data: bytes, *names: str) -> list[str]:
    """The addresses in the message's headers `names` (To, Cc, From), in order."""
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    values = [str(v) for name in names for v in msg.get_all(name, [])]
    return [addr for _, addr in getaddresses(values) if addr]


def send(ctx: Context, args: argparse.Namespace) -> int:
    """Send a message over SMTP and print the gateway's reply and the message's reference."""
    if args.file:
        try:
            raw = args.file.read_bytes()
        except OSError as exc:
            raise CommandFailed(f"phigate send: cannot read {args.file}: {exc.strerror}") from None
        # SMTP wants CRLF line endings; files on disk usually have LF.
        data = re.sub(rb"\r?\n", b"\r\n", raw)
        recipients = args.recipients or header_addresses(data, "To", "Cc")
        if not recipients:
            raise CommandFailed(f"phigate send: {args.file} has no To: or Cc: address; pass --to")
        sender = args.sender or next(iter(header_addresses(data, "From")), DEFAULT_SENDER)
    else:
        recipients = args.recipients or list(SAMPLES[args.sample][0])
        sender = args.sender or DEFAULT_SENDER
        data = sample_message(sender, recipients, args.sample)
    host, port = split_hostport(args.server)
    try:
        with _ReplySMTP(host, port, timeout=60) as smtp:
            refused = smtp.sendmail(sender, recipients, data)
            code, reply = smtp.data_reply
    except smtplib.SMTPResponseException as exc:
        raise CommandFailed(
            f"refused: {exc.smtp_code} {_text(exc.smtp_error)}", EXIT_FAILED
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        _refused(exc.recipients)
        return EXIT_FAILED
    except OSError as exc:
        raise CommandFailed(
            f"phigate send: cannot reach {args.server}: {exc}", EXIT_FAILED
        ) from None
    _refused(refused)
    print(f"sent to {len(recipients) - len(refused)} recipient(s) via {args.server}")
    print(f"reply: {code} {_text(reply)}")
    found = _REF.search(_text(reply))
    if found:
        print(f"reference: {found.group(1)} (phigate audit show --ref {found.group(1)})")
    return EXIT_OK if not refused else EXIT_FAILED


def passwd(ctx: Context, args: argparse.Namespace) -> int:
    """Print a credentials-file line for one user."""
    password = (
        getpass.getpass(f"password for {args.user}: ")
        if sys.stdin.isatty()
        else sys.stdin.readline().rstrip("\n")
    )
    if not password:
        raise CommandFailed("phigate passwd: empty password")
    print(f"{args.user}:{hash_password(password)}")
    return EXIT_OK


def _serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--listen", type=_hostport, help="HOST:PORT to accept mail on (default 127.0.0.1:10025)"
    )
    parser.add_argument(
        "--next-hop", type=_hostport, help="HOST:PORT to relay to (default 127.0.0.1:10026)"
    )
    config_option(parser, "YAML config file; flags override it", None)
    parser.add_argument("--workers", type=int, help="worker processes sharing the port (default 1)")
    parser.add_argument(
        "--demo",
        action="store_true",
        help=f"newcomer demo: when no next hop answers, capture mail in {DEMO_OUTBOX}/",
    )


def _config_file(parser: argparse.ArgumentParser) -> None:
    # The file to check is the context's config: the one place settings are loaded from.
    parser.add_argument("config", type=Path, metavar="file", help="the phigate.yaml to check")


def _send_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file", nargs="?", type=Path, help=".eml file to send (default: a sample message)"
    )
    parser.add_argument(
        "--server",
        type=_hostport,
        default="127.0.0.1:10025",
        help="the gateway's SMTP address, host:port (default 127.0.0.1:10025)",
    )
    parser.add_argument(
        "--from",
        dest="sender",
        help=f"envelope sender (default: the file's From:, else {DEFAULT_SENDER})",
    )
    parser.add_argument(
        "--to",
        dest="recipients",
        action="append",
        help="recipient (repeatable; default: the file's To: and Cc:, or the sample's)",
    )
    parser.add_argument(
        "--sample",
        choices=("office", "patient", "partner"),
        default="office",
        help="which demo message: office news (no PHI), lab results to a patient's own "
        "address, or a referral to a partner",
    )


def _passwd_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("user", help="the login name the line is for")


COMMANDS = (
    Command("serve", "run the SMTP gateway", serve, _serve_options),
    Command(
        "config",
        "check a config file",
        subcommands=(
            Command(
                "check", "validate a config file and print the settings", config_check, _config_file
            ),
        ),
    ),
    Command("send", "send a sample or given message to the gateway", send, _send_options),
    Command(
        "passwd",
        "print a credentials line (user:argon2 hash) for SMTP AUTH",
        passwd,
        _passwd_options,
    ),
)
