"""Sender notices: what was stopped, why, and what to do next, never the message itself.

`render_notice(kind, NoticeContext(...), postmaster=..., to=..., template_dirs=[...])`
returns the bytes of a multipart/alternative message (text + HTML) with a fresh
Message-ID and Date and `Auto-Submitted: auto-replied`. `NoticeContext` holds only
masked or PHI-free fields. The default templates live in `gateway/notices/templates/`;
a site directory overrides them file by file (see `render.py`).
"""

from gateway.notices.context import (
    DEFAULT_NEXT_STEPS,
    NOTICE_KINDS,
    NoticeContext,
    NoticeKind,
    mask_text,
)
from gateway.notices.render import (
    SHIPPED_TEMPLATES,
    NoticeTemplateError,
    render_notice,
    render_texts,
)

__all__ = [
    "DEFAULT_NEXT_STEPS",
    "NOTICE_KINDS",
    "SHIPPED_TEMPLATES",
    "NoticeContext",
    "NoticeKind",
    "NoticeTemplateError",
    "mask_text",
    "render_notice",
    "render_texts",
]
