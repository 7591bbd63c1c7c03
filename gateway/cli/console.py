"""`phigate console` (serve the compliance console over TLS) and `phigate console user
add|list|disable|enable|reset-totp`.

`user add` and `user reset-totp` print the new TOTP secret and its otpauth:// URI once, for
the user's authenticator app; the console never shows it again.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import structlog

from gateway.audit import AuditLog
from gateway.cli.command import Command, CommandFailed, failing_as, group
from gateway.cli.context import Context
from gateway.cli.exits import EXIT_ERROR, EXIT_OK
from gateway.cli.options import config_option
from gateway.config import ConsoleSettings, Settings, split_hostport
from gateway.console.app import ConsoleServices, create_app
from gateway.console.auth import ROLES, provisioning_uri
from gateway.console.store import ConsoleStore
from gateway.ops.logs import configure
from gateway.patients.consent import ConsentRegistry
from gateway.patients.roster import PatientRoster
from gateway.policy import shipped as shipped_policies
from gateway.portal.app import portal_server
from gateway.quarantine.store import QuarantineStore

PREFIX = "phigate console"
DEFAULTS = ConsoleSettings()
log = structlog.get_logger("phigate.console")


def open_store(settings: Settings) -> ConsoleStore:
    """The console store as the settings describe it."""
    c = settings.console
    return ConsoleStore(
        c.url,
        session_ttl=timedelta(minutes=c.session_minutes),
        max_failures=c.max_failed_logins,
        lockout=timedelta(minutes=c.lockout_minutes),
    )


def _settings(ctx: Context, args: argparse.Namespace) -> Settings:
    overrides: dict[str, dict[str, object]] = {"console": {}}
    if getattr(args, "listen", None):
        overrides["console"]["listen"] = args.listen
    if getattr(args, "console_url", None):
        overrides["console"]["url"] = args.console_url
    return ctx.settings_with(overrides)


def serve_console(ctx: Context, args: argparse.Namespace) -> int:
    """Serve the console over TLS until interrupted."""
    settings = _settings(ctx, args)
    configure(settings.logging.level, settings.logging.format)
    c = settings.console
    cert = Path(args.cert) if args.cert else c.tls_cert_file
    key = Path(args.key) if args.key else c.tls_key_file
    if cert is None or key is None:
        print(f"{PREFIX}: a TLS certificate and key are required (--cert/--key)", file=sys.stderr)
        return EXIT_ERROR
    with failing_as(PREFIX):
        store = open_store(settings)
        a = settings.audit
        if not a.key_file.exists():
            raise CommandFailed(f"{PREFIX}: audit key file {a.key_file} does not exist")
        audit = AuditLog(a.url, a.key_file, a.anchor_file)
        q = settings.quarantine
        quarantine = (
            QuarantineStore(q.url, q.master_key_file, q.retention_days)
            if q.master_key_file.exists()
            else None
        )
        pat = settings.patients
        # Without its key file there is no roster yet (opening would make an empty one).
        roster = PatientRoster(pat.url, pat.key_file) if pat.key_file.exists() else None
        consents = (
            ConsentRegistry(pat.url, roster, disclosure_dir=pat.disclosure_dir)
            if roster is not None
            else None
        )
    examples = shipped_policies.shipped_root() / "examples"
    services = ConsoleServices(
        store=store,
        audit=audit,
        quarantine=quarantine,
        deliver=ctx.hooks.deliver,
        settings=settings,
        registry=ctx.registry,
        suite_dir=examples if (examples / "suite.yaml").is_file() else None,
        roster=roster,
        consents=consents,
    )
    host, port = split_hostport(c.listen)
    log.info("console.serving", listen=c.listen)
    try:
        portal_server(create_app(services), host=host, port=port, certfile=cert, keyfile=key).run()
    finally:
        audit.close()
        store.close()
        for opened in (quarantine, consents, roster):
            if opened is not None:
                opened.close()
    return EXIT_OK


def _read_password(args: argparse.Namespace) -> str:
    if args.password_file is not None:
        try:
            return Path(args.password_file).read_text(encoding="utf-8").splitlines()[0]
        except (OSError, IndexError) as exc:
            raise CommandFailed(f"{PREFIX}: cannot read {args.password_file}: {exc}") from None
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != first:
            raise CommandFailed(f"{PREFIX}: the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\n")


def _print_secret(name: str, secret: str) -> None:
    print(f"TOTP secret for {name}: {secret}")
    print(f"authenticator URI: {provisioning_uri(secret, name)}")
    print("(shown once: add it to the user's authenticator app now)")


def user_add(ctx: Context, args: argparse.Namespace) -> int:
    """Create a console user and print their TOTP secret."""
    password = _read_password(args)
    with failing_as(PREFIX), closing(open_store(_settings(ctx, args))) as store:
        secret = store.add_user(args.name, password, args.role, datetime.now(UTC))
    print(f"added {args.name} ({args.role})")
    _print_secret(args.name, secret)
    return EXIT_OK


def user_list(ctx: Context, args: argparse.Namespace) -> int:
    """List console users."""
    with failing_as(PREFIX), closing(open_store(_settings(ctx, args))) as store:
        users = store.users()
    now = datetime.now(UTC)
    for u in users:
        state = "disabled" if u.disabled else "active"
        if u.locked_until is not None and u.locked_until > now:
            state += f", locked until {u.locked_until.isoformat(timespec='seconds')}"
        print(f"{u.name:<24} {u.role:<8} {state}")
    return EXIT_OK


def user_disable(ctx: Context, args: argparse.Namespace) -> int:
    """Disable a user (their sessions end at once)."""
    with failing_as(PREFIX), closing(open_store(_settings(ctx, args))) as store:
        store.disable(args.name)
    print(f"disabled {args.name}")
    return EXIT_OK


def user_enable(ctx: Context, args: argparse.Namespace) -> int:
    """Enable a user again and clear a lock-out."""
    with failing_as(PREFIX), closing(open_store(_settings(ctx, args))) as store:
        store.enable(args.name)
    print(f"enabled {args.name}")
    return EXIT_OK


def user_reset_totp(ctx: Context, args: argparse.Namespace) -> int:
    """Give a user a new TOTP secret and print it."""
    with failing_as(PREFIX), closing(open_store(_settings(ctx, args))) as store:
        secret = store.reset_totp(args.name)
    _print_secret(args.name, secret)
    return EXIT_OK


def senders_add(ctx: Context, args: argparse.Namespace) -> int:
    """Enter staff addresses of the practice's own domains into the sender directory."""
    settings = _settings(ctx, args)
    own = {d.lower().lstrip("@") for d in settings.console.own_domains}
    addresses = list(args.addresses)
    if args.file is not None:
        try:
            text = Path(args.file).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandFailed(f"{PREFIX}: cannot read {args.file}: {exc.strerror}") from None
        addresses += [line.strip() for line in text.splitlines() if line.strip()]
    if not own:
        raise CommandFailed(f"{PREFIX}: console.own_domains is empty: no sender may be entered")
    for address in addresses:
        domain = address.rpartition("@")[2].lower()
        if "@" not in address or domain not in own:
            raise CommandFailed(
                f"{PREFIX}: {address!r} is not an address of console.own_domains "
                f"({', '.join(sorted(own))}); patients' addresses never enter the directory"
            )
    a = settings.audit
    with failing_as(PREFIX):
        if not a.key_file.exists():
            raise CommandFailed(f"{PREFIX}: audit key file {a.key_file} does not exist")
        with closing(AuditLog(a.url, a.key_file, a.anchor_file, read_only=True)) as audit:
            # Every key in the ring: records made before a rotation resolve too.
            hashes = [(d, addr) for addr in addresses for d in audit.keyed_hashes(addr)]
        with closing(open_store(settings)) as store:
            now = datetime.now(UTC)
            for digest, addr in hashes:
                store.remember_sender(digest, addr, now)
    print(f"{len(addresses)} sender(s) in the directory")
    return EXIT_OK


