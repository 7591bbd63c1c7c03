"""Wiring of the key, certificate and quarantine commands to the gateway's configuration."""

from __future__ import annotations

import argparse
import getpass
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gateway.config import Settings, load_settings
from gateway.delivery.sender import release


def _settings(config: str | None) -> Settings:
    return load_settings(Path(config) if config else None)


def register(sub: Any) -> None:
    """Add `keys` (S/MIME and OpenPGP) and `quarantine` to the command line."""
    from gateway.cli.keys import StoreSettings
    from gateway.cli.keys import register as register_keys
    from gateway.cli.pgp import import_pgp, pgp_rows, trust_pgp, untrust_pgp
    from gateway.cli.quarantine import QuarantineCliContext
    from gateway.cli.quarantine import register as register_quarantine

    def keys_settings(config: str | None) -> StoreSettings:
        return StoreSettings.from_smime(_settings(config).smime)

    def pgp_home(args: argparse.Namespace) -> Path:
        return (
            Path(args.pgp_home)
            if getattr(args, "pgp_home", None)
            else _settings(getattr(args, "keys_config", None)).pgp.home
        )

    def pgp_source(args: argparse.Namespace) -> list[dict[str, Any]]:
        rows = pgp_rows(pgp_home(args), getattr(args, "expiring", None))
        # one column name for both kinds in `keys list`
        return [{**r, "not_after": r.get("expires") or ""} for r in rows]

    register_keys(sub, keys_settings, row_sources=[pgp_source])
    keys_parser = sub.choices["keys"]
    keys_sub = next(a for a in keys_parser._actions if isinstance(a, argparse._SubParsersAction))
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", dest="keys_config", metavar="FILE", help="gateway config file")
    common.add_argument("--pgp-home", help="the gateway's OpenPGP keyring (default from config)")

    def run(fn: Any) -> Any:
        def go(args: argparse.Namespace) -> int:
            print(fn(args))
            return 0

        return go

    p = keys_sub.add_parser("import-pgp", parents=[common], help="import OpenPGP public keys")
    p.add_argument("file", type=Path)
    p.set_defaults(func=run(lambda a: import_pgp(pgp_home(a), a.file)))
    p = keys_sub.add_parser(
        "trust", parents=[common], help="let an OpenPGP key encrypt mail for an address"
    )
    p.add_argument("fingerprint")
    p.add_argument("address")
    p.set_defaults(func=run(lambda a: trust_pgp(pgp_home(a), a.fingerprint, a.address)))
    p = keys_sub.add_parser("untrust", parents=[common], help="withdraw an OpenPGP key's trust")
    p.add_argument("fingerprint")
    p.add_argument("address", nargs="?")
    p.set_defaults(func=run(lambda a: untrust_pgp(pgp_home(a), a.fingerprint, a.address)))

    def quarantine_context(config: str | None) -> QuarantineCliContext:
        settings = _settings(config)
        q = settings.quarantine
        return QuarantineCliContext(
            url=q.url,
            master_key_file=q.master_key_file,
            retention_days=q.retention_days,
            audit_access=lambda entry_id, action, who: audit_access(
                settings, entry_id, action, who
            ),
            deliver=lambda raw, mail_from, rcpts: release_to_next_hop(
                settings, raw, mail_from, rcpts
            ),
        )

    register_quarantine(sub, quarantine_context)


def audit_access(settings: Settings, entry_id: str, action: str, who: str) -> None:
    """Record an officer's access to a quarantined message in the audit log."""
    from gateway.audit import AuditEntry, AuditLog
    from gateway.pipeline import new_ref_id

    a = settings.audit
    log = AuditLog(a.url, a.key_file, a.anchor_file)
    try:
        operator = who or os.environ.get("SUDO_USER") or getpass.getuser()
        log.append(
            AuditEntry(
                ref_id=new_ref_id(),
                ts=datetime.now(UTC),
                message_id=None,
                sender_hash=log.keyed_hash(operator),
                recipient_domains=(),
                size=0,
                stages=(
                    {
                        "stage": "quarantine",
                        "outcome": action,
                        "reason": f"entry {entry_id} by operator",
                        "entry": entry_id,
                    },
                ),
                action=f"quarantine-{action}",
                next_hop_reply=None,
                timings={},
            )
        )
    finally:
        log.close()


async def release_to_next_hop(
    settings: Settings, raw: bytes, mail_from: str, recipients: Sequence[str]
) -> tuple[bool, str]:
    """Hand a released message to the next hop as the relay does (delivery.tls and all)."""
    return await release(settings, raw, mail_from, recipients)
