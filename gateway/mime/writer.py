"""The one MIME writer: a leaf entity, a multipart around entities, base64 in lines.

S/MIME and OpenPGP build their structures (multipart/signed, multipart/encrypted,
application/pkcs7-mime, inline PGP) with it. It writes bytes rather than going through
`email.generator` on purpose: an entity that is signed or encrypted must be carried byte for
byte, and `email` regenerates folding, charsets and boundaries.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gateway.mime.headers import CRLF

# A structured value is printable ASCII; a line break is allowed only as folding (CRLF + blank).
_STRUCTURED = re.compile(r"^[ -~]*(?:\r\n[ \t][ -~]*)*$")


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


@dataclass(frozen=True)
class Entity:
    """A MIME entity to write: structured header fields written as given, and its body bytes.

    Header values are printable ASCII (MIME parameters, not free text: that goes through
    `gateway.mime.headers.header_field`); a value may fold with CRLF and a blank.
    """

    headers: tuple[tuple[str, str], ...]
    body: bytes

    def __post_init__(self) -> None:
        for name, value in self.headers:
            if not _STRUCTURED.match(value):
                raise ValueError(f"{name} must be printable ASCII on one (folded) line")

    def header_bytes(self) -> bytes:
        """The header fields, each ending in CRLF."""
        return b"".join(f"{name}: {value}\r\n".encode("ascii") for name, value in self.headers)

    def to_bytes(self) -> bytes:
        """The whole entity: header fields, the empty line, the body."""
        return self.header_bytes() + CRLF + self.body


def multipart(subtype: str, parts: Sequence[bytes], *, params: str, preamble: bytes) -> Entity:
    """A multipart/`subtype` entity holding `parts` (whole entities, carried byte for byte).

    `params` are the Content-Type parameters before the boundary. The CRLF before each delimiter
    belongs to the delimiter (RFC 2046 5.1.1), so a part's last line end is its own.
    """
    boundary = new_boundary(parts)
    delimiter = b"--" + boundary.encode("ascii")
    body = preamble + b"".join(delimiter + CRLF + part + CRLF for part in parts)
    content_type = f'multipart/{subtype}; {params};\r\n boundary="{boundary}"'
    return Entity((("Content-Type", content_type),), body + delimiter + b"--" + CRLF)
