"""Is this really encrypted? Recognise real S/MIME and OpenPGP envelopes by their structure.

A label (`application/pkcs7-mime`, `multipart/encrypted`, `-----BEGIN PGP MESSAGE-----`) proves
nothing: anyone can put clear text behind it. A part counts as encrypted only when its bytes
parse as a CMS EnvelopedData or AuthEnvelopedData with at least one recipient and encrypted
content, or as OpenPGP packets that start with session-key packets (PKESK or SKESK) followed by
an integrity-protected data packet (SEIPD or AEAD). No key is needed to tell.
"""

from __future__ import annotations

import base64
import binascii
import bz2
import re
import zlib
from collections.abc import Iterator
from email.message import Message
from typing import Literal

from asn1crypto import cms

EncryptedKind = Literal["smime", "pgp"]

_CMS_TYPES = ("application/pkcs7-mime", "application/x-pkcs7-mime")
_ARMOR = re.compile(
    rb"-----BEGIN PGP MESSAGE-----\r?\n(?P<head>(?:[^\r\n]+\r?\n)*?)\r?\n"
    rb"(?P<body>[A-Za-z0-9+/=\r\n \t]+?)"
    rb"(?:\r?\n=(?P<crc>[A-Za-z0-9+/]{4}))?\s*-----END PGP MESSAGE-----"
)
_WHITESPACE = re.compile(rb"\s+")
_BEGIN = b"-----BEGIN PGP MESSAGE-----"
_ARMOR_BLOCK = re.compile(rb"-----BEGIN PGP MESSAGE-----.*?-----END PGP MESSAGE-----", re.DOTALL)
_MAX_BLOCKS = 100
_MAX_COMPRESSION_DEPTH = 4
# Packets of a signed or stored message that carry no text of their own: signature, one-pass
# signature, marker, trust, user ID... everything else but literal and compressed data.
_LITERAL, _COMPRESSED = 11, 8
_SIGNING_TAGS = frozenset({2, 4, 10, 12})
# OpenPGP packet tags (RFC 9580 section 5).
_PKESK, _SKESK, _SEIPD, _AEAD = 1, 3, 18, 20
# The packet versions each tag may carry (RFC 4880, RFC 9580): anything else is no envelope.
_VERSIONS: dict[int, tuple[int, ...]] = {
    _PKESK: (3, 6),
    _SKESK: (4, 5, 6),
    _SEIPD: (1, 2),
    _AEAD: (1,),
}
_MAX_SESSION_KEY_PACKETS = 1000
# Ciphertext is indistinguishable from random bytes, so 64 bytes or more of it are practically
# never 90% printable ASCII; a "ciphertext" that is, is clear text wrapped in an envelope's form.
_TEXT_SAMPLE = 4096
_MIN_TEXT_SAMPLE = 64
_MAX_ENVELOPE_BYTES = 64 * 1024 * 1024


def envelope_kind(data: bytes) -> EncryptedKind | None:
    """'smime' or 'pgp' when `data` (one part's decoded payload) is a real envelope, else None."""
    if not data or len(data) > _MAX_ENVELOPE_BYTES:
        return None
    if _is_cms_envelope(data):
        return "smime"
    if _is_openpgp_encrypted(data):
        return "pgp"
    return None


def message_encrypted_kind(message: Message) -> EncryptedKind | None:
    """'smime' or 'pgp' when the whole message body is a real envelope, else None.

    Counted: application/pkcs7-mime whose payload is CMS (Auth)EnvelopedData; multipart/encrypted
    whose control part is application/pgp-encrypted and whose data part is real OpenPGP;
    multipart/signed around one of those; inline PGP only when every text leaf is, apart from
    white space, one real armored PGP message and every other leaf is a real envelope.
    """
    ctype = message.get_content_type()
    if ctype in _CMS_TYPES:
        return "smime" if _is_cms_envelope(_payload(message)) else None
    if ctype == "multipart/encrypted":
        parts = message.get_payload()
        if not isinstance(parts, list) or len(parts) != 2:
            return None
        control, data = parts
        if not (isinstance(control, Message) and isinstance(data, Message)):
            return None
        if control.get_content_type() != "application/pgp-encrypted":
            return None
        return "pgp" if _is_openpgp_encrypted(_payload(data)) else None
    if ctype == "multipart/signed":
        parts = message.get_payload()
        if isinstance(parts, list) and parts and isinstance(parts[0], Message):
            return message_encrypted_kind(parts[0])
        return None
    return "pgp" if _all_inline_pgp(message) else None


