"""One message to the next hop outside an SMTP session: portal mail and quarantine releases.

It is the relay's own way out (a `NextHopPool` of one connection and `Relay.deliver`), so the
`delivery` settings hold here too: the next hop, the timeouts, the TLS level (with the per-domain
`tls_policy`) and the CA file. A site with `tls: require` never sends these in clear either.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from gateway.config import Settings
from gateway.delivery.outbox import Outbox
from gateway.delivery.relay import NextHopPool, Relay
from gateway.model import Delivery, Outcome, Reply, new_ref_id


class NotSent(Exception):
    """The next hop did not accept the message; `reply` says why (ours or the next hop's)."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(str(reply))
        self.reply = reply


async def send(
    settings: Settings,
    raw: bytes,
    mail_from: str,
    recipients: Sequence[str],
    *,
    ref_id: str | None = None,
) -> Outcome:
    """Deliver one message on a connection of its own; 250 only once the next hop accepted it."""
    rcpts = tuple(recipients)
    delivery = Delivery(mail_from, rcpts, raw, tls=settings.delivery.tls_for(rcpts))
    pool = NextHopPool(settings.next_hop, settings.delivery, settings.smtp.hostname)
    try:
        return await Relay(pool).deliver((delivery,), ref_id or new_ref_id())
    finally:
        await pool.close()


async def send_or_raise(
    settings: Settings, raw: bytes, mail_from: str, recipients: Sequence[str]
) -> Reply:
    """Like `send`, but a message the next hop did not take raises NotSent."""
    outcome = await send(settings, raw, mail_from, recipients)
    if not outcome.reply.ok:
        raise NotSent(outcome.reply)
    return outcome.reply


async def release(
    settings: Settings, raw: bytes, mail_from: str, recipients: Sequence[str]
) -> tuple[bool, str]:
    """Hand a released quarantine entry to the next hop: (accepted by every recipient, reply)."""
    outcome = await send(settings, raw, mail_from, recipients)
    if outcome.reply.ok:
        return True, "250 accepted by the next hop"
    return False, str(outcome.reply)


def mail_sender(
    settings: Settings, mail_from: str, outbox: Outbox | None = None
) -> Callable[[str, bytes], Awaitable[None]]:
    """The portal's `send_mail(to, raw)`: raises NotSent, or captures in `outbox` if given."""

    async def send_mail(to: str, raw: bytes) -> None:
        outcome = await send(settings, raw, mail_from, [to])
        if outcome.reply.ok:
            return
        if outbox is None:
            raise NotSent(outcome.reply)
        outbox.store(Delivery(mail_from, (to,), raw), new_ref_id())

    return send_mail