def _senders_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("addresses", nargs="*", metavar="ADDRESS", help="a staff address")
    parser.add_argument("--file", type=Path, help="a file of staff addresses, one a line")


def _serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--listen", help=f"HOST:PORT (default console.listen, {DEFAULTS.listen})")
    config_option(parser)
    parser.add_argument("--cert", help="TLS certificate chain (PEM; default console.tls_cert_file)")
    parser.add_argument("--key", help="TLS private key (PEM; default console.tls_key_file)")


def _store_options(parser: argparse.ArgumentParser) -> None:
    config_option(parser)
    parser.add_argument(
        "--url", dest="console_url", help=f"console database URL (default {DEFAULTS.url})"
    )


def _name(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="the console user's sign-in name")


def _add_options(parser: argparse.ArgumentParser) -> None:
    _name(parser)
    parser.add_argument(
        "--role", choices=ROLES, required=True, help="admin, officer, or auditor (read-only)"
    )
    parser.add_argument(
        "--password-file",
        type=Path,
        help="read the password from this file's first line (default: prompt, or stdin)",
    )


USER = group(
    "user",
    "manage console users",
    Command("add", "add a user and print their TOTP secret", user_add, _add_options),
    Command("list", "list users, their roles and lock-outs", user_list),
    Command("disable", "disable a user and end their sessions", user_disable, _name),
    Command("enable", "enable a user again and clear a lock-out", user_enable, _name),
    Command("reset-totp", "give a user a new TOTP secret", user_reset_totp, _name),
    shared=_store_options,
)

SENDERS = group(
    "senders",
    "the sender directory (staff hash -> address)",
    Command("add", "enter staff addresses of the own domains", senders_add, _senders_options),
    shared=_store_options,
)

COMMANDS = (
    Command(
        "console",
        "serve the compliance officer's web console (TLS), or manage its users",
        serve_console,
        _serve_options,
        subcommands=(USER, SENDERS),
        metavar="SUBCOMMAND",
    ),
)
