"""Contact-detail recognizers: phone/fax, e-mail, URL, IP, street address, ZIP, card and IBAN."""

from __future__ import annotations

import hashlib
import ipaddress
import math
import os
from bisect import bisect_left, bisect_right, insort
from collections import OrderedDict
from dataclasses import dataclass, field
from itertools import count

import phonenumbers
import regex
from phonenumbers import re_util

from detectors.recognizers.base import (
    RawMatch,
    RegexRecognizer,
    compile_words,
    finditer,
    has_context,
    luhn_ok,
)
from detectors.recognizers.phones import a_date, not_a_phone, phone_candidates, phone_context
from detectors.recognizers.regions import region_hints

# phonenumbers compiles its metadata patterns through the re module's cache of 512, which a
# number whose country code many regions share (+1, +44, +7) overflows on every lookup: keep
# every pattern compiled once instead (its own switch for this; a quarter of the phone time).
re_util.enable_pattern_cache()

FAX_CONTEXT = compile_words(["fax", "facsimile", "f:"])
PHONE_CONTEXT = compile_words(
    [
        "phone",
        "tel",
        "telephone",
        "call",
        "called",
        "calling",
        "reach",
        "reached",
        "mobile",
        "cell",
        "fax",
        "messages to",
        "answering at",
        "text",
        "sms",
        "contact number",
        "number",
        "ph",
        "ext",
    ]
)
PHONE_AFTER = compile_words(["office", "fax", "mobile", "cell", "home", "work", "phone"])
# International and odd local formats: only next to a phone word (bounded, no nesting).
GENERIC_PHONE = regex.compile(
    r"(?<![\w+.-])(?:(?:\+|00)\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d{2,12}(?:[ .-]\d{2,8}){0,4}"
    r"(?:\s?(?:x|ext\.?|extension)\s?\d{1,5})?(?![\w-]|\.\d)"
)
# Six or more digits with only phone punctuation between: where a phone number can be at all.
PHONE_WINDOW = regex.compile(r"\+?\(?\d(?:[ ().\-/]{0,3}\d){5,}")
STREET_SUFFIXES = (
    "Alley Aly Avenue Ave Av Bend Boulevard Blvd Branch Brg Bridge Brook Brooks Burg Burgs Bypass "
    "Camp Canyon Cape Causeway Center Centers Circle Cir Circles Cliff Cliffs Club Common Commons "
    "Corner Corners Course Court Ct Courts Cove Coves Creek Crescent Crest Crossing Crossroad Curve "
    "Dale Dam Divide Drive Dr Drives Estate Estates Expressway Expy Extension Ext Fall Falls Ferry "
    "Field Fields Flat Flats Ford Fords Forest Forge Forges Fork Forks Fort Freeway Fwy Garden "
    "Gardens Gateway Glen Glens Green Greens Grove Groves Harbor Harbors Haven Heights Hts Highway "
    "Hwy Hill Hills Hollow Inlet Island Islands Isle Junction Junctions Key Keys Knoll Knolls Lake "
    "Lakes Land Landing Lane Ln Light Lights Loaf Lock Locks Lodge Loop Mall Manor Manors Meadow "
    "Meadows Mews Mill Mills Mission Motorway Mount Mountain Mountains Neck Orchard Oval Overpass "
    "Park Parks Parkway Pkwy Parkways Pass Passage Path Pike Pine Pines Place Pl Plain Plains Plaza "
    "Point Points Port Ports Prairie Radial Ramp Ranch Rapid Rapids Rest Ridge Ridges River Road Rd "
    "Roads Route Row Rue Run Shoal Shoals Shore Shores Skyway Spring Springs Spur Spurs Square Sq "
    "Squares Station Stravenue Stream Street St Streets Summit Terrace Ter Throughway Trace Track "
    "Trafficway Trail Trl Trailer Tunnel Turnpike Underpass Union Unions Valley Valleys Via Viaduct "
    "View Views Village Villages Ville Vista Walk Walks Wall Way Ways Well Wells Close Gate Grange"
).split()
US_STATES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP AE AP AA"
).split()
_SUFFIX = "|".join(sorted(STREET_SUFFIXES, key=len, reverse=True))
_STATE = "|".join(US_STATES)
_WORD = r"\p{Lu}[\p{L}'.-]{0,24}"
ADDRESS = regex.compile(
    rf"(?<![\w-])\d{{1,6}}[A-Z]?(?: {_WORD}){{0,4}} (?:{_SUFFIX})\.?(?![\w])"
    rf"(?:,? (?:Apt|Apartment|Suite|Ste|Unit|#|Bldg|Floor|Fl)\.? ?#?[A-Za-z0-9-]{{1,8}})?"
    rf"(?:,?\s{{1,3}}(?:\p{{Lu}}[\p{{L}}'.-]{{1,24}} ?){{1,3}},? (?:{_STATE}) \d{{5}}(?:-\d{{4}})?)?"
)
PO_BOX = regex.compile(
    r"(?<![\w])(?:P\.? ?O\.? Box|PSC|Unit|CMR) \d{1,6}(?:, Box \d{1,6})?"
    r"(?:,?\s{1,3}(?:APO|FPO|DPO) (?:AE|AP|AA) \d{5})?",
    regex.IGNORECASE,
)
UNIT = regex.compile(r"(?<![\w])(?:Apt|Apartment|Suite|Ste|Unit)\.? ?#?\d{1,6}[A-Z]?(?![\w])")
# "Streetname 12" (European order) after an address cue or a leading house/postal number.
EURO_STREET = regex.compile(
    r"(?:(?<=(?i:\b(?:address|lives at|lives on|is at|is on|located at|sent to|send to|moved to))"
    r"[: ]{1,3})"
    r"|(?<=(?:^|\n|, |: )\d{3,6} ))"
    # the street name itself must be capitalised: "address with 153" is not "Rosenweg 153"
    r"(?:\p{Lu}{1,3}\.? )?\p{Lu}[\p{L}.'-]{2,30}(?: \p{L}[\p{L}.'-]{1,30}){0,3} \d{1,5}[a-z]?(?![\w])",
)
COUNTRY_POSTCODE = regex.compile(
    r"(?<=\b(?:Norway|Sweden|Denmark|Finland|Iceland|Germany|France|Italy|Spain|Portugal|Cyprus|Greece|"
    r"Uruguay|Slovenia|Poland|Netherlands|Belgium|Austria|Switzerland|Kingdom|Ireland|Canada|Australia|"
    r"Czechia|Hungary|Croatia|Estonia|Latvia|Lithuania|Brazil|Mexico|Japan|Greenland|Greenlander),? )"
    r"\d{4,6}(?![\w-])"
)
ZIP = regex.compile(rf"(?<=\b(?:{_STATE}),? )\d{{5}}(?:-\d{{4}})?(?![\w-])")
ZIP_WORDED = regex.compile(
    r"(?i:\b(?:zip|zip code|postal code|postcode|post code|cep|plz)\b)\s?[:#]?\s?"
    r"(\d{4,5}(?:-\d{3,4})?|\d{3} \d{2}|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}|[A-Z]\d[A-Z] ?\d[A-Z]\d)(?![\w-])"
)
EMAIL = regex.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.){1,6}[A-Za-z]{2,24}(?![\w-])"
)
URL = regex.compile(
    r"(?<![\w@])(?:https?://|www\.)[A-Za-z0-9][^\s<>\"'()\[\]]{1,500}(?<![.,;:!?])"
    r"|(?<![\w@./-])[a-z0-9][a-z0-9-]{0,62}(?:\.[a-z0-9-]{1,62}){0,4}\.(?:com|org|net|gov|edu|io|info|biz|us|health|example)(?:/[^\s<>\"']{0,300})?(?![\w@-])"
)
IPV4 = regex.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]|\.\d)")
IPV6 = regex.compile(
    r"(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){2,7}[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{1,4}){0,6}(?![\w:])"
)
# Twelve-digit (Maestro) card numbers pass Luhn too often by chance to stand without a card word.
CARD_SHORT = regex.compile(r"(?<![\w-])\d{4}[ -]?\d{4}[ -]?\d{4}(?![\w-])")
CARD = regex.compile(r"(?<![\w-])\d(?:[ -]?\d){11,18}(?![\w-])")
IBAN = regex.compile(r"(?<![\w])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![\w])")
CARD_CONTEXT = compile_words(["card", "visa", "mastercard", "amex", "credit", "debit", "cc"])


