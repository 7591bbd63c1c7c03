"""Notices to the sender: the PHI-free facts of what happened, rendered from the templates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from gateway.config import NoticeSettings
from gateway.detect import PartLabels
from gateway.model import ActContext, Delivery
from gateway.notices import NoticeContext, default_next_steps, render_notice, tally


class NoticeSender(Protocol):
    """Builds a notice to the sender as a ready Delivery (or None when there is nobody to tell)."""

    def __call__(self, kind: str, ctx: ActContext) -> Delivery | None: ...


def subject_of(ctx: ActContext) -> str:
    """The original subject, decoded (never logged)."""
    try:
        return ctx.original.header("Subject") or ""
    except (ValueError, TypeError, IndexError):
        return ""


def notice_context(kind: str, ctx: ActContext, settings: NoticeSettings) -> NoticeContext:
    """The PHI-free facts of a notice, built from the detection result: entity types with counts
    and places, never previews; the subject is withheld whole when a finding lies in it or it
    could not be read."""
    findings = list(ctx.detection.findings)
    labels = PartLabels()
    subject_unread = any(u.part == "subject" for u in ctx.detection.unscannable)
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
        next_steps=next_steps_for(kind, ctx, settings),
    )


def next_steps_for(kind: str, ctx: ActContext, settings: NoticeSettings) -> tuple[str, ...]:
    """The rule's own next steps, else the site's (notices.next_steps), else those for what
    happened: a misdirected message, a never-by-email rule, no key to encrypt with, ..."""
    params = ctx.step.params
    own = params.get("next_steps")
    if own:
        return tuple(str(s) for s in own)
    if settings.next_steps:
        return tuple(settings.next_steps)
    return default_next_steps(kind, ctx.attempted, str(params.get("situation", "")))


class TemplateNotices:
    """Renders notices from the Jinja2 templates and addresses them from the postmaster."""

    def __init__(self, settings: NoticeSettings) -> None:
        self.settings = settings

    def __call__(self, kind: str, ctx: ActContext) -> Delivery | None:
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
