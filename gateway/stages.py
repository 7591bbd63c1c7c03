"""The built-in stages of the core: a detector that finds nothing and the deliver action."""

from __future__ import annotations

from gateway.config import DeliverySettings
from gateway.pipeline import ActResult, Decision, Delivery, Detection, Envelope, ParsedMessage


class NullDetector:
    """Finds nothing; the detection issue replaces it. See Detector."""

    name = "null"

    def detect(self, message: ParsedMessage, envelope: Envelope) -> Detection:
        """See Detector."""
        return Detection(phi=False, score=0.0, reasons=("no detectors configured",))


class DeliverAction:
    """Sends the original bytes, untouched, to every recipient. See Action."""

    name = "deliver"

    def __init__(self, delivery: DeliverySettings) -> None:
        self.delivery = delivery

    async def act(
        self, message: ParsedMessage, envelope: Envelope, decision: Decision, ref_id: str
    ) -> ActResult:
        """See Action."""
        copy = Delivery(
            mail_from=envelope.mail_from,
            recipients=envelope.rcpt_tos,
            content=message.raw,
            tls=self.delivery.tls_for(envelope.rcpt_tos),
        )
        return ActResult(deliveries=(copy,), note="original bytes to every recipient")
