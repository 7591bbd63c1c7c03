"""Turning bytes of a declared or unknown charset into text without ever raising."""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata

from charset_normalizer import from_bytes

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
    # WHATWG decodes GBK with the gb18030 decoder (a superset), Shift_JIS as Windows-31J.
    "gb18030": ("chinese", "csgb2312", "csiso58gb231280", "gb2312", "gb_2312", "gb_2312-80", "gbk",
            "iso-ir-58", "x-gbk", "gb18030"),
    "big5hkscs": ("big5", "big5-hkscs", "cn-big5", "csbig5", "x-x-big5"),
    "euc_jp": ("cseucpkdfmtjapanese", "euc-jp", "x-euc-jp"),
    "iso2022_jp": ("csiso2022jp", "iso-2022-jp"),
    "cp932": ("csshiftjis", "ms932", "ms_kanji", "shift-jis", "shift_jis", "sjis",
                  "windows-31j", "x-sjis"),
    "cp949": ("cseuckr", "csksc56011987", "euc-kr", "iso-ir-149", "korean", "ks_c_5601-1987",
              "ks_c_5601-1989", "ksc5601", "ksc_5601", "windows-949"),
    "utf-16-be": ("unicodefffe", "utf-16be"),
    "utf-16-le": ("csunicode", "iso-10646-ucs-2", "ucs-2", "unicode", "unicodefeff", "utf-16",
                  "utf-16le"),
}  # fmt: skip
_CODEC_BY_LABEL = {label: codec for codec, labels in _WHATWG.items() for label in labels}
# WHATWG's "replacement" encoding: a browser shows one U+FFFD for the whole part, while other
# clients decode these escape-switching charsets each their own way. What a reader sees cannot be
# known, so these labels are treated as no text charset (decoded with the fallback, reported).
_REPLACEMENT_LABELS = frozenset(
    {"csiso2022kr", "hz-gb-2312", "iso-2022-cn", "iso-2022-cn-ext", "iso-2022-kr", "replacement"}
)
_X_USER_DEFINED = "x-user-defined"
_UTF16 = frozenset({"utf-16-le", "utf-16-be"})
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# RFC 2047 encoded-word: =?charset[*language]?B|Q?text?=
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=")
_QP_BYTE = re.compile(rb"=([0-9A-Fa-f]{2})")


_GARBLED = re.compile("[\x00-\x08\x0e-\x1f\ufffd]")


def text_codec(charset: str | None) -> str | None:
    """The Python codec for a WHATWG charset label, "" for no charset, None for a non-charset."""
    label = (charset or "").strip().strip('"').strip("'").lower()
    if label in _NO_CHARSET:
        return ""
    if label == _X_USER_DEFINED:
        return _X_USER_DEFINED
    return _CODEC_BY_LABEL.get(label)


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, bool]:
    """Decode `data` as `charset`; return the text and whether the charset was unusable.

    Missing or ASCII labels are tried as UTF-8 first and fall back to Windows-1252, because
    mislabelled 8-bit mail is common; a known charset decodes with replacement characters. A
    label that is not a text charset (see _WHATWG) is decoded with the same fallback and
    reported as unusable, so the caller scans the text and also marks the part unscannable.
    """
    codec = text_codec(charset)
    for bom, bom_codec in _BOMS:
        # A byte order mark overrides the label, as in a browser (WHATWG "decode").
        if data.startswith(bom):
            return data[len(bom) :].decode(bom_codec, errors="replace"), codec is None
    if codec is None:
        return _utf8_or_cp1252(data), True
    if not codec:
        return _utf8_or_legacy(data), False
    if codec == "utf-8":
        # Mail labelled UTF-8 that is not (a Windows client's Latin or Cyrillic bytes).
        try:
            return data.decode("utf-8"), False
        except UnicodeDecodeError:
            return _legacy_guess(data, data.decode("utf-8", errors="replace")), False
    if codec in _SINGLE_BYTE:
        return _single_byte(data, codec), False
    if codec == _X_USER_DEFINED:
        return _x_user_defined(data), False
    if codec in _UTF16 and _looks_ascii(data):
        # UTF-16 is the only WHATWG encoding that is not ASCII-compatible: ASCII text under a
        # UTF-16 label decodes to CJK noise that hides what the bytes say in clear.
        return _utf8_or_cp1252(data), True
    try:
        return data.decode(codec, errors="replace"), False
    except (LookupError, UnicodeError, ValueError, TypeError):
        return _utf8_or_cp1252(data), True