# ---------------------------------------------------------------------------- CMS


def _is_cms_envelope(data: bytes) -> bool:
    if data[:1] != b"\x30" and not _may_be_base64_der(data):
        return False
    der = data if data[:1] == b"\x30" else _b64(data)
    if not der or der[:1] != b"\x30":
        return False
    try:
        info = cms.ContentInfo.load(der, strict=True)
        kind = info["content_type"].native
        content = info["content"]
        if kind == "enveloped_data":
            encrypted = content["encrypted_content_info"]["encrypted_content"]
        elif kind == "authenticated_enveloped_data":
            encrypted = content["auth_encrypted_content_info"]["encrypted_content"]
            if not content["mac"].native:
                return False
        else:
            return False
        recipients = content["recipient_infos"]
        if len(recipients) < 1:
            return False
        for recipient in recipients:
            recipient.native  # noqa: B018 - force a full parse: a broken recipient is no envelope
        body = encrypted.native if encrypted is not None else None
        return isinstance(body, bytes) and bool(body) and not _looks_like_text(body)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError):
        return False


# The DER of the signedData content type, 1.2.840.113549.1.7.2: a SignedData names it near its start.
_SIGNED_DATA_OID = bytes.fromhex("06092a864886f70d010702")


def cms_signed_content(data: bytes) -> bytes | None:
    """What a CMS SignedData (an S/MIME signature or opaque-signed part) carries, else None.

    A detached signature (`application/pkcs7-signature`, smime.p7s) carries no content: b"". An
    opaque-signed part carries the signed MIME entity in clear, which a reader's client shows:
    its bytes, to be scanned like an attached message. Anything that does not parse as a whole
    SignedData is None (and stays whatever else it is: unreadable binary is still unscannable).
    """
    if not data or len(data) > _MAX_ENVELOPE_BYTES:
        return None
    if data[:1] != b"\x30" and not _may_be_base64_der(data):
        return None  # every leaf is asked: a text body is spared the base64 attempt
    der = data if data[:1] == b"\x30" else _b64(data)
    if not der or der[:1] != b"\x30" or _SIGNED_DATA_OID not in der[:64]:
        return None
    try:
        info = cms.ContentInfo.load(der, strict=True)
        if info["content_type"].native != "signed_data":
            return None
        signed = info["content"]
        for signer in signed["signer_infos"]:
            signer.native  # noqa: B018 - force a full parse: a broken signer is no signature
        if len(signed["signer_infos"]) < 1:
            return None
        content = signed["encap_content_info"]["content"]
        body = content.native if content is not None else None
        if body is None:  # detached (an absent field parses as Void)
            return b""
        return body if isinstance(body, bytes) else None
    except (ValueError, TypeError, KeyError, IndexError, OverflowError):
        return None


def _may_be_base64_der(data: bytes) -> bool:
    """Whether `_b64(data)` can start with DER's SEQUENCE byte (0x30, which base64 writes as
    "M"): False for text whose first character after white space is anything else. Exact, and
    it spares a plain-text part (every text leaf is asked whether it is an envelope) a pass of
    white-space removal and a base64 decode over all of it."""
    if b"-----BEGIN" in data:
        return True  # armor lines are dropped first: `_b64` reads what follows them
    return data.lstrip()[:1] == b"M"


def _b64(data: bytes) -> bytes | None:
    text = data
    if b"-----BEGIN" in text:
        lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith(b"-----")]
        text = b"".join(lines)
    compact = _WHITESPACE.sub(b"", text)
    if not compact or len(compact) % 4:
        return None
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None


# ---------------------------------------------------------------------------- OpenPGP


