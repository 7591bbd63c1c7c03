"""Office and print formats to text: PDF (with OCR of scanned pages), Office Open XML (DOCX,
XLSX, PPTX), OpenDocument (ODT, ODS, ODP) and RTF.

PDF lives in `pdf`, Office Open XML in `ooxml`, OpenDocument in `odf`; this module is the one
entry point the message walker uses, and reads RTF itself.
"""

from __future__ import annotations

import codecs
import re

from .model import AttachmentResult, ExtractLimits, UnscannableContent
from .odf import odf_result
from .ooxml import ooxml_result, xlsx_text
from .pdf import pdf_result

__all__ = ["OFFICE_KINDS", "office_result", "pdf_result", "rtf_to_text", "xlsx_text"]


# ---------------------------------------------------------------- RTF

_RTF_TOKEN = re.compile(
    r"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?|\\'([0-9a-fA-F]{2})|\\([^a-zA-Z])|([{}])|[\r\n]+|([^\\{}\r\n]+)"
)
# Destinations whose text is not document content.
_RTF_SKIP = frozenset(
    {"fonttbl", "colortbl", "stylesheet", "info", "pict", "object", "datastore", "themedata",
     "colorschememapping", "latentstyles", "listtable", "listoverridetable", "rsidtbl", "generator",
     "xmlnstbl", "mmathPr", "fldinst", "bkmkstart", "bkmkend", "filetbl", "revtbl", "pgdsctbl",
     "objdata", "blipuid", "shppict", "nonshppict", "wgrffmtfilter", "template", "passwordhash"}
)  # fmt: skip
_RTF_BREAKS = {
    "par": "\n",
    "line": "\n",
    "sect": "\n",
    "page": "\n",
    "row": "\n",
    "tab": "\t",
    "cell": "\t",
}
_RTF_CHARS = {
    "emdash": "\u2014", "endash": "\u2013", "bullet": "\u2022", "lquote": "\u2018",
    "rquote": "\u2019", "ldblquote": "\u201c", "rdblquote": "\u201d", "emspace": " ",
    "enspace": " ", "qmspace": " ", "~": "\u00a0", "_": "-", "-": "",
}  # fmt: skip


def rtf_to_text(rtf: str) -> str:
    """Strip RTF to its visible text: groups, hex and \\u escapes, code page from \\ansicpg."""
    out: list[str] = []
    stack: list[tuple[bool, int]] = []
    skip = False
    uc = 1  # characters to drop after a \uN escape
    pending_skip = 0
    codepage = "cp1252"
    hex_run = bytearray()

    def flush_hex() -> None:
        if hex_run:
            if not skip:
                out.append(hex_run.decode(codepage, errors="replace"))
            hex_run.clear()

    for match in _RTF_TOKEN.finditer(rtf):
        word, arg, hexcode, symbol, brace, text = match.groups()
        if hexcode is None:
            flush_hex()
        if pending_skip and (text or hexcode or symbol):
            # The ANSI fallback after \uN: drop `uc` characters.
            if text:
                take = min(pending_skip, len(text))
                text = text[take:]
                pending_skip -= take
            else:
                pending_skip -= 1
                continue
        if brace == "{":
            stack.append((skip, uc))
            if len(stack) > 512:
                raise UnscannableContent("too-deep", "RTF nesting too deep")
        elif brace == "}":
            skip, uc = stack.pop() if stack else (False, 1)
        elif symbol is not None:
            if symbol == "*":
                skip = True
            elif symbol in "\\{}":
                if not skip:
                    out.append(symbol)
            elif symbol in _RTF_CHARS and not skip:
                out.append(_RTF_CHARS[symbol])
            elif symbol in "\r\n" and not skip:
                out.append("\n")
        elif hexcode is not None:
            hex_run.append(int(hexcode, 16))
        elif word is not None:
            if word in _RTF_SKIP:
                skip = True
            elif word == "ansicpg" and arg:
                codepage = f"cp{arg}" if _codec_exists(f"cp{arg}") else "cp1252"
            elif word == "uc" and arg:
                uc = max(0, int(arg))
            elif word == "u" and arg:
                if not skip:
                    code = int(arg)
                    out.append(
                        chr(code + 65536 if code < 0 else code) if -32768 <= code < 65536 else ""
                    )
                pending_skip = uc
            elif not skip:
                if word in _RTF_BREAKS:
                    out.append(_RTF_BREAKS[word])
                elif word in _RTF_CHARS:
                    out.append(_RTF_CHARS[word])
        elif text and not skip:
            out.append(text)
    flush_hex()
    lines = [line.strip() for line in "".join(out).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _codec_exists(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


# ---------------------------------------------------------------- Office and ODF, one entry point

OFFICE_KINDS = frozenset({"docx", "xlsx", "pptx", "odt", "ods", "odp"})


def office_result(
    data: bytes, kind: str, limits: ExtractLimits, deadline: float
) -> AttachmentResult:
    """Text of an Office Open XML or OpenDocument file of `kind` (one of OFFICE_KINDS).

    Fragments carry the visible text and everything a reader can open (comments, tracked
    changes, headers, footers, notes, properties), each under its own origin suffix;
    `embedded` carries files inside it. A broken, hostile or encrypted package raises.
    """
    if kind in ("docx", "xlsx", "pptx"):
        return ooxml_result(data, kind, limits, deadline).result()
    if kind in ("odt", "ods", "odp"):
        return odf_result(data, kind, limits, deadline).result()
    raise UnscannableContent("unknown-type", f"{kind} documents are not read")
