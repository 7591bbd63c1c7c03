"""The consent_allow action: unencrypted delivery under a patient's documented consent."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import structlog

from gateway.audit.events import record_event
from gateway.model import ActContext, ActResult, Delivery

if TYPE_CHECKING:  # the services import the actions' notices: a type, not a load-time need
    from gateway.services import Services

log = structlog.get_logger("phigate.actions")


class ConsentAllowAction:
    """Delivers unencrypted only under a valid consent that covers every entity type found.

    Each use is recorded in the consent registry (in the same transaction that re-checks the
    consent, so a revocation that committed first wins) and as a `consent-exception` audit event
    before the copy goes out. Anyone without such a consent falls to the rule's fallback.
    See Action.
    """

    name = "consent_allow"

    def __init__(self, services: Services) -> None:
        self.services = services

    async def act(self, ctx: ActContext) -> ActResult:
        """See Action."""
        entity_types = sorted({f.entity for f in ctx.detection.findings})
        now = datetime.now(UTC)
        allowed: list[str] = []
        unserved: list[str] = []
        for rcpt in ctx.envelope.rcpt_tos:
            use = await asyncio.to_thread(
                self.services.consents.check_and_use, rcpt, entity_types, now, ctx.ref_id
            )
            if use is None:
                unserved.append(rcpt)
                continue
            await asyncio.to_thread(
                record_event,
                self.services.audit_log,
                "consent-exception",
                {
                    "consent_id": use.consent_id,
                    "roster_id": use.roster_id,
                    "entities": list(use.entity_types),
                    "rule": ctx.rule,
                    "ref": ctx.ref_id,
                },
                domains=(rcpt.rpartition("@")[2],),
                ref_id=ctx.ref_id,
            )
            log.info("consent.used", ref_id=ctx.ref_id, consent_id=use.consent_id)
            allowed.append(rcpt)
        deliveries: tuple[Delivery, ...] = ()
        if allowed:
            # In clear by the patient's documented choice, but over TLS wherever offered.
            deliveries = (
                Delivery(ctx.envelope.mail_from, tuple(allowed), ctx.message.raw, "opportunistic"),
            )
        return ActResult(
            deliveries=deliveries,
            unserved=tuple(unserved),
            note=f"consent exception for {len(allowed)}",
        )
