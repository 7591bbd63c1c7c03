"""Turning bytes of a declared or unknown charset into text without ever raising."""

from __future__ import annotations

import codecs
import re

# Labels that mail clients put on text that is really UTF-8 or Windows-1252.
_ALIASES = {
    "unknown-8bit": "",
    "x-unknown": "",
    "us-ascii": "",
    "ascii": "",
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
}


_GARBLED = re.compile("[\x00-\x08\x0e-\x1f\ufffd]")


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, bool]:
    """Decode `data` as `charset`; return the text and whether the charset was unusable.

    ASCII or missing labels are tried as UTF-8 first and fall back to Windows-1252, because
    mislabelled 8-bit mail is common; a known charset decodes with replacement characters.
    """
    label = (charset or "").strip().strip('"').lower()
    label = _ALIASES.get(label, label)
    if label:
        try:
            info = codecs.lookup(label)
        except (LookupError, ValueError):
            return _utf8_or_cp1252(data), True
        if not getattr(info, "_is_text_encoding", True):
            return _utf8_or_cp1252(data), True
        try:
            return data.decode(info.name, errors="replace"), False
        except (LookupError, UnicodeError, ValueError, TypeError):
            return _utf8_or_cp1252(data), True
    return _utf8_or_cp1252(data), False


def _utf8_or_cp1252(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; latin-1 maps every byte so nothing is lost.
        return data.decode("latin-1")


def decode_document(data: bytes) -> str:
    """Decode a text attachment: BOM first, then UTF-8, then Windows-1252."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    return _utf8_or_cp1252(data)


def looks_garbled(text: str) -> bool:
    """True when the text is mostly replacement or control characters (an undecodable part)."""
    if len(text) < 32:
        return False
    sample = text[:4096]
    if _GARBLED.search(sample) is None:
        return False
    return len(_GARBLED.findall(sample)) * 5 > len(sample)


def looks_like_text(data: bytes) -> bool:
    """Guess whether bytes with no known magic are text: no NULs and few control bytes."""
    sample = data[:8192]
    if not sample:
        return True
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    if b"\x00" in sample:
        return False
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls * 20 < len(sample)
