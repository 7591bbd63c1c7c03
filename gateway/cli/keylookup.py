"""`phigate keys lookup ADDRESS`: ask every enabled lookup source (WKD, DANE OPENPGPKEY and
SMIMEA, DNS CERT, LDAP) for the address now, and say what each returned and why each candidate
would be used or is refused (expired, wrong usage, no user ID with the address, DNSSEC bogus,
timeout, nothing published).

By default nothing is stored and the negative cache is neither read nor written (a dry run);
`--store` imports what validates, exactly as the gateway does on a cache miss. Exit status 0
when a usable certificate or key was found, 1 when none was.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from gateway.cli.command import Command, CommandFailed
from gateway.cli.context import Context
from gateway.cli.exits import EXIT_FAILED, EXIT_OK
from gateway.cli.options import JSON, config_option, switches
from gateway.crypto.pgp import PgpError, PgpKeyring
from gateway.keys.errors import CertStoreError
from gateway.keys.lookup.base import CandidateKind
from gateway.keys.lookup.service import LookupReport
from gateway.keys.lookup.sources import build_lookup
from gateway.keys.store import CertStore
from gateway.model import PhigateError

KINDS: tuple[CandidateKind, ...] = ("smime", "pgp")


def _options(parser: argparse.ArgumentParser) -> None:
    config_option(parser)
    parser.add_argument("address", help="the recipient's e-mail address")
    parser.add_argument(
        "--kind",
        choices=("smime", "pgp", "both"),
        default="both",
        help="look for S/MIME certificates, OpenPGP keys, or both (default both)",
    )
    switches(
        parser,
        JSON,
        ("--store", "store what validates, as the gateway does on a miss (default: dry run)"),
    )


def report_json(report: LookupReport) -> dict[str, Any]:
    """One lookup as a JSON object."""
    return {
        "kind": report.kind,
        "found": report.found,
        "used": list(report.used),
        "answers": [
            {
                "source": a.source,
                "status": a.status,
                "reason": a.reason,
                "candidates": [
                    {
                        "detail": c.detail,
                        "used": c.used,
                        "reason": c.reason,
                        "fingerprint": c.fingerprint,
                    }
                    for c in a.candidates
                ],
            }
            for a in report.answers
        ],
    }


def lookup_keys(ctx: Context, args: argparse.Namespace) -> int:
    """Look the address up in every enabled source and explain each answer."""
    address = args.address.strip().lower()
    if "@" not in address:
        raise CommandFailed(f"phigate keys lookup: not an e-mail address: {args.address!r}")
    kinds = KINDS if args.kind == "both" else (args.kind,)
    settings = ctx.settings
    reports: list[LookupReport] = []
    disabled: list[str] = []
    try:
        for kind in kinds:
            store = CertStore.from_settings(settings.smime) if kind == "smime" else None
            keyring = PgpKeyring(settings.pgp.home) if kind == "pgp" else None
            lookup = build_lookup(settings, kind, store=store, keyring=keyring)
            if lookup is None:
                disabled.append(kind)
                continue
            try:
                reports.append(lookup.lookup(address, kind, use_cache=False, store=args.store))
            finally:
                lookup.close()
                if keyring is not None:
                    keyring.close()
    except (CertStoreError, PgpError, PhigateError, ValueError) as exc:
        raise CommandFailed(f"phigate keys lookup: {exc}") from exc
    found = any(r.found for r in reports)
    if args.json:
        print(
            json.dumps(
                {
                    "address": address,
                    "stored": bool(args.store),
                    "disabled": disabled,
                    "lookups": [report_json(r) for r in reports],
                },
                sort_keys=True,
            )
        )
        return EXIT_OK if found else EXIT_FAILED
    for kind in disabled:
        print(f"{kind}: no lookup source enabled (see key_lookup in the config, docs/keys.md)")
    for report in reports:
        for answer in report.answers:
            reason = f"  {answer.reason}" if answer.reason else ""
            print(f"{report.kind:5} {answer.source:16} {answer.status}{reason}")
            for cand in answer.candidates:
                verdict = "USED" if cand.used else "REFUSED"
                fpr = f" {cand.fingerprint}" if cand.fingerprint else ""
                print(f"      {verdict:8}{fpr} {cand.detail}")
                print(f"               {cand.reason}")
    if found:
        print("stored: the gateway will use it" if args.store else "usable (dry run: not stored)")
    else:
        print("no usable certificate or key found")
    return EXIT_OK if found else EXIT_FAILED


COMMANDS = (
    Command(
        "lookup",
        "look a recipient's certificate or key up (WKD, DANE, DNS CERT, LDAP) and explain",
        lookup_keys,
        _options,
    ),
)
