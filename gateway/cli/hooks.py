"""The gateway's own hooks for the commands: audit records, next-hop delivery, key listings."""

from __future__ import annotations

import getpass
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.audit import AuditEntry, AuditLog
from gateway.audit.events import record_event
from gateway.cli.command import operator
from gateway.cli.context import Hooks
from gateway.cli.keys import smime_rows
from gateway.cli.pgp import pgp_rows
from gateway.config import Settings
from gateway.delivery.sender import release
from gateway.keys.store import CertStore
from gateway.model import new_ref_id


def gateway_hooks(settings: Settings) -> Hooks:
    """The hooks wired to the configured audit log, next hop and key stores."""

    def pgp_keys(expiring: timedelta | None) -> list[dict[str, Any]]:
        return pgp_rows(settings.pgp.home, expiring)

    def smime_report() -> list[dict[str, Any]]:
        return smime_rows(CertStore.from_settings(settings.smime))

    def pgp_report() -> list[dict[str, Any]]:
        # pgp_rows would create an empty GnuPG home; a report must not.
        return pgp_rows(settings.pgp.home) if settings.pgp.home.exists() else []

    return Hooks(
        audit_access=lambda entry_id, action, who: audit_access(settings, entry_id, action, who),
        deliver=lambda raw, mail_from, rcpts: release_to_next_hop(settings, raw, mail_from, rcpts),
        audit_event=lambda action, details: audit_event(settings, action, details),
        pgp_rows=pgp_keys,
        key_sources=(("S/MIME certificates", smime_report), ("OpenPGP keys", pgp_report)),
    )


def _audit_log(settings: Settings) -> AuditLog:
    a = settings.audit
    return AuditLog(a.url, a.key_file, a.anchor_file)


def audit_event(settings: Settings, action: str, details: Mapping[str, Any]) -> None:
    """Record an operator's change (a consent granted or revoked) in the audit log."""
    with _audit_log(settings) as log:
        record_event(log, action, details, actor=getpass.getuser())


def audit_access(settings: Settings, entry_id: str, action: str, who: str) -> None:
    """Record an officer's access to a quarantined message in the audit log."""
    with _audit_log(settings) as log:
        log.append(
            AuditEntry(
                ref_id=new_ref_id(),
                ts=datetime.now(UTC),
                message_id=None,
                sender_hash=log.keyed_hash(operator(who)),
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


async def release_to_next_hop(
    settings: Settings, raw: bytes, mail_from: str, recipients: Sequence[str]
) -> tuple[bool, str]:
    """Hand a released message to the next hop as the relay does (delivery.tls and all)."""
    return await release(settings, raw, mail_from, recipients)
