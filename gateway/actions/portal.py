"""The portal action: the message held for pickup, and each patient sent a link."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from gateway.audit.events import record_event
from gateway.model import ActContext, ActResult, Delivery, PhigateError
from gateway.portal.notice import render_portal_notice

if TYPE_CHECKING:  # the services import the actions' notices: a type, not a load-time need
    from gateway.services import Services


class PortalUnavailable(PhigateError):
    """The external portal did not take the message: answer 451 so the sender's MTA retries."""

    code = "portal-unavailable"


class PortalAction:
    """Holds the message for pickup and sends each patient a notice with a link. See Action.

    The built-in portal stores the message encrypted (committed before the 250); with a webhook
    the external portal must accept it first, else the whole message temp-fails (451).
    """

    name = "portal"

    def __init__(self, services: Services) -> None:
        self.services = services

    async def act(self, ctx: ActContext) -> ActResult:
        """See Action."""
        p = self.services.settings.portal
        if not p.enabled and p.webhook_url is None:
            return ActResult(unserved=ctx.envelope.rcpt_tos, note="portal: not configured")
        expires = datetime.now(UTC) + timedelta(days=p.expiry_days)
        patients = ctx.detection.patients
        notices: list[Delivery] = []
        for rcpt in ctx.envelope.rcpt_tos:
            roster_id = await asyncio.to_thread(self._roster_id, rcpt, patients)
            webhook = self.services.webhook
            if webhook is not None:
                ok, reply = await asyncio.to_thread(
                    webhook.deliver,
                    ctx.original.raw if ctx.monitor else ctx.message.raw,
                    ref_id=ctx.ref_id,
                    mail_from=ctx.envelope.mail_from,
                    recipient=rcpt,
                    roster_id=roster_id,
                    expires=expires,
                )
                if not ok:
                    raise PortalUnavailable("the external portal did not accept the message")
                continue  # the external portal notifies its patients itself
            item = await asyncio.to_thread(
                self.services.portal_store.put,
                ctx.message.raw,
                ref_id=ctx.ref_id,
                mail_from=ctx.envelope.mail_from,
                recipient=rcpt,
                roster_id=roster_id,
                expires=expires,
            )
            await asyncio.to_thread(
                record_event,
                self.services.audit_log,
                "portal-stored",
                {"item": item.item_id, "ref": ctx.ref_id, "roster_id": roster_id or ""},
                domains=(rcpt.rpartition("@")[2],),
                ref_id=ctx.ref_id,
            )
            asks_dob = roster_id is not None and await asyncio.to_thread(
                self.services.roster.has_dob, roster_id
            )
            content = render_portal_notice(
                item,
                practice_name=p.practice_name,
                portal_url=p.url,
                help_text=p.help_text,
                to=rcpt,
                from_addr=p.from_address,
                template_dirs=[p.template_dir] if p.template_dir else [],
                asks_dob=asks_dob,
                timezone=self.services.settings.notices.timezone,
            )
            notices.append(Delivery(p.from_address, (rcpt,), content))
        told = self._sender_notice(ctx)
        if told is not None:
            notices.append(told)
        return ActResult(deliveries=tuple(notices), stored=True, note="held in the portal")

    def _sender_notice(self, ctx: ActContext) -> Delivery | None:
        """A short note to the sender that the message went to the portal (issue 11), unless
        notices.portal_sender_notice is off or the rule says `notify: false`."""
        if not self.services.settings.notices.portal_sender_notice:
            return None
        if not ctx.step.params.get("notify", True):
            return None
        return self.services.notices("portal", ctx)

    def _roster_id(self, rcpt: str, patients: Sequence[str]) -> str | None:
        roster = self.services.roster
        for rid in patients:
            if roster.is_address_of(rid, rcpt):
                return str(rid)
        found = roster.by_email(rcpt)
        return str(found) if found else None
