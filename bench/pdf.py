"""The smallest well-formed PDF: numbered objects, an xref table and a trailer."""

from __future__ import annotations


def build_pdf(objects: list[bytes]) -> bytes:
    """A PDF whose object n is objects[n-1]; object 1 must be the catalog."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def stream(entries: bytes, data: bytes) -> bytes:
    """A stream object: its dictionary entries (besides /Length) and its data."""
    return b"<< " + entries + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"
