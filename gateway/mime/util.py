"""Byte-exact MIME helpers for wrapping a message: split headers, protected headers, outer message.

These work on raw bytes on purpose: the inner entity of an encrypted or signed message must be the
original entity byte for byte, which a parse-and-regenerate round trip through `email` does not
guarantee (folding, charset and boundary handling all change bytes).
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.header import Header
from email.message import Message

CRLF = b"\r\n"
_BARE_LF = re.compile(rb"(?<!\r)\n")
_HEADER_END = re.compile(rb"\r?\n\r?\n")

#: Header fields an encrypted message keeps inside its protected part (draft-ietf-lamps-header-protection).
PROTECTED_FIELDS: tuple[str, ...] = ("from", "to", "cc", "date", "subject", "reply-to")

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


def stays_outside(key: str) -> bool:
    """True for a (lower-case) header field name that an encrypted message may show outside."""
    return key in OUTER_FIELDS


def is_trace(key: str) -> bool:
    """True for a trace or authentication field, which encrypted output leaves out altogether."""
    return key in TRACE_FIELDS or key.startswith("arc-")


@dataclass(frozen=True)
class HeaderField:
    """One header field as it came: its name and the raw bytes including folding and line end."""

    name: str
    raw: bytes

    @property
    def key(self) -> str:
        """The lower-case field name."""
        return self.name.lower()

    @property
    def value(self) -> str:
        """The unfolded field value, decoded leniently (for parameters, never for output)."""
        text = self.raw.decode("utf-8", "surrogateescape")
        _, _, value = text.partition(":")
        return re.sub(r"\r?\n[ \t]", " ", value).strip()


@dataclass(frozen=True)
class SplitMessage:
    """A message split into its header fields and body, both in canonical CRLF form."""

    headers: tuple[HeaderField, ...]
    body: bytes

    def fields(self, name: str) -> list[HeaderField]:
        """All fields with this name, in order."""
        key = name.lower()
        return [h for h in self.headers if h.key == key]

    def content_fields(self) -> list[HeaderField]:
        """The fields that describe the MIME entity (Content-*), in order."""
        return [h for h in self.headers if h.key.startswith("content-")]

    def content_type(self) -> tuple[str, dict[str, str]]:
        """The media type (lower case) and its parameters; text/plain when absent."""
        found = self.fields("content-type")
        return parse_content_type(found[0].value if found else "text/plain")


def to_crlf(data: bytes) -> bytes:
    """Turn bare LF line ends into CRLF, the canonical form for signing and encrypting."""
    return _BARE_LF.sub(CRLF, data)


def split_message(raw: bytes) -> SplitMessage:
    """Split raw RFC 5322 bytes into header fields and body (line ends made CRLF)."""
    data = to_crlf(raw)
    match = _HEADER_END.search(data)
    if data.startswith(CRLF):
        head, body = b"", data[2:]
    elif match is None:
        head, body = data, b""
    else:
        head, body = data[: match.start() + 2], data[match.end() :]
    fields: list[HeaderField] = []
    for line in head.splitlines(keepends=True):
        if line[:1] in (b" ", b"\t") and fields:
            last = fields[-1]
            fields[-1] = HeaderField(last.name, last.raw + line)
            continue
        if not line.endswith(CRLF):
            line += CRLF
        name, sep, _ = line.partition(b":")
        if not sep:
            # A line without a colon is not a header field; keep it out of the copy.
            continue
        fields.append(HeaderField(name.decode("ascii", "replace").strip(), line))
    return SplitMessage(tuple(fields), body)


def parse_content_type(value: str) -> tuple[str, dict[str, str]]:
    """Parse a Content-Type value into the lower-case media type and its parameters."""
    message = Message()
    message["Content-Type"] = value
    params: dict[str, str] = {}
    for key, val in message.get_params(failobj=[], header="content-type")[1:]:
        params[key.lower()] = val if isinstance(val, str) else str(val[2])
    return message.get_content_type(), params


def moved_fields(split: SplitMessage, *, with_subject: bool) -> list[HeaderField]:
    """The fields that must not stay outside an encrypted message (see OUTER_FIELDS)."""
    return [
        f
        for f in split.headers
        if not stays_outside(f.key)
        and not is_trace(f.key)
        and not f.key.startswith("content-")
        and (with_subject or f.key != "subject")
    ]


def protect_entity(split: SplitMessage) -> bytes:
    """The original MIME entity with the protected header fields and `protected-headers="v1"`.

    Inside go the protected fields and every field that may not stay outside (see OUTER_FIELDS).
    """
    parts: list[bytes] = []
    moved = set(moved_fields(split, with_subject=True))
    content = split.content_fields()
    if not any(f.key == "content-type" for f in content):
        parts.append(b'Content-Type: text/plain; charset="us-ascii"; protected-headers="v1"\r\n')
    for item in content:
        if item.key == "content-type":
            parts.append(item.raw[: -len(CRLF)] + b';\r\n protected-headers="v1"\r\n')
        else:
            parts.append(item.raw)
    for item in split.headers:
        if item.key in PROTECTED_FIELDS or item in moved:
            parts.append(item.raw)
    return b"".join(parts) + CRLF + split.body


def plain_entity(split: SplitMessage, *, moved: Sequence[HeaderField] = ()) -> bytes:
    """The original MIME entity: every Content-* field and the body, byte for byte.

    `moved` header fields (those that may not stay outside an encrypted message) go first.
    """
    return b"".join(f.raw for f in (*moved, *split.content_fields())) + CRLF + split.body


def encode_header(name: str, value: str) -> bytes:
    """One header field, RFC 2047 encoded when the value is not ASCII."""
    try:
        value.encode("ascii")
    except UnicodeEncodeError:
        value = Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
    return f"{name}: {value}".encode("ascii") + CRLF


def outer_message(
    split: SplitMessage,
    *,
    subject: str | None,
    content_headers: Sequence[bytes],
    body: bytes,
    encrypted: bool = False,
) -> bytes:
    """A new message: the original's non-MIME header fields (Subject replaced if given), new body.

    With `encrypted`, only OUTER_FIELDS (and the Subject) stay: the rest went inside.
    """
    out: list[bytes] = []
    replaced = False
    for item in split.headers:
        if item.key.startswith("content-") or item.key == "mime-version":
            continue
        if encrypted and item.key != "subject" and not stays_outside(item.key):
            continue
        if item.key == "subject" and subject is not None:
            if not replaced:
                out.append(encode_header("Subject", subject))
                replaced = True
            continue
        out.append(item.raw)
    if subject is not None and not replaced:
        out.append(encode_header("Subject", subject))
    out.append(b"MIME-Version: 1.0\r\n")
    out.extend(content_headers)
    return b"".join(out) + CRLF + body


def base64_lines(data: bytes, width: int = 76) -> bytes:
    """Base64 in CRLF-terminated lines of `width` characters (RFC 2045)."""
    encoded = base64.b64encode(data)
    return b"".join(encoded[i : i + width] + CRLF for i in range(0, len(encoded), width))


def new_boundary(avoid: Iterable[bytes]) -> str:
    """A random MIME boundary that occurs in none of `avoid`."""
    while True:
        boundary = f"----=_phigate_{secrets.token_hex(12)}"
        token = boundary.encode("ascii")
        if not any(token in chunk for chunk in avoid):
            return boundary
