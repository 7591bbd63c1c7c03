"""The policy actions: tag, block, quarantine, encrypt, and the portal/consent placeholders.

Each action is a small class with a `name` and one `act(ctx)` method (see Action). An action
that cannot serve a recipient returns it in `unserved`, and the pipeline tries the rule's next
fallback for it. Nothing here ever lets a message out in the clear that a rule meant to protect.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog

from gateway.config import NoticeSettings
from gateway.detect import PartLabels
from gateway.mime.headers import apply_header_edits
from gateway.model import ActContext, ActResult, Delivery, HeaderEdit, PhigateError, Reply
from gateway.notices import NoticeContext, tally

log = structlog.get_logger("phigate.actions")


class NoticeSender(Protocol):
    """Builds a notice to the sender as a ready Delivery (or None when there is nobody to tell)."""

    def __call__(self, kind: str, ctx: ActContext) -> Delivery | None: ...


def subject_of(ctx: ActContext) -> str:
    """The original subject, decoded (never logged)."""
    try:
        return ctx.original.header("Subject") or ""
    except (ValueError, TypeError, IndexError):
        return ""


def notice_context(kind: str, ctx: ActContext, settings: NoticeSettings) -> Any:
    """The PHI-free facts of a notice, built from the detection result: entity types with counts
    and places, never previews; the subject is withheld whole when a finding lies in it or it
    could not be read."""
    findings = list(ctx.detection.findings)
    labels = PartLabels()
    subject_unread = any(getattr(u, "part", "") == "subject" for u in ctx.detection.unscannable)
    return NoticeContext(
        ref_id=ctx.ref_id,
        rule=ctx.rule,
        action=kind,
        reason_text=ctx.reason,
        entity_types=tuple(sorted({f.entity for f in findings})),
        found=tally((f.entity, labels(f.part)) for f in findings),
        locations=tuple(dict.fromkeys(labels(f.part) for f in findings)),
        subject=subject_of(ctx),
        subject_has_phi=subject_unread or any(f.part == "subject" for f in findings),
        recipient_count=len(ctx.envelope.rcpt_tos),
        recipient_domains=tuple(sorted({r.rpartition("@")[2] for r in ctx.envelope.rcpt_tos})),
        date=datetime.now(UTC),
        timezone=settings.timezone,
        help_contact=settings.help_contact,
        next_steps=tuple(settings.next_steps),
    )


class TemplateNotices:
    """Renders notices from the Jinja2 templates and addresses them from the postmaster."""

    def __init__(self, settings: NoticeSettings) -> None:
        self.settings = settings

    def __call__(self, kind: str, ctx: ActContext) -> Delivery | None:
        from gateway.notices import render_notice

        sender = ctx.envelope.mail_from
        if not sender or "@" not in sender:
            return None  # a bounce or notice itself: never answer it (no loops)
        dirs = [self.settings.template_dir] if self.settings.template_dir else []
        content = render_notice(
            kind,  # type: ignore[arg-type]
            notice_context(kind, ctx, self.settings),
            postmaster=self.settings.postmaster,
            to=sender,
            template_dirs=dirs,
        )
        # Null reverse-path: a notice must never bounce back into another notice.
        return Delivery(mail_from="", recipients=(sender,), content=content)


class TagAction:
    """Adds a header and/or a subject tag, then delivers. See Action."""

    name = "tag"

    def __init__(self, deliver: Any) -> None:
        self.deliver = deliver

    async def act(self, ctx: ActContext) -> ActResult:
        """See Action."""
        edits: list[HeaderEdit] = []
        header = ctx.step.params.get("header")
        if isinstance(header, str):
            name, _, value = header.partition(":")
            edits.append(HeaderEdit(name.strip(), value.strip(), "add"))
        tag = ctx.step.params.get("subject_tag")
        if isinstance(tag, str):
            subject = ctx.message.header("Subject") or ""
            if not subject.startswith(tag):
                edits.append(HeaderEdit("Subject", f"{tag} {subject}".strip()))
        from gateway.message import RfcParser

        tagged = RfcParser().parse(apply_header_edits(ctx.message.raw, edits))
        result: ActResult = await self.deliver.act(
            ActContext(**{**ctx.__dict__, "message": tagged})
        )
        return result


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


class QuarantineAction:
    """Stores the message encrypted at rest and tells the sender. See Action."""

    name = "quarantine"

    def __init__(self, services: Any) -> None:
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


class ConsentAllowAction:
    """Delivers unencrypted only under a valid consent that covers every entity type found.

    Each use is recorded in the consent registry (in the same transaction that re-checks the
    consent, so a revocation that committed first wins) and as a `consent-exception` audit event
    before the copy goes out. Anyone without such a consent falls to the rule's fallback.
    See Action.
    """

    name = "consent_allow"

    def __init__(self, services: Any) -> None:
        self.services = services

    async def act(self, ctx: ActContext) -> ActResult:
        """See Action."""
        from gateway.audit.events import record_event

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
                self.services.audit,
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


class PortalUnavailable(PhigateError):
    """The external portal did not take the message: answer 451 so the sender's MTA retries."""

    code = "portal-unavailable"


class PortalAction:
    """Holds the message for pickup and sends each patient a notice with a link. See Action.

    The built-in portal stores the message encrypted (committed before the 250); with a webhook
    the external portal must accept it first, else the whole message temp-fails (451).
    """

    name = "portal"

    def __init__(self, services: Any) -> None:
        self.services = services

    async def act(self, ctx: ActContext) -> ActResult:
        """See Action."""
        from datetime import timedelta

        from gateway.audit.events import record_event
        from gateway.portal import render_portal_notice

        p = self.services.settings.portal
        if not p.enabled and p.webhook_url is None:
            return ActResult(unserved=ctx.envelope.rcpt_tos, note="portal: not configured")
        expires = datetime.now(UTC) + timedelta(days=p.expiry_days)
        patients = list(ctx.detection.summary.get("patients", ()))
        notices: list[Delivery] = []
        for rcpt in ctx.envelope.rcpt_tos:
            roster_id = await asyncio.to_thread(self._roster_id, rcpt, patients)
            if self.services.webhook is not None:
                ok, reply = await asyncio.to_thread(
                    self.services.webhook.deliver,
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
                self.services.audit,
                "portal-stored",
                {"item": item.item_id, "ref": ctx.ref_id, "roster_id": roster_id or ""},
                domains=(rcpt.rpartition("@")[2],),
                ref_id=ctx.ref_id,
            )
            asks_dob = bool(roster_id) and await asyncio.to_thread(
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
            )
            notices.append(Delivery(p.from_address, (rcpt,), content))
        return ActResult(deliveries=tuple(notices), stored=True, note="held in the portal")

    def _roster_id(self, rcpt: str, patients: Sequence[str]) -> str | None:
        roster = self.services.roster
        for rid in patients:
            if roster.is_address_of(rid, rcpt):
                return str(rid)
        found = roster.by_email(rcpt)
        return str(found) if found else None


class Encryptor(Protocol):
    """One encryption method (S/MIME or OpenPGP) for one recipient."""

    method: str

    def usable(self, recipient: str) -> tuple[bool, str]: ...

    def encrypt(self, raw: bytes, recipient: str) -> bytes: ...


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
        return ActResult(
            deliveries=tuple(deliveries),
            unserved=tuple(unserved),
            method="+".join(sorted(used)),
            note=f"encrypted for {len(deliveries)}",
        )
