"""Header fields as bytes: split a message into its fields, write one field, edit a few fields.

This is the one place that splits a header block and the one place that encodes a header field
of free text. Splitting works on raw bytes on purpose: the fields phigate keeps (outside an
encrypted message, inside it, or around an edit) are copied byte for byte, folding included,
which a parse-and-regenerate round trip through `email` does not guarantee.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.header import Header
from email.message import Message
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.model import HeaderEdit

CRLF = b"\r\n"
_BARE_LF = re.compile(rb"(?<!\r)\n")


def to_crlf(data: bytes) -> bytes:
    """Turn bare LF line ends into CRLF, the canonical form for signing and encrypting."""
    return _BARE_LF.sub(CRLF, data)


def split_fields(raw: bytes) -> tuple[list[bytes], bytes, bytes]:
    """Split raw bytes, unchanged, into header fields, the empty line after them, and the body.

    Each field keeps its folded lines and line ends as they came. The empty line is b"" when the
    message has none (then everything is header and the body is empty).
    """
    fields: list[bytes] = []
    pos = 0
    while pos < len(raw):
        nl = raw.find(b"\n", pos)
        end = len(raw) if nl < 0 else nl + 1
        line = raw[pos:end]
        if line in (CRLF, b"\n"):
            return fields, line, raw[end:]
        pos = end
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += line
        else:
            fields.append(line)
    return fields, b"", b""


def field_key(field: bytes) -> str:
    """The lower-case name of a raw header field ("" for a line that is no field)."""
    name, sep, _ = field.partition(b":")
    return name.strip().decode("ascii", "replace").lower() if sep else ""


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


def split_message(raw: bytes) -> SplitMessage:
    """Split raw RFC 5322 bytes into header fields and body (line ends made CRLF).

    A line without a colon is no header field and is left out.
    """
    lines, _, body = split_fields(to_crlf(raw))
    fields: list[HeaderField] = []
    for line in lines:
        name, sep, _ = line.partition(b":")
        if sep:
            raw_field = line if line.endswith(CRLF) else line + CRLF
            fields.append(HeaderField(name.decode("ascii", "replace").strip(), raw_field))
    return SplitMessage(tuple(fields), body)


def parse_content_type(value: str) -> tuple[str, dict[str, str]]:
    """Parse a Content-Type value into the lower-case media type and its parameters."""
    message = Message()
    message["Content-Type"] = value
    params: dict[str, str] = {}
    for key, val in message.get_params(failobj=[], header="content-type")[1:]:
        params[key.lower()] = val if isinstance(val, str) else str(val[2])
    return message.get_content_type(), params


def header_field(name: str, value: str) -> bytes:
    """One header field of free text, RFC 2047-encoded and folded unless it is short ASCII."""
    if value.isascii() and len(name) + len(value) < 76:
        return f"{name}: {value}\r\n".encode("ascii")
    encoded = Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
    return f"{name}: {encoded}\r\n".encode("ascii")


def apply_header_edits(raw: bytes, edits: Sequence[HeaderEdit]) -> bytes:
    """Apply set/add/remove edits to the header block; every other byte is untouched."""
    fields, sep, body = split_fields(raw)
    if fields and not fields[-1].endswith(b"\n"):
        fields[-1] += CRLF
    for edit in edits:
        key = edit.name.lower()
        if edit.mode == "add" and edit.value is not None:
            fields.append(header_field(edit.name, edit.value))
            continue
        if edit.value is None or edit.mode == "remove":
            fields = [f for f in fields if field_key(f) != key]
            continue
        new = header_field(edit.name, edit.value)
        for i, f in enumerate(fields):
            if field_key(f) == key:
                fields[i] = new
                fields = fields[: i + 1] + [g for g in fields[i + 1 :] if field_key(g) != key]
                break
        else:
            fields.append(new)
    return b"".join(fields) + sep + body
