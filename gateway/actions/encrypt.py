"""The encrypt action: S/MIME or OpenPGP per recipient, with the first method that has a key."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import structlog

from gateway.keys.lookup.budget import one_message
from gateway.model import ActContext, ActResult, Delivery, Encryptor

log = structlog.get_logger("phigate.actions")


class EncryptAction:
    """Encrypts for each recipient with the first method that has a usable key. See Action."""

    name = "encrypt"

    def __init__(
        self, encryptors: Sequence[Encryptor], delivery_tls: Callable[[tuple[str, ...]], str]
    ) -> None:
        self.encryptors = {e.method: e for e in encryptors}
        self.delivery_tls = delivery_tls

    async def act(self, ctx: ActContext) -> ActResult:
        """See Action."""
        methods = ctx.step.params.get("methods") or ("smime", "pgp")
        deliveries: list[Delivery] = []
        unserved: list[str] = []
        used: set[str] = set()
        with one_message():  # key lookups on a miss share one time budget for the message
            await self._each_recipient(ctx, methods, deliveries, unserved, used)
        return ActResult(
            deliveries=tuple(deliveries),
            unserved=tuple(unserved),
            method="+".join(sorted(used)),
            note=f"encrypted for {len(deliveries)}",
        )

    async def _each_recipient(
        self,
        ctx: ActContext,
        methods: Sequence[str],
        deliveries: list[Delivery],
        unserved: list[str],
        used: set[str],
    ) -> None:
        for rcpt in ctx.envelope.rcpt_tos:
            chosen = None
            for method in methods:
                enc = self.encryptors.get(method)
                if enc is None:
                    continue
                ok, why = await asyncio.to_thread(enc.usable, rcpt)
                if ok:
                    chosen = enc
                    break
                log.info("encrypt.no_key", method=method, ref_id=ctx.ref_id, problem=why)
            if chosen is None:
                unserved.append(rcpt)
                continue
            content = await asyncio.to_thread(chosen.encrypt, ctx.message.raw, rcpt)
            used.add(chosen.method)
            deliveries.append(
                Delivery(
                    mail_from=ctx.envelope.mail_from,
                    recipients=(rcpt,),
                    content=content,
                    tls=self.delivery_tls((rcpt,)),
                )
            )