def _is_openpgp_encrypted(data: bytes) -> bool:
    packets = data if data[:1] and data[0] & 0x80 else _dearmor(data)
    return packets is not None and _session_key_then_data(packets)


def _dearmor(data: bytes) -> bytes | None:
    stripped = data.strip()
    match = _ARMOR.fullmatch(stripped)
    if match is None:
        return None
    compact = _WHITESPACE.sub(b"", match.group("body"))
    try:
        packets = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None
    crc = match.group("crc")
    if crc is not None:
        try:
            expected = int.from_bytes(base64.b64decode(crc, validate=True), "big")
        except (binascii.Error, ValueError):
            return None
        if _crc24(packets) != expected:
            return None
    return packets


def _crc24(data: bytes) -> int:
    crc = 0xB704CE
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def _session_key_then_data(packets: bytes) -> bool:
    """PKESK/SKESK packets (at least one), then one SEIPD or AEAD packet that ends the data."""
    session_keys = 0
    for packet in _packets(packets):
        if packet is None:
            return False
        _, tag, body_start, body_end = packet
        if body_end <= body_start or packets[body_start] not in _VERSIONS.get(tag, ()):
            return False
        if tag in (_PKESK, _SKESK):
            session_keys += 1
            if session_keys > _MAX_SESSION_KEY_PACKETS:
                return False
            continue
        if tag in (_SEIPD, _AEAD) and session_keys:
            # The encrypted data is the last packet; its body holds at least a version byte
            # and some ciphertext, which does not read as text.
            return (
                body_end == len(packets)
                and body_end - body_start > 2
                and not _looks_like_text(packets[body_start + 1 : body_end])
            )
        return False
    return False


def _packets(data: bytes) -> Iterator[tuple[int, int, int, int] | None]:
    """(position, tag, body start, body end) of each packet; None, then stop, at a bad header."""
    pos = 0
    while pos < len(data):
        header = _packet_header(data, pos)
        if header is None:
            yield None
            return
        tag, start, end = header
        yield pos, tag, start, end
        pos = end


def _packet_header(data: bytes, pos: int) -> tuple[int, int, int] | None:
    """(tag, body start, body end) of the packet at `pos`, following partial lengths."""
    first = data[pos]
    if not first & 0x80:
        return None
    if first & 0x40:  # new format
        tag = first & 0x3F
        pos += 1
        end_of_body = _new_format_body(data, pos)
        if end_of_body is None:
            return None
        body_start, body_end = end_of_body
        return tag, body_start, body_end
    tag = (first >> 2) & 0x0F
    length_type = first & 0x03
    pos += 1
    if length_type == 3:  # indeterminate: to the end of the data
        return tag, pos, len(data)
    size = 1 << length_type
    if pos + size > len(data):
        return None
    length = int.from_bytes(data[pos : pos + size], "big")
    pos += size
    if pos + length > len(data):
        return None
    return tag, pos, pos + length


def _new_format_body(data: bytes, pos: int) -> tuple[int, int] | None:
    body_start: int | None = None
    while True:
        if pos >= len(data):
            return None
        octet = data[pos]
        last = True
        if octet < 192:
            length, pos = octet, pos + 1
        elif octet < 224:
            if pos + 1 >= len(data):
                return None
            length = ((octet - 192) << 8) + data[pos + 1] + 192
            pos += 2
        elif octet == 255:
            if pos + 5 > len(data):
                return None
            length = int.from_bytes(data[pos + 1 : pos + 5], "big")
            pos += 5
        else:  # a partial body length: this chunk, then more length octets
            length = 1 << (octet & 0x1F)
            pos += 1
            last = False
        if body_start is None:
            body_start = pos
        if pos + length > len(data):
            return None
        pos += length
        if last:
            return body_start, pos


def _looks_like_text(data: bytes) -> bool:
    sample = data[:_TEXT_SAMPLE]
    if len(sample) < _MIN_TEXT_SAMPLE:
        return False
    printable = sum(1 for b in sample if 32 <= b < 127 or b in (9, 10, 13))
    return printable * 10 >= len(sample) * 9


