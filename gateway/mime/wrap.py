"""Wrapping a message for encryption or signing: which header fields go inside, which stay outside.

S/MIME and OpenPGP share these rules. The inner entity is the original MIME entity byte for
byte (line ends made CRLF), after the header fields that may not stay outside; with protected
headers (draft-ietf-lamps-header-protection) it also repeats the protected fields and its
Content-Type gains `protected-headers="v1"`. The outer message keeps only the fields
`OUTER_FIELDS` names, with a new body.
"""

from __future__ import annotations

from gateway.mime.headers import CRLF, HeaderField, SplitMessage, header_field
from gateway.mime.writer import Entity

#: Header fields an encrypted message repeats inside its protected part.
PROTECTED_FIELDS: frozenset[str] = frozenset(
    {"subject", "from", "to", "cc", "date", "message-id", "reply-to"}
)

#: The only header fields an encrypted message shows outside (S/MIME and OpenPGP alike): who,
#: when, the threading identifiers and trace. Every other field can hold free text
#: (Thread-Topic, Keywords, Comments, X-*), so it moves inside the encryption.
OUTER_FIELDS: frozenset[str] = frozenset(
    {
        "from", "to", "cc", "date", "message-id", "reply-to", "sender", "in-reply-to",
        "references", "mime-version",
    }
)  # fmt: skip
#: Trace and authentication fields of the hops before phigate: neither outside nor inside.
TRACE_FIELDS: frozenset[str] = frozenset(
    {
        "received", "return-path", "delivered-to", "dkim-signature", "authentication-results",
        "received-spf", "x-received",
    }
)  # fmt: skip

_PROTECTED_MARK = b';\r\n protected-headers="v1"\r\n'
_PLAIN_PROTECTED = b'Content-Type: text/plain; charset="us-ascii"; protected-headers="v1"\r\n'


def stays_outside(key: str) -> bool:
    """True for a (lower-case) header field name that an encrypted message may show outside."""
    return key in OUTER_FIELDS


def is_trace(key: str) -> bool:
    """True for a trace or authentication field, which encrypted output leaves out altogether."""
    return key in TRACE_FIELDS or key.startswith("arc-")


def moves_inside(key: str, *, with_subject: bool) -> bool:
    """True for a (lower-case) field name that may not stay outside an encrypted message.

    Content-* fields are the entity's own and count as neither; the Subject moves only
    `with_subject`.
    """
    if not key or key.startswith("content-") or stays_outside(key) or is_trace(key):
        return False
    return with_subject or key != "subject"


def original_entity(split: SplitMessage) -> bytes:
    """The original MIME entity: every Content-* field and the body, byte for byte."""
    return b"".join(f.raw for f in split.content_fields()) + CRLF + split.body


def inner_entity(split: SplitMessage, *, protect: bool) -> bytes:
    """The entity to encrypt: the moved fields, then the original MIME entity byte for byte.

    With `protect`, the protected fields come along (in their original order, among the moved
    ones) and the Content-Type gains `protected-headers="v1"` (one is added when there is none).
    """
    inside = [
        f
        for f in split.headers
        if (protect and f.key in PROTECTED_FIELDS) or moves_inside(f.key, with_subject=protect)
    ]
    moved = b"".join(f.raw for f in inside)
    if not protect:
        return moved + original_entity(split)
    return moved + b"".join(_mark_protected(split.content_fields())) + CRLF + split.body


def _mark_protected(content: list[HeaderField]) -> list[bytes]:
    out = [f.raw for f in content]
    for i, item in enumerate(content):
        if item.key == "content-type":
            out[i] = item.raw.rstrip(b"\r\n") + _PROTECTED_MARK
            return out
    return [_PLAIN_PROTECTED, *out]


def outer_message(
    split: SplitMessage, entity: Entity, *, subject: str | None, encrypted: bool
) -> bytes:
    """A new message around `entity`: the original's non-MIME header fields, raw, then the entity.

    `subject` replaces the original Subject (in its place) when given; a line break in it would
    add header fields, so it raises ValueError. With `encrypted`, only OUTER_FIELDS and the
    Subject stay: the rest went inside.
    """
    if subject is not None and ("\r" in subject or "\n" in subject):
        raise ValueError("Subject must be a single line")
    out: list[bytes] = []
    replaced = False
    for item in split.headers:
        if item.key.startswith("content-") or item.key == "mime-version":
            continue
        if encrypted and item.key != "subject" and not stays_outside(item.key):
            continue
        if item.key == "subject" and subject is not None:
            if not replaced:
                out.append(header_field("Subject", subject))
                replaced = True
            continue
        out.append(item.raw)
    if subject is not None and not replaced:
        out.append(header_field("Subject", subject))
    out.append(b"MIME-Version: 1.0\r\n")
    return b"".join(out) + entity.to_bytes()
