"""Masked forms of values, free text and e-mail addresses: enough to recognise, never to read.

The one place phigate masks anything it shows: finding previews (`mask`), free text such as a
quarantined message's subject (`mask_text`), and e-mail addresses (`mask_address`, one format
everywhere: `j***@lab.example`).
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W\d_]+|\d", re.UNICODE)
# A word character but the underscore: exactly the characters str.isalnum() accepts.
_ALNUM = re.compile(r"[^\W_]")
# The same for ASCII text, as one table lookup a character.
_ASCII_STARS = {i: "*" for i in range(128) if chr(i).isalnum()}
NO_ADDRESS = "(no address)"


def mask(value: str, entity: str = "") -> str:
    """Return a masked preview that keeps shape and at most the last four digits.

    Names keep their initials (``J*** D**``), digit strings keep their last four digits when they
    have at least eight (``***-**-6789``, ``****1234``), other values keep their first character.
    """
    value = " ".join(value.split())
    if not value:
        return ""
    if entity in {"PERSON", "PATIENT_NAME"}:
        return " ".join(w[0] + "*" * min(len(w) - 1, 6) for w in value.split(" "))
    if not any(ch.isalpha() for ch in value):
        digits = sum(ch.isdigit() for ch in value)
        keep = 4 if digits >= 8 else 0
        out: list[str] = []
        for ch in reversed(value):
            if ch.isdigit() and keep > 0:
                out.append(ch)
                keep -= 1
            else:
                out.append("*" if ch.isdigit() else ch)
        return "".join(reversed(out))
    if len(value) <= 2:
        return "*" * len(value)
    rest = value[1:]
    return value[0] + (rest.translate(_ASCII_STARS) if rest.isascii() else _ALNUM.sub("*", rest))


def mask_text(text: str) -> str:
    """Mask free text while keeping its shape: digits become `*`, words keep their first letter.

    For example ``"Lab results for John Smith 1985-03-04"`` becomes
    ``"L** r****** f** J*** S**** ****-**-**"``. It knows nothing about what is PHI, so it
    masks everything.
    """
    text = " ".join(text.split())

    def one(m: re.Match[str]) -> str:
        word = m.group(0)
        if word.isdigit():
            return "*"
        return word[0] + "*" * (len(word) - 1)

    return _WORD.sub(one, text)


def mask_address(address: str) -> str:
    """An e-mail address as its local part's first character and its domain, lower-cased.

    ``Dr.Jones@Lab.example`` becomes ``d***@lab.example``; something that is not an address
    becomes ``***``, and an empty one ``(no address)``.
    """
    address = address.strip()
    local, at, domain = address.rpartition("@")
    if not at:
        return "***" if address else NO_ADDRESS
    return f"{local[:1].lower()}***@{domain.lower()}"
