"""Which countries a text is about: country names (English and their own), +CC prefixes, ccTLDs.

The phone and postcode recognizers use these hints to read a number the way its country writes
it; with no hint they fall back to the formats that need none (international prefixes, context).
"""

from __future__ import annotations

import phonenumbers
import regex

# Country names as writers spell them, in English and in the country's own language(s).
COUNTRY_NAMES: dict[str, tuple[str, ...]] = {
    "US": ("United States", "USA", "U.S.A.", "America"),
    "GB": ("United Kingdom", "UK", "U.K.", "England", "Scotland", "Wales", "Northern Ireland",
           "Great Britain", "Britain"),
    "IE": ("Ireland", "Éire", "Eire"),
    "CA": ("Canada",),
    "AU": ("Australia",),
    "NZ": ("New Zealand", "Aotearoa"),
    "IN": ("India", "Bharat"),
    "DE": ("Germany", "Deutschland"),
    "AT": ("Austria", "Österreich"),
    "CH": ("Switzerland", "Schweiz", "Suisse", "Svizzera"),
    "FR": ("France",),
    "BE": ("Belgium", "Belgique", "België"),
    "NL": ("Netherlands", "Nederland", "Holland"),
    "LU": ("Luxembourg",),
    "IT": ("Italy", "Italia"),
    "ES": ("Spain", "España"),
    "PT": ("Portugal",),
    "BR": ("Brazil", "Brasil"),
    "MX": ("Mexico", "México"),
    "AR": ("Argentina",),
    "CL": ("Chile",),
    "CO": ("Colombia",),
    "PL": ("Poland", "Polska"),
    "CZ": ("Czech Republic", "Czechia", "Česko", "Česká republika"),
    "SK": ("Slovakia", "Slovensko"),
    "HU": ("Hungary", "Magyarország"),
    "RO": ("Romania", "România"),
    "BG": ("Bulgaria", "България"),
    "GR": ("Greece", "Ελλάδα", "Hellas"),
    "TR": ("Turkey", "Türkiye"),
    "RU": ("Russia", "Россия"),
    "UA": ("Ukraine", "Україна"),
    "SE": ("Sweden", "Sverige"),
    "NO": ("Norway", "Norge"),
    "DK": ("Denmark", "Danmark"),
    "FI": ("Finland", "Suomi"),
    "IS": ("Iceland", "Ísland"),
    "EE": ("Estonia", "Eesti"),
    "LV": ("Latvia", "Latvija"),
    "LT": ("Lithuania", "Lietuva"),
    "SI": ("Slovenia", "Slovenija"),
    "HR": ("Croatia", "Hrvatska"),
    "RS": ("Serbia", "Србија"),
    "JP": ("Japan", "日本"),
    "CN": ("China", "中国"),
    "TW": ("Taiwan", "台灣"),
    "HK": ("Hong Kong",),
    "KR": ("Korea", "South Korea", "대한민국", "한국"),
    "SG": ("Singapore",),
    "MY": ("Malaysia",),
    "PH": ("Philippines",),
    "ID": ("Indonesia",),
    "TH": ("Thailand",),
    "VN": ("Vietnam", "Việt Nam"),
    "PK": ("Pakistan",),
    "BD": ("Bangladesh",),
    "IL": ("Israel", "ישראל"),
    "AE": ("United Arab Emirates", "UAE"),
    "SA": ("Saudi Arabia",),
    "EG": ("Egypt",),
    "ZA": ("South Africa",),
    "NG": ("Nigeria",),
    "KE": ("Kenya",),
}  # fmt: skip
# Matched as written (capitalised), which keeps the long alternation cheap.
_NAME_TO_REGION = {n: r for r, names in COUNTRY_NAMES.items() for n in names}
COUNTRY_WORD = regex.compile(
    r"(?<![\w])(?:"
    + "|".join(regex.escape(n) for n in sorted(_NAME_TO_REGION, key=len, reverse=True))
    + r")(?![\w])"
)
# "+44 ...", "0049 ...", "(+30)": an international prefix names its country.
INTL_PREFIX = regex.compile(r"(?<![\w+])(?:\+|\(\+|00)(\d{1,3})(?=[ \t().\-]?\d)")
# A ccTLD in an e-mail address or link ("@praxis-weber.de", "nhs.uk").
CCTLD = regex.compile(r"(?<=[\w-])\.([a-z]{2})(?![\w.-])")
_TLD_REGION = {"uk": "GB", "el": "GR"}


def region_hints(text: str) -> tuple[str, ...]:
    """The regions a text names, in the order they first appear (no duplicates)."""
    found: dict[str, None] = {}
    for m in COUNTRY_WORD.finditer(text):
        found.setdefault(_NAME_TO_REGION[m.group()], None)
    for m in INTL_PREFIX.finditer(text):
        for width in (1, 2, 3):
            region = phonenumbers.region_code_for_country_code(int(m.group(1)[:width]))
            if region != "ZZ":
                found.setdefault(region, None)
                break
    if "@" in text or "://" in text or "www." in text:
        for m in CCTLD.finditer(text):
            tld = m.group(1)
            region = _TLD_REGION.get(tld, tld.upper())
            if region in COUNTRY_NAMES:
                found.setdefault(region, None)
    return tuple(found)
