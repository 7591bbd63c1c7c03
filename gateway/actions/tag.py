"""The tag action: a header and/or a subject tag, then delivery."""

from __future__ import annotations

from dataclasses import replace

from gateway.message import RfcParser
from gateway.model import ActContext, Action, ActResult, HeaderEdit


class TagAction:
    """Adds a header and/or a subject tag, then delivers. See Action."""

    name = "tag"

    def __init__(self, deliver: Action) -> None:
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
        # Only the new header block is parsed; the body's parts are shared, not read again.
        tagged = RfcParser().with_header_edits(ctx.message, edits)
        return await self.deliver.act(replace(ctx, message=tagged))