def armored_messages(data: bytes) -> list[bytes]:
    """Every `-----BEGIN PGP MESSAGE-----` block in a text, armor lines included."""
    if _BEGIN not in data:
        return []
    return _ARMOR_BLOCK.findall(data)[:_MAX_BLOCKS]


def openpgp_clear_content(data: bytes, max_bytes: int) -> bytes | None:
    """The literal data of an OpenPGP message that is not encrypted (signed, compressed, stored).

    `gpg --sign --armor` output looks like an encrypted message, but a client decompresses and
    shows its text. Returns the text (possibly empty), or None when the packets are anything
    else: encrypted, broken, or bigger than `max_bytes` once decompressed.
    """
    packets = data if data[:1] and data[0] & 0x80 else _dearmor(data)
    if packets is None:
        return None
    out: list[bytes] = []
    if not _clear_packets(packets, out, max_bytes, 0):
        return None
    return b"".join(out)


def _clear_packets(packets: bytes, out: list[bytes], budget: int, depth: int) -> bool:
    if depth > _MAX_COMPRESSION_DEPTH or not packets:
        return False
    for packet in _packets(packets):
        if packet is None:
            return False
        pos, tag, start, end = packet
        body = (
            _joined_body(packets, pos) if _has_partial_lengths(packets, pos) else packets[start:end]
        )
        if body is None:
            return False
        if tag == _LITERAL:
            if len(body) < 6 or len(body) < 6 + body[1]:
                return False
            data = body[2 + body[1] + 4 :]
            if sum(map(len, out)) + len(data) > budget:
                return False
            out.append(data)
        elif tag == _COMPRESSED:
            inflated = _inflate(body, budget - sum(map(len, out)))
            if inflated is None or not _clear_packets(inflated, out, budget, depth + 1):
                return False
        elif tag not in _SIGNING_TAGS:
            return False  # encrypted or unknown packets: nothing clear to read
    return True


def _has_partial_lengths(packets: bytes, pos: int) -> bool:
    first = packets[pos]
    return bool(first & 0x40) and pos + 1 < len(packets) and 224 <= packets[pos + 1] < 255


def _joined_body(packets: bytes, pos: int) -> bytes | None:
    """A new-format packet's body with its partial-length chunks joined."""
    pos += 1
    chunks = []
    while pos < len(packets):
        octet = packets[pos]
        if octet < 192:
            length, pos, last = octet, pos + 1, True
        elif octet < 224:
            if pos + 1 >= len(packets):
                return None
            length, pos, last = ((octet - 192) << 8) + packets[pos + 1] + 192, pos + 2, True
        elif octet == 255:
            if pos + 5 > len(packets):
                return None
            length, pos, last = int.from_bytes(packets[pos + 1 : pos + 5], "big"), pos + 5, True
        else:
            length, pos, last = 1 << (octet & 0x1F), pos + 1, False
        if pos + length > len(packets):
            return None
        chunks.append(packets[pos : pos + length])
        pos += length
        if last:
            return b"".join(chunks)
    return None


def _inflate(body: bytes, budget: int) -> bytes | None:
    if not body or budget <= 0:
        return None
    algorithm, data = body[0], body[1:]
    try:
        if algorithm == 0:
            return data if len(data) <= budget else None
        if algorithm in (1, 2):
            inflater = zlib.decompressobj(-15 if algorithm == 1 else 15)
            out = inflater.decompress(data, budget + 1)
        elif algorithm == 3:
            out = bz2.BZ2Decompressor().decompress(data, budget + 1)
        else:
            return None
    except (zlib.error, OSError, ValueError, EOFError):
        return None
    return out if len(out) <= budget else None


# ---------------------------------------------------------------------------- MIME helpers


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except (ValueError, LookupError, UnicodeError, binascii.Error):
        return b""
    return data if isinstance(data, bytes) else b""


def _all_inline_pgp(message: Message) -> bool:
    armored = False
    for leaf in message.walk():
        if leaf.is_multipart():
            continue
        data = _payload(leaf)
        if leaf.get_content_maintype() == "text":
            if not data.strip():
                continue
            if not _is_openpgp_encrypted(data):
                return False
            armored = True
        elif envelope_kind(data) is None:
            return False
    return armored
