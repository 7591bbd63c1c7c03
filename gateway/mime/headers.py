"""Byte-level header edits: change a few header fields and leave every other byte alone."""

from __future__ import annotations

import re
from collections.abc import Sequence
from email.header import Header
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.model import HeaderEdit

_FIELD_NAME = re.compile(rb"^([!-9;-~]+)[ \t]*:")


def _split(raw: bytes) -> tuple[list[bytes], bytes, bytes]:
    """Header fields (each with its folded lines and CRLF), the separator, and the body."""
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        head, sep, body = raw, b"", b""
        if not head.endswith(b"\r\n"):
            head += b"\r\n"
    else:
        head, sep, body = raw[: end + 2], b"\r\n", raw[end + 4 :]
    fields: list[bytes] = []
    for line in head.splitlines(keepends=True):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += line
        else:
            fields.append(line)
    return fields, sep, body


def _name(field: bytes) -> str:
    m = _FIELD_NAME.match(field)
    return m.group(1).decode("ascii").lower() if m else ""


def encode_field(name: str, value: str) -> bytes:
    """One header field, RFC 2047-encoded and folded when it is not plain ASCII."""
    if value.isascii() and len(name) + len(value) < 76:
        return f"{name}: {value}\r\n".encode("ascii")
    encoded = Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
    return f"{name}: {encoded}\r\n".encode("ascii")


def apply_header_edits(raw: bytes, edits: Sequence[HeaderEdit]) -> bytes:
    """Apply set/add/remove edits to the header block; the body bytes are untouched."""
    fields, sep, body = _split(raw)
    for edit in edits:
        key = edit.name.lower()
        if edit.mode == "add" and edit.value is not None:
            fields.append(encode_field(edit.name, edit.value))
            continue
        if edit.value is None or edit.mode == "remove":
            fields = [f for f in fields if _name(f) != key]
            continue
        new = encode_field(edit.name, edit.value)
        for i, f in enumerate(fields):
            if _name(f) == key:
                fields[i] = new
                fields = fields[: i + 1] + [g for g in fields[i + 1 :] if _name(g) != key]
                break
        else:
            fields.append(new)
    return b"".join(fields) + sep + body
