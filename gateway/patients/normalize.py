"""Normalising patient identifiers before they are hashed, so equal identities hash equally.

The rules (they are part of the stored data: changing one means re-importing the roster):

- **Names.** Accents are folded (``José`` = ``Jose``), case is folded, apostrophes and dots
  vanish (``O'Brien`` = ``OBrien``), hyphens and other punctuation separate words. Titles
  (Mr, Mrs, Ms, Dr, ...) and suffixes (Jr, Sr, II, III, MD, ...) are dropped. ``Last, First
  Middle`` and ``First Middle Last`` are both read; a name matches on its **first given word
  and its last surname word**, so middle names and initials are optional
  (``Smith, John Q.`` = ``John Smith`` = ``JOHN QUINCY SMITH``), and ``De La Cruz`` matches
  on ``cruz``. Two people with the same first word, last word and date of birth collide:
  lookups then return no single patient (see `PatientRoster.by_name_dob`).
- **Dates of birth.** Strictly ISO ``YYYY-MM-DD`` or US ``M/D/YYYY`` (one- or two-digit month
  and day, four-digit year). Two-digit years, ``D.M.Y`` and ``YYYY/MM/DD`` are refused because
  they are ambiguous. A date in the future or before 1880 is refused.
- **MRNs.** Upper-cased; an ``MRN``/``MRN:``/``MRN#`` label, spaces, dashes, dots and slashes
  are removed; an all-digit MRN loses its leading zeros (``00012345`` = ``12345``), because
  EHR exports pad them inconsistently. Letters are kept (``A-0012`` = ``A0012``).
- **E-mail addresses.** Trimmed, angle brackets and ``mailto:`` removed, the whole address
  lower-cased (local part included: no mainstream patient mailbox provider is case-sensitive).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from gateway.patients.errors import InvalidIdentifier

_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "rev", "sir"})
_SUFFIXES = frozenset(
    {"jr", "sr", "ii", "iii", "iv", "v", "md", "do", "phd", "rn", "np", "pa", "dds", "esq"}
)
_APOSTROPHES = "'\u2019\u02bc`."
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_MRN_LABEL = re.compile(r"^MRN\s*[:#]?\s*", re.IGNORECASE)
_MRN_SEPARATORS = re.compile(r"[\s\-./]+")
_MRN_VALID = re.compile(r"[A-Z0-9]{1,32}")
_EMAIL = re.compile(r"[^@\s<>(),;:\"\[\]]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)+")
MIN_BIRTH_YEAR = 1880


@dataclass(frozen=True)
class NameKey:
    """The parts of a name that matching uses: first given word and last surname word."""

    first: str
    last: str

    def key(self) -> str:
        """The canonical string that is hashed."""
        return f"{self.first}|{self.last}"


def fold(text: str) -> str:
    """Case- and accent-folded text (NFKD, combining marks dropped, casefold)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _words(text: str) -> list[str]:
    text = fold(text)
    for ch in _APOSTROPHES:
        text = text.replace(ch, "")
    words = re.sub(r"[^\w]+", " ", text).replace("_", " ").split()
    return [w for w in words if not w.isdigit()]


def _strip_affixes(words: list[str], *, leading: bool, trailing: bool) -> list[str]:
    out = list(words)
    while leading and len(out) > 1 and out[0] in _TITLES:
        out.pop(0)
    while trailing and len(out) > 1 and out[-1] in _SUFFIXES:
        out.pop()
    return out


def name_key(first_or_full: str, last: str | None = None) -> NameKey:
    """The matching key of a name: given as ``first, last`` or as one full-name string."""
    if last is not None:
        given = _strip_affixes(_words(first_or_full), leading=True, trailing=False)
        family = _strip_affixes(_words(last), leading=False, trailing=True)
    elif "," in first_or_full:
        family_part, _, given_part = first_or_full.partition(",")
        family = _strip_affixes(_words(family_part), leading=True, trailing=True)
        given = _strip_affixes(_words(given_part), leading=True, trailing=True)
    else:
        words = _strip_affixes(_words(first_or_full), leading=True, trailing=True)
        if len(words) < 2:
            raise InvalidIdentifier("name needs a given name and a surname")
        given, family = words[:1], words[1:]
    if not given or not family:
        raise InvalidIdentifier("name needs a given name and a surname")
    return NameKey(first=given[0], last=family[-1])


def parse_dob(value: str | date) -> date:
    """A date of birth from ISO ``YYYY-MM-DD`` or US ``M/D/YYYY``; anything else is refused."""
    if isinstance(value, datetime):
        raise InvalidIdentifier("date of birth must be a date, not a date and time")
    if isinstance(value, date):
        parsed = value
    else:
        text = value.strip()
        if m := _ISO_DATE.fullmatch(text):
            y, mo, d = int(m[1]), int(m[2]), int(m[3])
        elif m := _US_DATE.fullmatch(text):
            mo, d, y = int(m[1]), int(m[2]), int(m[3])
        else:
            raise InvalidIdentifier("date of birth must be YYYY-MM-DD or M/D/YYYY")
        try:
            parsed = date(y, mo, d)
        except ValueError:
            raise InvalidIdentifier("date of birth is not a calendar date") from None
    if parsed.year < MIN_BIRTH_YEAR or parsed > date.today():
        raise InvalidIdentifier("date of birth is out of range")
    return parsed


def normalize_mrn(value: str) -> str:
    """A medical record number with its label, separators and (if all digits) zero padding gone."""
    text = _MRN_SEPARATORS.sub("", _MRN_LABEL.sub("", value.strip())).upper()
    if text.isdigit():
        text = text.lstrip("0") or "0"
    if not _MRN_VALID.fullmatch(text):
        raise InvalidIdentifier("MRN must be 1-32 letters and digits")
    return text


def normalize_email(value: str) -> str:
    """A lower-cased bare e-mail address; anything that is not one address is refused."""
    text = value.strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    text = text.lower()
    if len(text) > 254 or not _EMAIL.fullmatch(text):
        raise InvalidIdentifier("not a single e-mail address")
    return text