def decode_encoded_words(text: str) -> tuple[str, bool]:
    """Decode the RFC 2047 encoded-words in a header value; True when a charset was unusable.

    Adjacent encoded-words (only white space between them) are joined, and those in one charset
    are decoded together, so a character split across two words survives. Each charset goes
    through `decode_bytes`, so a label that is no text charset is decoded with the fallback and
    reported, exactly as in a body part.
    """
    if "=?" not in text:
        return text, False
    out: list[str] = []
    bad = False
    pending: list[tuple[str, bytes]] = []  # (charset, bytes) of adjacent encoded-words
    pos = 0

    def flush() -> None:
        nonlocal bad
        while pending:
            charset, chunk = pending.pop(0)
            while pending and pending[0][0] == charset:
                chunk += pending.pop(0)[1]
            decoded, unusable = decode_bytes(chunk, charset)
            bad = bad or unusable
            out.append(decoded)

    for match in _ENCODED_WORD.finditer(text):
        between = text[pos : match.start()]
        if between and not (pending and not between.strip()):
            flush()
            out.append(between)
        charset = match.group(1).split("*", 1)[0]
        payload = match.group(3)
        if match.group(2) in "Bb":
            chunk = _lenient_b64(payload)
        else:
            chunk = _QP_BYTE.sub(
                lambda m: bytes([int(m.group(1), 16)]), payload.replace("_", " ").encode()
            )
        pending.append((charset, chunk))
        pos = match.end()
    flush()
    out.append(text[pos:])
    return "".join(out), bad


def decode_parameter(value: str | tuple[str | None, str | None, str]) -> tuple[str, bool]:
    """A MIME parameter value as text (RFC 2231 charset'language'value or RFC 2047 words)."""
    bad = False
    if isinstance(value, tuple):
        charset, _language, raw = value
        # The stdlib leaves each %XX of an RFC 2231 value as the code point XX.
        data = raw.encode("latin-1", "replace") if isinstance(raw, str) else b""
        text, bad = decode_bytes(data, charset or None)
    else:
        text = value
    words, bad_words = decode_encoded_words(text)
    return words, bad or bad_words


def _lenient_b64(text: str) -> bytes:
    clean = re.sub(r"[^A-Za-z0-9+/]", "", text)
    clean = clean[: len(clean) - len(clean) % 4] if len(clean) % 4 == 1 else clean
    try:
        return base64.b64decode(clean + "=" * (-len(clean) % 4))
    except (binascii.Error, ValueError):
        return b""


def _x_user_defined(data: bytes) -> str:
    # WHATWG x-user-defined: ASCII stays, every other byte maps into U+F780..U+F7FF.
    return "".join(chr(b) if b < 0x80 else chr(0xF700 + b) for b in data)


def _looks_ascii(data: bytes) -> bool:
    sample = data[:4096]
    if not sample or b"\x00" in sample:
        return False
    printable = sum(1 for b in sample if 32 <= b < 127 or b in (9, 10, 13))
    return printable * 10 >= len(sample) * 9


