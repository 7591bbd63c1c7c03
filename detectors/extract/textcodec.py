"""Turning bytes of a declared or unknown charset into text without ever raising."""

from __future__ import annotations

import codecs
import re

# Labels that mail clients put on text that is really UTF-8 or Windows-1252: no charset at all.
_NO_CHARSET = frozenset({"", "unknown-8bit", "x-unknown", "us-ascii", "ascii", "default"})

# The WHATWG Encoding Standard's encodings and their labels (encoding.spec.whatwg.org), each
# with the Python codec that decodes it. Only these are text charsets: a label outside the
# table (punycode, idna, rot13, base64_codec, utf-7, ...) names a codec, not a charset, so the
# part is decoded with the fallback and reported as unscannable.
_WHATWG: dict[str, tuple[str, ...]] = {
    "utf-8": ("unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf-8", "utf8",
              "x-unicode20utf8"),
    "ibm866": ("866", "cp866", "csibm866", "ibm866"),
    "iso8859-2": ("csisolatin2", "iso-8859-2", "iso-ir-101", "iso8859-2", "iso88592",
                  "iso_8859-2", "iso_8859-2:1987", "l2", "latin2"),
    "iso8859-3": ("csisolatin3", "iso-8859-3", "iso-ir-109", "iso8859-3", "iso88593",
                  "iso_8859-3", "iso_8859-3:1988", "l3", "latin3"),
    "iso8859-4": ("csisolatin4", "iso-8859-4", "iso-ir-110", "iso8859-4", "iso88594",
                  "iso_8859-4", "iso_8859-4:1988", "l4", "latin4"),
    "iso8859-5": ("csisolatincyrillic", "cyrillic", "iso-8859-5", "iso-ir-144", "iso8859-5",
                  "iso88595", "iso_8859-5", "iso_8859-5:1988"),
    "iso8859-6": ("arabic", "asmo-708", "csiso88596e", "csiso88596i", "csisolatinarabic",
                  "ecma-114", "iso-8859-6", "iso-8859-6-e", "iso-8859-6-i", "iso-ir-127",
                  "iso8859-6", "iso88596", "iso_8859-6", "iso_8859-6:1987"),
    "iso8859-7": ("csisolatingreek", "ecma-118", "elot_928", "greek", "greek8", "iso-8859-7",
                  "iso-ir-126", "iso8859-7", "iso88597", "iso_8859-7", "iso_8859-7:1987",
                  "sun_eu_greek"),
    "iso8859-8": ("csiso88598e", "csisolatinhebrew", "hebrew", "iso-8859-8", "iso-8859-8-e",
                  "iso-ir-138", "iso8859-8", "iso88598", "iso_8859-8", "iso_8859-8:1988",
                  "visual", "csiso88598i", "iso-8859-8-i", "logical"),
    "iso8859-10": ("csisolatin6", "iso-8859-10", "iso-ir-157", "iso8859-10", "iso885910",
                   "l6", "latin6"),
    "iso8859-13": ("iso-8859-13", "iso8859-13", "iso885913"),
    "iso8859-14": ("iso-8859-14", "iso8859-14", "iso885914"),
    "iso8859-15": ("csisolatin9", "iso-8859-15", "iso8859-15", "iso885915", "iso_8859-15",
                   "l9"),
    "iso8859-16": ("iso-8859-16",),
    "koi8-r": ("cskoi8r", "koi", "koi8", "koi8-r", "koi8_r"),
    "koi8-u": ("koi8-ru", "koi8-u"),
    "mac-roman": ("csmacintosh", "mac", "macintosh", "x-mac-roman"),
    "cp874": ("dos-874", "iso-8859-11", "iso8859-11", "iso885911", "tis-620", "windows-874"),
    "cp1250": ("cp1250", "windows-1250", "x-cp1250"),
    "cp1251": ("cp1251", "windows-1251", "x-cp1251"),
    "cp1252": ("ansi_x3.4-1968", "cp1252", "cp819", "csisolatin1", "ibm819", "iso-8859-1",
               "iso-ir-100", "iso8859-1", "iso88591", "iso_8859-1", "iso_8859-1:1987", "l1",
               "latin1", "latin-1", "windows-1252", "x-cp1252"),
    "cp1253": ("cp1253", "windows-1253", "x-cp1253"),
    "cp1254": ("cp1254", "csisolatin5", "iso-8859-9", "iso-ir-148", "iso8859-9", "iso88599",
               "iso_8859-9", "iso_8859-9:1989", "l5", "latin5", "windows-1254", "x-cp1254"),
    "cp1255": ("cp1255", "windows-1255", "x-cp1255"),
    "cp1256": ("cp1256", "windows-1256", "x-cp1256"),
    "cp1257": ("cp1257", "windows-1257", "x-cp1257"),
    "cp1258": ("cp1258", "windows-1258", "x-cp1258"),
    "mac-cyrillic": ("x-mac-cyrillic", "x-mac-ukrainian"),
    "gbk": ("chinese", "csgb2312", "csiso58gb231280", "gb2312", "gb_2312", "gb_2312-80", "gbk",
            "iso-ir-58", "x-gbk"),
    "gb18030": ("gb18030",),
    "big5hkscs": ("big5", "big5-hkscs", "cn-big5", "csbig5", "x-x-big5"),
    "euc_jp": ("cseucpkdfmtjapanese", "euc-jp", "x-euc-jp"),
    "iso2022_jp": ("csiso2022jp", "iso-2022-jp"),
    "shift_jis": ("csshiftjis", "ms932", "ms_kanji", "shift-jis", "shift_jis", "sjis",
                  "windows-31j", "x-sjis"),
    "cp949": ("cseuckr", "csksc56011987", "euc-kr", "iso-ir-149", "korean", "ks_c_5601-1987",
              "ks_c_5601-1989", "ksc5601", "ksc_5601", "windows-949"),
    "utf-16-be": ("unicodefffe", "utf-16be"),
    "utf-16-le": ("csunicode", "iso-10646-ucs-2", "ucs-2", "unicode", "unicodefeff", "utf-16",
                  "utf-16le"),
}  # fmt: skip
_CODEC_BY_LABEL = {label: codec for codec, labels in _WHATWG.items() for label in labels}


_GARBLED = re.compile("[\x00-\x08\x0e-\x1f\ufffd]")


def text_codec(charset: str | None) -> str | None:
    """The Python codec for a WHATWG charset label, "" for no charset, None for a non-charset."""
    label = (charset or "").strip().strip('"').strip("'").lower()
    if label in _NO_CHARSET:
        return ""
    return _CODEC_BY_LABEL.get(label)


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, bool]:
    """Decode `data` as `charset`; return the text and whether the charset was unusable.

    Missing or ASCII labels are tried as UTF-8 first and fall back to Windows-1252, because
    mislabelled 8-bit mail is common; a known charset decodes with replacement characters. A
    label that is not a text charset (see _WHATWG) is decoded with the same fallback and
    reported as unusable, so the caller scans the text and also marks the part unscannable.
    """
    codec = text_codec(charset)
    if codec is None:
        return _utf8_or_cp1252(data), True
    if not codec:
        return _utf8_or_cp1252(data), False
    if codec == "cp1252":
        return _cp1252_or_latin1(data), False
    try:
        return data.decode(codec, errors="replace"), False
    except (LookupError, UnicodeError, ValueError, TypeError):
        return _utf8_or_cp1252(data), True


def _utf8_or_cp1252(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return _cp1252_or_latin1(data)


def _cp1252_or_latin1(data: bytes) -> str:
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