def _ip_ok(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _iban_ok(value: str) -> bool:
    v = value.replace(" ", "").upper()
    if not 15 <= len(v) <= 34:
        return False
    moved = v[4:] + v[:4]
    num = "".join(str(int(ch, 36)) for ch in moved)
    return int(num) % 97 == 1


def _card_ok(value: str) -> bool:
    digits = "".join(ch for ch in value if ch.isdigit())
    if not 13 <= len(digits) <= 19 or len(set(digits)) == 1:
        return False
    return luhn_ok(digits)


@dataclass(frozen=True)
class PhoneRecognizer:
    """Phone and fax numbers via the phonenumbers library (US region, valid numbers only)."""

    name: str = "phone"
    entities: tuple[str, ...] = ("PHONE_NUMBER", "FAX_NUMBER")
    regions: tuple[str, ...] = ("US",)
    # Signature blocks repeat the same numbers in every message and validating a number is the
    # costly part, so valid spans are remembered per window, keyed by a keyed digest (no text).
    cache_size: int = 4096
    _cache: OrderedDict[bytes, tuple[tuple[int, int], ...]] = field(
        default_factory=OrderedDict, repr=False, compare=False
    )
    _key: bytes = field(default_factory=lambda: os.urandom(16), repr=False, compare=False)

    def _valid_spans(self, window: str, region: str) -> tuple[tuple[int, int], ...]:
        digest = hashlib.blake2b(
            f"{region}\0{window}".encode("utf-8", "surrogatepass"), key=self._key, digest_size=16
        ).digest()
        spans = self._cache.pop(digest, None)
        if spans is None:
            matcher = phonenumbers.PhoneNumberMatcher(
                window, region, leniency=phonenumbers.Leniency.VALID, max_tries=500
            )
            spans = tuple((found.start, found.end) for found in matcher)
        self._cache[digest] = spans
        while len(self._cache) > self.cache_size:
            try:
                self._cache.popitem(last=False)
            except KeyError:  # emptied by another thread meanwhile
                break
        return spans

    def analyze(self, text: str, timeout: float) -> list[RawMatch]:
        """See Recognizer."""
        out: list[RawMatch] = []
        seen: set[tuple[int, int]] = set()
        # phonenumbers parses every digit group it meets (dates, ZIPs, amounts); handing it only
        # the windows that hold enough digits keeps its cost to the places a number can be.
        windows: list[tuple[int, int]] = []
        for w in finditer(PHONE_WINDOW, text, timeout):
            lo, hi = max(0, w.start() - 8), min(len(text), w.end() + 24)
            if windows and lo <= windows[-1][1]:
                windows[-1] = (windows[-1][0], hi)
            else:
                windows.append((lo, hi))
        for region in self.regions:
            for lo, hi in windows:
                for a, b in self._valid_spans(text[lo:hi], region):
                    span = (a + lo, b + lo)
                    if span in seen:
                        continue
                    seen.add(span)
                    if a_date(text, *span) or (
                        not_a_phone(text, *span) and not phone_context(text, *span)
                    ):
                        continue
                    fax = has_context(FAX_CONTEXT, text, span[0], span[1], before=12)
                    entity = "FAX_NUMBER" if fax else "PHONE_NUMBER"
                    out.append(RawMatch(entity, *span, 0.75, "identifier", self.name))
        if not windows:
            return out  # fewer than six digits in a row: no phone of any country
        for g in finditer(GENERIC_PHONE, text, timeout):
            digits = sum(ch.isdigit() for ch in g.group())
            if not 6 <= digits <= 15 or any(s < g.end() and g.start() < e for s, e in seen):
                continue
            if not (
                has_context(PHONE_CONTEXT, text, g.start(), g.end(), before=25)
                or PHONE_AFTER.match(text, g.end() + 1, min(len(text), g.end() + 10))
            ):
                continue
            if a_date(text, g.start(), g.end()):
                continue
            # "NHS number 777 459 7850": the word "number" belongs to another id's label.
            if not_a_phone(text, g.start(), g.end()) and not phone_context(
                text, g.start(), g.end()
            ):
                continue
            fax = has_context(FAX_CONTEXT, text, g.start(), g.end(), before=12) or text.startswith(
                "fax", g.end() + 1
            )
            entity = "FAX_NUMBER" if fax else "PHONE_NUMBER"
            out.append(RawMatch(entity, g.start(), g.end(), 0.6, "identifier", self.name))
        return self._international(text, timeout, out)

    def _regions(self, text: str) -> tuple[str, ...]:
        """The regions to read national numbers in: those the text names, then the defaults."""
        return tuple(dict.fromkeys((*region_hints(text)[:4], *self.regions)))

    def _international(self, text: str, timeout: float, found: list[RawMatch]) -> list[RawMatch]:
        """Add numbers of other countries' plans and formats; a longer span replaces the pieces
        of it found before ("+33 2 62 43 17 47", not "62 43 17 47")."""
        # What is kept so far, in order (by sequence number), and indexed by start: only spans
        # starting from the longest kept span's length before a candidate up to its end can
        # overlap it or lie inside it (every candidate against every number kept was quadratic
        # in a long table). Equal matches have equal spans, so "inside" by span is the same as
        # the membership the pieces were once removed by.
        kept: dict[int, RawMatch] = dict(enumerate(found))
        index = sorted((m.start, k) for k, m in kept.items())
        longest = max((m.end - m.start for m in found), default=0)
        keys = count(len(found))
        for c in phone_candidates(text, timeout, lambda: self._regions(text)):
            lo = bisect_left(index, (c.start - longest, -1))
            hi = bisect_right(index, (c.end, math.inf))
            near = [(k, kept[k]) for _, k in index[lo:hi]]
            inside = [(k, m) for k, m in near if c.start <= m.start and m.end <= c.end]
            if any(
                m.start < c.end and c.start < m.end and not (c.start <= m.start and m.end <= c.end)
                for _, m in near
            ):
                continue
            if any((m.start, m.end) == (c.start, c.end) for _, m in inside):
                continue
            for k, m in inside:
                del kept[k]
                index.remove((m.start, k))
            fax = has_context(FAX_CONTEXT, text, c.start, c.end, before=12)
            entity = "FAX_NUMBER" if fax else "PHONE_NUMBER"
            score = max([c.score, *(m.score for _, m in inside)])
            k = next(keys)
            kept[k] = RawMatch(entity, c.start, c.end, score, "identifier", self.name)
            insort(index, (c.start, k))
            longest = max(longest, c.end - c.start)
        return list(kept.values())


@dataclass(frozen=True)
class IpRecognizer:
    """IPv4 and IPv6 addresses that parse."""

    name: str = "ip_address"
    entities: tuple[str, ...] = ("IP_ADDRESS",)

    def analyze(self, text: str, timeout: float) -> list[RawMatch]:
        """See Recognizer."""
        out: list[RawMatch] = []
        for pattern in (IPV4, IPV6):
            for m in finditer(pattern, text, timeout):
                if _ip_ok(m.group()) and (pattern is IPV4 or m.group().count(":") >= 2):
                    out.append(
                        RawMatch("IP_ADDRESS", m.start(), m.end(), 0.8, "identifier", self.name)
                    )
        return out


# A link to one patient's record: a record-kind path segment followed by an identifier segment
# ("/chart/9574773", "/patients/48213/results", "/v/g9xfv9ecb5").
RECORD_URL = regex.compile(
    r"(?i)(?<![\w@])(?:https?://|www\.)[^\s<>\"'()\[\]/]{1,200}(?:/[^\s<>\"'()\[\]/?#]{0,60}){0,6}?"
    r"/(?:charts?|patients?|pts?|mrn|records?|encounters?|visits?|v|appts?|appointments?|members?|"
    r"results?|orders?|cases?|episodes?|admissions?|reports?|messages?|referrals?)"
    r"/([A-Za-z0-9_-]{5,64})(?=[/?#\s<>\"')\].,;:!]|$)[^\s<>\"'()\[\]]{0,300}"
)
_UUID = regex.compile(
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
)


_DIGIT_SEGMENT = regex.compile(r"\d{5,20}")


def record_id_segment(segment: str) -> bool:
    """A path segment shaped like a record id: 5+ digits, a letters-and-digits token or a UUID."""
    digits = sum(ch.isdigit() for ch in segment)
    letters = sum(ch.isalpha() for ch in segment)
    if _DIGIT_SEGMENT.fullmatch(segment) or _UUID.fullmatch(segment):
        return True
    return len(segment) >= 6 and digits >= 1 and letters >= 1 and "-" not in segment.strip("-")


@dataclass(frozen=True)
class RecordUrlRecognizer:
    """URLs that point at one patient's record, visit or result (a record id in the path)."""

    name: str = "record_url"
    entities: tuple[str, ...] = ("RECORD_URL",)

    def analyze(self, text: str, timeout: float) -> list[RawMatch]:
        """See Recognizer."""
        out: list[RawMatch] = []
        for m in finditer(RECORD_URL, text, timeout):
            if not record_id_segment(m.group(1)):
                continue
            end = m.end()
            while end > m.end(1) and text[end - 1] in ".,;:!?":
                end -= 1
            out.append(RawMatch("RECORD_URL", m.start(), end, 0.8, "identifier", self.name))
        return out


def contact_recognizers() -> list[object]:
    """Build the contact-detail recognizers."""
    return [
        PhoneRecognizer(),
        RegexRecognizer(name="email", entity="EMAIL_ADDRESS", pattern=EMAIL, score=0.9),
        RegexRecognizer(name="url", entity="URL", pattern=URL, score=0.6),
        RecordUrlRecognizer(),
        IpRecognizer(),
        RegexRecognizer(
            name="street_address", entity="STREET_ADDRESS", pattern=ADDRESS, score=0.75
        ),
        RegexRecognizer(name="po_box", entity="STREET_ADDRESS", pattern=PO_BOX, score=0.7),
        RegexRecognizer(name="zip_code", entity="ZIP_CODE", pattern=ZIP, score=0.7),
        RegexRecognizer(name="address_unit", entity="STREET_ADDRESS", pattern=UNIT, score=0.6),
        RegexRecognizer(
            name="street_euro", entity="STREET_ADDRESS", pattern=EURO_STREET, score=0.6
        ),
        RegexRecognizer(
            name="postcode_country", entity="ZIP_CODE", pattern=COUNTRY_POSTCODE, score=0.6
        ),
        RegexRecognizer(
            name="zip_code_worded", entity="ZIP_CODE", pattern=ZIP_WORDED, score=0.7, group=1
        ),
        RegexRecognizer(
            name="credit_card",
            entity="CREDIT_CARD",
            pattern=CARD,
            score=0.8,
            context=CARD_CONTEXT,
            context_score=1.0,
            validate=_card_ok,
        ),
        RegexRecognizer(
            name="credit_card_short",
            entity="CREDIT_CARD",
            pattern=CARD_SHORT,
            score=0.8,
            context=CARD_CONTEXT,
            context_required=True,
            before=30,
            validate=lambda v: luhn_ok("".join(ch for ch in v if ch.isdigit())),
        ),
        RegexRecognizer(
            name="iban", entity="IBAN_CODE", pattern=IBAN, score=0.9, validate=_iban_ok
        ),
    ]
