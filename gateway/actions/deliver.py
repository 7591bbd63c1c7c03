"""The deliver action: the message as sent, to every recipient."""

from __future__ import annotations

from gateway.config import TLS_ORDER, DeliverySettings
from gateway.model import ActContext, ActResult, Delivery


class DeliverAction:
    """Sends the original bytes, untouched, to every recipient. See Action."""

    name = "deliver"

    def __init__(self, delivery: DeliverySettings) -> None:
        self.delivery = delivery

    async def act(self, ctx: ActContext) -> ActResult:
        """See Action. A `tls: require|verify` option raises the TLS level for this copy."""
        rcpts = ctx.envelope.rcpt_tos
        tls = self.delivery.tls_for(rcpts)
        wanted = ctx.step.params.get("tls")
        if isinstance(wanted, str) and TLS_ORDER[wanted] > TLS_ORDER[tls]:
            tls = wanted  # type: ignore[assignment]
        copy = Delivery(
            mail_from=ctx.envelope.mail_from, recipients=rcpts, content=ctx.message.raw, tls=tls
        )
        return ActResult(deliveries=(copy,), note="the message as sent, to every recipient")
