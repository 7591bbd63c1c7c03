"""Sender notices: what was stopped, why, and what to do next, never the message itself.

`render_notice(kind, NoticeContext(...), postmaster=..., to=..., template_dirs=[...])`
returns the bytes of a multipart/alternative message (text + HTML) with a fresh
Message-ID and Date and `Auto-Submitted: auto-replied`. `NoticeContext` holds only
PHI-free fields: entity types and counts per part (`found`, see `tally`), shown in plain
words, never a preview; the subject is shown verbatim or, when a finding lies in it, withheld. The default templates live in `gateway/notices/templates/`;
a site directory overrides them file by file (see `render.py`).
"""

from gateway.notices.context import (
    DEFAULT_NEXT_STEPS,
    ENTITY_WORDS,
    INFO_KINDS,
    NOTICE_KINDS,
    SUBJECT_WITHHELD,
    Found,
    NoticeContext,
    NoticeKind,
    default_next_steps,
    entity_words,
    place_words,
    tally,
)
from gateway.notices.render import (
    SHIPPED_TEMPLATES,
    NoticeTemplateError,
    render_notice,
    render_texts,
)

__all__ = [
    "DEFAULT_NEXT_STEPS",
    "ENTITY_WORDS",
    "INFO_KINDS",
    "NOTICE_KINDS",
    "SHIPPED_TEMPLATES",
    "SUBJECT_WITHHELD",
    "Found",
    "NoticeContext",
    "NoticeKind",
    "NoticeTemplateError",
    "default_next_steps",
    "entity_words",
    "place_words",
    "render_notice",
    "render_texts",
    "tally",
]