# Legacy one-byte charsets of mail: what a wrong or missing label may hide.
_SINGLE_BYTE = frozenset(
    {"cp1250", "cp1251", "cp1252", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258",
     "iso8859-2", "iso8859-3", "iso8859-4", "iso8859-5", "iso8859-6", "iso8859-7", "iso8859-8",
     "iso8859-10", "iso8859-13", "iso8859-14", "iso8859-15", "iso8859-16", "koi8-r", "koi8-u",
     "mac-roman", "mac-cyrillic", "ibm866", "cp874"}
)  # fmt: skip
_GUESS_CODECS = [
    "cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1257", "iso8859_2", "iso8859_5",
    "iso8859_7", "iso8859_15", "koi8_r", "cp1255", "cp1256",
]  # fmt: skip
# Three letters from Latin-1 Supplement / Extended-A in a row ("Èâàíîâ" is Cyrillic read as
# Windows-1252), a symbol between two letters ("d³a" is Polish read so), or a C1 control.
_FOREIGN_RUN = re.compile("[\u00c0-\u024f]{3,}")
_C1 = re.compile("[\u0080-\u009f]")
# (¡ and ¿ open Spanish sentences; any other such symbol before a word's letters is misread.)
_NON_ASCII_WORD = re.compile("[^\\W\\d_]*[^\\x00-\\x7f\\W\\d_][^\\W\\d_]*")
_SYMBOL_IN_WORD = re.compile(
    "(?:(?<=[^\\W\\d_])|(?<![^\\s(\"'])(?=[^\u00a1\u00bf]))[\u00a1-\u00bf](?=[^\\W\\d_])"
)
_MOJIBAKE_SAMPLE = 65536


def mojibake_signals(text: str) -> int:
    """How many places of ``text`` look like bytes decoded with the wrong one-byte charset."""
    sample = text[:_MOJIBAKE_SAMPLE]
    count = len(_FOREIGN_RUN.findall(sample)) + len(_C1.findall(sample))
    for ch in _SYMBOL_IN_WORD.findall(sample):
        if not unicodedata.category(ch).startswith("L"):
            count += 1
    # A word mixing Latin with Cyrillic or Greek letters ("Їуіkiewska") is a misreading.
    for word in _NON_ASCII_WORD.findall(sample):
        scripts = {_script(ch) for ch in word if ch.isalpha()}
        count += len(scripts) > 1
    return count


def _script(ch: str) -> str:
    code = ord(ch)
    if code < 0x250:
        return "latin"
    if 0x370 <= code < 0x400:
        return "greek"
    if 0x400 <= code < 0x530:
        return "cyrillic"
    return "other"


def _legacy_guess(data: bytes, decoded: str) -> str:
    """Another one-byte charset's reading when ``decoded`` looks misread and the other does not.

    charset-normalizer picks among the legacy charsets of mail; its pick is used only when it
    has fewer misreading signals, so a correct label is never overruled by a guess.
    """
    signals = mojibake_signals(decoded) + decoded.count("\ufffd")
    if signals == 0:
        return decoded
    # Windows-1252 is the commonest mislabel: it wins a tie; then the detector's picks in its
    # order (it knows which languages the letters make), each kept only if it reads cleaner.
    readings = [_cp1252_or_latin1(data)]
    for match in from_bytes(data[:_MOJIBAKE_SAMPLE], cp_isolation=_GUESS_CODECS):
        try:
            readings.append(data.decode(match.encoding, errors="replace"))
        except LookupError:
            continue
    for guess in readings:
        if mojibake_signals(guess) + guess.count("\ufffd") < signals:
            signals = mojibake_signals(guess) + guess.count("\ufffd")
            decoded = guess
    return decoded


def _single_byte(data: bytes, codec: str) -> str:
    """Bytes under a one-byte label: UTF-8 when they are (a common mislabel), else the label's
    reading unless it looks misread and another legacy charset reads them cleanly."""
    if any(b >= 0x80 for b in data[:_MOJIBAKE_SAMPLE]):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    text = _cp1252_or_latin1(data) if codec == "cp1252" else data.decode(codec, errors="replace")
    return _legacy_guess(data, text) if any(b >= 0x80 for b in data) else text


def _utf8_or_legacy(data: bytes) -> str:
    """Unlabelled bytes: UTF-8, else the legacy charset that reads them best (Windows-1252
    unless that looks misread)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return _legacy_guess(data, _cp1252_or_latin1(data))


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
    """Decode a text attachment: BOM first, then UTF-8, then the legacy charset that fits."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    return _utf8_or_legacy(data)


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
