"""The quarantine action: the message stored encrypted at rest for review."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from gateway.model import ActContext, ActResult

if TYPE_CHECKING:  # the services import the actions' notices: a type, not a load-time need
    from gateway.services import Services


class QuarantineAction:
    """Stores the message encrypted at rest and tells the sender. See Action."""

    name = "quarantine"

    def __init__(self, services: Services) -> None:
        # The store opens on first use, so a policy that never quarantines opens no database.
        self.services = services

    async def act(self, ctx: ActContext) -> ActResult:
        """See Action. The 250 follows only after the store's commit."""
        summary = dict(ctx.detection.summary)
        await asyncio.to_thread(
            lambda: self.services.quarantine.put(
                ctx.original.raw,
                ref_id=ctx.ref_id,
                mail_from=ctx.envelope.mail_from,
                sender_hash=self.services.keyed_hash(ctx.envelope.mail_from),
                recipients=ctx.envelope.rcpt_tos,
                recipient_domains=tuple(
                    sorted({r.rpartition("@")[2] for r in ctx.envelope.rcpt_tos})
                ),
                rule=ctx.rule,
                reason=ctx.reason,
                summary={k: v for k, v in summary.items() if k in ("entities", "score", "phi")},
            )
        )
        notice = (
            self.services.notices("quarantine", ctx)
            if ctx.step.params.get("notify", True)
            else None
        )
        return ActResult(deliveries=(notice,) if notice else (), stored=True, note="quarantined")
