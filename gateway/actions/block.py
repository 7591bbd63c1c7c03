"""The block action: the message stops here, and the sender is told why."""

from __future__ import annotations

from gateway.actions.notices import NoticeSender
from gateway.config import NoticeSettings
from gateway.model import ActContext, ActResult, Reply


class BlockAction:
    """Stops the message for these recipients and tells the sender why. See Action."""

    name = "block"

    def __init__(self, settings: NoticeSettings, notices: NoticeSender) -> None:
        self.settings = settings
        self.notices = notices

    async def act(self, ctx: ActContext) -> ActResult:
        """See Action."""
        reply = None
        if self.settings.block_reply == "reject":
            types = ", ".join(sorted({f.entity for f in ctx.detection.findings})[:5]) or "policy"
            reply = Reply(
                550, "5.7.1", f"Message blocked by rule {ctx.rule} ({types}); ref {ctx.ref_id}"
            )
        kind = "fallback" if ctx.attempted else "block"
        notice = self.notices(kind, ctx) if ctx.step.params.get("notify", True) else None
        return ActResult(
            deliveries=(notice,) if notice else (),
            reply=reply,
            note=f"blocked for {len(ctx.envelope.rcpt_tos)}",
        )
