"""Street addresses as whole blocks: a street core, then its house number, unit and place tail.

A core is one of: a US-style ``number + words + street type`` ("12 Oak Hill Rd."), a street type
that comes first ("rue des Lilas 4", "Via Roma 10", "ul. Polna 3", "Λ. Αλεξάνδρας 12"), a
European ``name + number`` ("Bahnhofstrasse 12") when something says it is an address, a PO box or
a military address (PSC/Unit/ship + APO/FPO/DPO). From the core the span grows left over a
leading house or postal number and right over unit, city, state, country and postcode parts
(on the same line after a comma, or on the next short lines of an address block).
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from detectors.recognizers.base import RawMatch, finditer

# US street types (USPS Publication 28 primary names and common abbreviations) plus UK ones.
STREET_TYPES = (
    "Alley Aly Avenue Ave Av Bend Boulevard Blvd Branch Bridge Brg Brook Brooks Burg Bypass Byp "
    "Camp Canyon Cape Causeway Center Circle Cir Circles Cliff Cliffs Close Club Common Commons "
    "Corner Corners Course Court Ct Courts Cove Coves Creek Crescent Cres Crest Crossing Xing "
    "Crossroad Curve Dale Dam Divide Drive Dr Drives Estate Estates Expressway Expy Extension Ext "
    "Fall Falls Ferry Field Fields Flat Flats Ford Fords Forest Forge Forges Fork Forks Fort "
    "Freeway Fwy Garden Gardens Gdns Gateway Gate Glen Glens Grange Green Greens Grove Groves Gr "
    "Harbor Harbors Haven Heights Hts Highway Hwy Hill Hills Hollow Inlet Island Islands Isle "
    "Junction Junctions Key Keys Knoll Knolls Lake Lakes Land Landing Lane Ln Light Lights Loaf "
    "Lock Locks Lodge Loop Mall Manor Manors Meadow Meadows Mews Mill Mills Mission Motorway "
    "Mount Mountain Mountains Mtn Neck Orchard Oval Overpass Parade Park Parks Parkway Pkwy "
    "Parkways Pass Passage Path Pike Pine Pines Place Pl Plain Plains Plaza Plz Point Points Pt "
    "Port Ports Prairie Promenade Radial Ramp Ranch Rapid Rapids Rest Ridge Ridges Rise River Road "
    "Rd Roads Route Rte Row Rue Run Shoal Shoals Shore Shores Skyway Spring Springs Spur Spurs "
    "Square Sq Squares Station Sta Stravenue Stream Street St Str Streets Summit Terrace Ter Terr "
    "Throughway Trace Track Trafficway Trail Trl Trailer Tunnel Turnpike Tpke Underpass Union "
    "Unions Valley Valleys Via Viaduct View Views Village Villages Ville Vista Walk Walks Wall Way "
    "Ways Well Wells Wharf Wynd Yard"
).split()
# Street types written before the name (Romance, Slavic, Greek, Dutch, Nordic, Turkish...).
LEADING_TYPES = (
    r"Rue|rue|Rua|Via|Viale|Vicolo|Piazza|Piazzale|Corso|Largo|Avenida|Avda\.|Av\.|Avenue|avenue|"
    r"Calle|C/|Carrer|Camino|Paseo|Plaza|Praça|Travessa|Estrada|Alameda|Rodovia|Boulevard|"
    r"boulevard|Bd\.?|Chemin|chemin|Allée|allée|Impasse|impasse|Place|place|Quai|quai|Route|route|"
    r"ul\.|Ul\.|ulica|al\.|Al\.|Aleja|aleja|os\.|pl\.|plac|Plac|osiedle|Osiedle|Strada|Str\.|Calea|Bulevardul|Jalan|Jl\.|"
    r"Λ\.|Λεωφ\.|Οδός|Οδ\.|ул\.|улица|пр\.|проспект|Sokak|Caddesi|Cad\.|Na|Nam\.|nám\.|R\.|"
    # Spain's and Brazil's own kinds of way (the Spanish cadastre's and Correios' lists)
    r"Callejón|Cañada|Carretera|Cuesta|Glorieta|Pasadizo|Pasaje|Rambla|Ronda|Travesía|"
    r"Urbanización|Chácara|Condomínio|Conjunto|Esplanada|Fazenda|Feira|Ladeira|Lagoa|"
    r"Loteamento|Passarela|Quadra|Recanto|Residencial|Sítio|Trecho|Trevo|Vereda|Viaduto|Viela"
)
# Australia Post's street types that are not also US ones; written after a name ("81 Jane
# Fairway"), never alone after a number ("Take 5 Steps").
AU_STREET_TYPES = (
    "Amble Arcade Boardwalk Boulevarde Brae Brow Byway Circus Concourse Copse Cruiseway "
    "Distributor Driveway Esplanade Fairway Firetrail Follow Frontage Glade Highroad Laneway Nook "
    "Pathway Quadrant Quays Ramble Serviceway Tarn Thoroughfare Tollway Vale Walkway"
).split()
# Endings that make one word a street name on its own ("Bahnhofstrasse 12", "Storgatan 5").
STREET_ENDINGS = (
    "strasse straße str. straat weg wegen vej vejen vägen väg gatan gata gade gaden veien vegen "
    "vegur braut stræde stræt stien stigen tie tien katu kuja polku utca út krt. körút rakpart "
    "laan dreef plein singel gracht kade hof allee alléen alle platz gasse damm ring ulica aleja "
    "sokak caddesi sokağı cesta ulice"
).split()
ADDRESS_CUE = regex.compile(
    r"(?i:\b(?:address(?:es)?(?: on file| of record)?|addr|adres|adresse|anschrift|dirección|"
    r"direccion|endereço|endereco|indirizzo|osoite|cím|адрес|διεύθυνση|lives? (?:at|on|in)|living at|resides? at|located at|"
    r"moved to|send (?:it )?to|sent to|ship(?:ped)? to|mail(?:ed)? to|deliver(?:ed)? to|"
    r"corner of|stop at|enter on|is at|are at|is on|on|at|and)\b[:\s]{1,4}(?:the )?$)"
)

_W = r"[\p{Lu}\p{Lt}][\p{L}\p{M}'’.-]{0,30}"  # a capitalised word in any script
_CONNECT = (
    r"(?:de|del|della|dei|des|du|da|do|dos|das|di|la|le|les|los|las|van|von|der|den|het|y|e|al|el|"
    r"bin|ibn|am|an|im|zum|zur|sur|sous|en|och|og|i)(?![\p{L}])"
)
_LOWER = r"\p{Ll}[\p{L}\p{M}'’.-]{1,20}"  # lower-case street words ("tee", "utca", "krt.", "u.")
_NUM = r"\d{1,5}[A-Za-z]?(?:[-/]\d{1,4}[A-Za-z]?)?"
_TYPES = "|".join(sorted(STREET_TYPES, key=len, reverse=True))
_UNIT = (
    r"(?:Apt|Apartment|Suite|Ste|Unit|Flat|Fl|Floor|Room|Rm|Bldg|Building|Lot|Box|Dept|#|"
    r"Appartamento|Interno|Scala|Piano|Piso|Apto|Andar|Bloco)\.?"
    r" ?#?[A-Za-z]?\d{1,6}[A-Za-z]?(?![\w])"
)
_STATE_NAMES = (
    "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|"
    "Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|"
    "Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|"
    "New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|"
    "Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|"
    "West Virginia|Wisconsin|Wyoming|District of Columbia|Puerto Rico"
)

US_CORE = regex.compile(
    rf"(?<![\w-])\d{{1,6}}[A-Z]?(?:-\d{{1,4}})? (?:[NSEW]\.? |(?:North|South|East|West) )?"
    rf"(?:(?:{_W}|\p{{Han}}{{1,4}}|\d{{1,3}}(?:st|nd|rd|th)|{_CONNECT}) ){{0,4}}(?:{_TYPES})\.?(?![\w])"
)
AU_CORE = regex.compile(
    rf"(?<![\w-])\d{{1,6}}[A-Z]?(?:[-/]\d{{1,4}})? (?:{_W} ){{1,3}}(?:{'|'.join(AU_STREET_TYPES)})(?![\w-])"
)
LEADING_CORE = regex.compile(
    rf"(?<![\w.])(?:{LEADING_TYPES})(?: (?:{_W}|{_CONNECT}|\d{{1,3}}(?:st|nd|rd|th|e|er)(?![\w])"
    rf"|\p{{Ll}}{{2,10}}(?= \p{{Lu}})))"
    rf"{{1,5}}(?: {_NUM}(?![\w]))?"
)
EURO_CORE = regex.compile(
    rf"(?<![\w.])(?:{_W}(?:[ -](?:{_W}|{_CONNECT}|{_LOWER})){{0,3}}) {_NUM}\.?(?![\w])"
)
# "104 Machiton Scholis" on a line of its own, recognised by the unit line that follows it.
NUMBERED_WORDS_CORE = regex.compile(
    rf"(?<![\w.,-])\d{{1,6}}(?: {_W}){{1,5}}(?=,? ?(?:\r?\n[ \t}}>|]*)?{_UNIT})"
)
# "Flat 61F" on a line of its own and the street without a number on the next ("Sean Corner"),
# as UK and Commonwealth addresses are written: the unit line makes the street an address.
UNIT_FIRST_CORE = regex.compile(
    rf"(?<![\w])(?:Flat|Studio|Apartment|Apt|Unit|Suite)\.? ?\d{{1,5}}[A-Za-z]?,?[ \t]*\r?\n"
    rf"[ \t]*(?:{_W} ){{1,3}}(?:{_TYPES})\.?(?![\w])"
)
NUMBERLESS_CORE = regex.compile(rf"(?<![\w])(?:{_W} ){{1,3}}(?:{_TYPES})\.?(?![\w])")
PO_BOX_CORE = regex.compile(
    r"(?<![\w])(?i:P\.? ?O\.? Box|Post Office Box|Postfach|Apartado|Caixa Postal) \d{1,6}(?![\w])"
)
MILITARY_CORE = regex.compile(
    r"(?<![\w])(?:(?:PSC|Unit|CMR) \d{1,5},? Box \d{1,5}|(?:USNS|USNV|USS|USCGC|USAV) "
    r"[\p{Lu}][\p{L}'’-]{1,30}(?: [\p{Lu}][\p{L}'’-]{1,30})?)"
    r"\s{0,3}(?:\n[ \t}>]*)?(?:APO|FPO|DPO) (?:AA|AE|AP) \d{5}(?:-\d{4})?(?![\w])"
)
# "lives at", "living at": an address follows, even a foreign one ("living at Σιτοχώρου 7").
STRONG_AT_CUE = regex.compile(
    r"(?i:\b(?:lives?|living|resides?|residing|located|currently living|staying) at[: ]{1,3}$)"
)
# Addresses written in their own scripts and orders.
_KANA = r"\p{Han}\p{Katakana}\p{Hiragana}ー々ヶ"
JAPANESE_CORE = regex.compile(
    rf"[{_KANA}]{{2,20}}?\d{{1,4}}丁目(?:\d{{1,4}}番地?)?(?:\d{{1,4}}号)?"
    rf"(?:[ \u3000][{_KANA}]{{1,12}}\d{{0,5}})?"
)
CHINESE_CORE = regex.compile(
    r"(?:\p{Han}{2,12}?(?:省|自治区|特别行政区))?\p{Han}{1,16}?(?:路|街|大道|巷|胡同)"
    r"(?:\d{1,5}号)?(?:[A-Za-z]座)?(?:\d{1,4}室)?(?: ?\d{6}(?!\d))?"
)
KOREAN_CORE = regex.compile(
    r"(?:\p{Hangul}{2,8}(?:특별시|광역시|특별자치시|특별자치도|도) )?(?:\p{Hangul}{1,6}(?:시|군|구) ){1,3}"
    r"[\p{Hangul}\d]{1,12}(?:로|길|거리|가) ?\d{1,4}(?:-\d{1,4})?(?: \([\p{Hangul}\d]{1,12}\))?"
)
RUSSIAN_CORE = regex.compile(
    r"(?:(?:г|п|с|д|к|пос|ст|клх|пгт|дер|село|город|ст-ца|рп)\.? \p{Lu}[\p{L}-]+, )?"
    r"(?:ул|бул|пер|наб|алл|ш|пл|пр|просп|мкр|проезд|тракт|туп)\. [\p{Lu}\d][\p{L}\d -]{1,30}?"
    r", (?:д|дом)\. ?\d{1,4}(?:/\d{1,4})?(?: (?:к|корп|стр)\. ?\d{1,4}(?:/\d{1,3})?)?"
    r"(?:,? (?:кв)\. ?\d{1,4})?(?:, \d{6}(?!\d))?"
)
INDIAN_CORE = regex.compile(
    r"(?<![\w/])(?:H\.? ?No\.? ?)?\d{1,4}(?:/\d{1,4})?,?\s{1,3}(?:\p{Lu}[\p{L}.]+ ){1,3}"
    r"(?:Chowk|Marg|Path|Nagar|Ganj|Zila|Bazar|Bazaar|Gali|Mohalla|Colony|Layout|Sector|Circle)"
    r"(?![\w])(?:,\s{0,2}\p{Lu}[\p{L}]+-\d{6}(?!\d))?"
)
DIGIT = regex.compile(r"\d")
# Kana, CJK and Hangul: where Japanese, Chinese and Korean addresses can be.
EAST_ASIAN = regex.compile("[\u3040-\ud7af]")
CORNER = regex.compile(r"(?i:(?:the )?(?:corner|intersection|junction) of )")
JOIN = regex.compile(r" (?:and|&|y|et|und|og|och) ")
# "Via Roma, 10", "Rua das Flores, 47": the house number after the street name and a comma.
# It ends the line, the clause or comes before a unit ("Via Roma, 10 Piano 2"), unlike a count
# ("Plaza Hotel, 2 nights").
HOUSE_NUMBER_AFTER = regex.compile(
    rf",[ \t]?\d{{1,5}}[A-Za-z]?(?![\w/-])(?!,\d)(?=[ \t]*(?:[,.;)]|\r?\n|$)| {_UNIT})"
)
HOUSE_NUMBER_BEFORE = regex.compile(r"(?<![\w.,-])\d{1,6}[A-Z]?,? (?:\d{1,6}[A-Z]? )?$")

# Tail parts, each tried at the current end of the span.
_SEP_SAME = r"(?:,\s{0,3}| )"
_SEP_LINE = r"(?:,?[ \t]*(?:\r?\n[ \t}>|]*){1,2}(?:,[ \t]*)?)"
_PLACE = rf"(?:{_STATE_NAMES}|{_W}(?:[ -](?:{_W}|{_CONNECT})){{0,3}}(?: \([\p{{L}} ]{{2,20}}\))?)"
_POSTCODE = (
    r"(?:\d{4} ?[A-Z]{2}(?![\w])|\d{5}(?:-\d{3,4})?|\d{2}-\d{3}|\d{3}-\d{4}|\d{4,6}|\d{3} \d{2}|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}"
    r"|[A-Z]\d[A-Z] ?\d[A-Z]\d|[A-Z]{1,2}-?\d{4,5}"
    r"|[AC-FHKNPRTV-Y]\d[\dW] ?[0-9AC-FHKNPRTV-Y]{4}|\d{8}(?= \p{Lu}))(?![\w-])"
)
POSTCODE_IN_TAIL = regex.compile(_POSTCODE)
POSTCODE_THEN_PLACE = regex.compile(rf"\.?,{{1,2}} ?{_POSTCODE} {_W}")
TAIL_UNIT = regex.compile(rf"(?:,\s{{0,3}}| |{_SEP_LINE}){_UNIT}")
TAIL_POSTCODE = regex.compile(rf"(?:,{{1,2}}\s{{0,3}}| {{1,2}}|{_SEP_LINE}){_POSTCODE}")
TAIL_PLACE_LINE = regex.compile(
    rf"{_SEP_LINE}{_PLACE}(?:,? (?:[A-Z]{{2,3}}(?![\w])))?(?=[ \t]*(?:,|\r?\n|$| {_POSTCODE}))"
)
TAIL_PLACE_COMMA = regex.compile(
    rf",\s{{0,2}}{_PLACE}(?=[ \t]*(?:,|\r?\n|$|[.?!;)]| {_POSTCODE}| [A-Z]{{2}}(?![\w])))"
)
TAIL_PLACE_SPACE = regex.compile(rf" {_PLACE}(?=[ \t]*(?:,|\r?\n|$|[.?!;)]| {_POSTCODE}))")
TAIL_STATE = regex.compile(rf"(?:,\s{{0,2}}| |{_SEP_LINE})(?:[A-Z]{{2,3}}|{_STATE_NAMES})(?![\w])")
# Words that end a sentence's address rather than name a place.
NOT_PLACE = frozenset(
    """I The A An And Or But So If Please Thanks Thank Call Phone Tel Fax Email E-mail Mobile Cell
    Office Home Work Website Web Dear Hi Hello Regards Sincerely Best Cheers Patient Name DOB MRN
    Date Re Subject From To Cc Sent Note Notes Yes No Ok OK We You He She They It This That My Our
    Your His Her Their Its Is Are Was Were Will Can Could Would Should May Might Must Do Does Did
    Has Have Had Be Been For On At In Of With By From As Let Also Then When Where What Who Why How
    Attn Attention Tel. Ph Ext St. Dr Dr. Mr Mrs Ms""".split()
)
FIRST_WORD_STOP = frozenset(
    w.lower()
    for w in """I The A An And Or But So If Please Thanks Thank We You He She They It This That My
    Our Your His Her Their Its Is Are Was Were Will Can Could Would Should May Might Must Do Does
    Did Has Have Had Be For On At In Of With By From As Let Also Then When Where What Who Why How
    Take Give Use Page Step Day Week Month Year Room Floor Level Stage Grade Type Phase Version
    Chapter Section Table Figure Item Line Row Column Box Dose Dosage Cycle Visit Week Bed Suite
    Apt Unit Tab Tabs Cap Caps Patient Patients Total Ages Age Aged Over Under About Around Only
    Just Every Each Per Top Number No Nr Vol Part Order Invoice Ref Claim Account Policy Group
    Plan Member Case Ticket Lot Batch Model Serial Code Score Zone Gate Terminal Flight Bus Train
    Platform Exit Route Class Form Rule Question Answer Test Trial Sample Slide Tube Vial Building
    Bldg Station Dept Department Ward Clinic Exam Office Window Desk Channel Level Tier Module
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday Mon Tue Tues Wed Thu Thurs Fri Sat Sun
    January February March April May June July August September October November December Jan Feb
    Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Christmas Easter Noon Midnight Today Tomorrow During
    Since Until Till Before After Circa Around Between Throughout Spring Summer Autumn Fall Winter
    Fiscal FY Class Season""".split()
)


# "Income Fund Inc. in 2023", "During 2025": a year after a preposition, not a house number.
YEAR_AFTER_PREPOSITION = regex.compile(
    r"(?i:(?<![\w])(?:in|during|since|until|till|by|before|after|from|of|circa|around|for|to|"
    r"through) (?:1[89]|20)\d\d\.?$)"
)


# Sentence words that never sit inside a street name ("They're not answering at 724").
SENTENCE_WORDS = frozenset(
    """not at is are was were to the for with on by from or my your our his her their me you it
    this that be been has have had will would can could should answering calling call and in
    over than about within after per every visits admissions""".split()
)
CONTRACTION = regex.compile(r"['’](?:re|m|ll|ve|s|d|t)$")


def _bad_place(value: str) -> bool:
    first = value.strip(" ,\n\t}>|").split(" ")[0].strip(",")
    return first in NOT_PLACE


# checks run on the few characters around a candidate street (not asked of the databases)
_STREET_WORD_AFTER = regex.compile(r"\.? (?:St\.|Str\.?|[Ss]treet|[Rr]oad|[Aa]ve)(?![\w])")
_UNIT_AFTER = regex.compile(rf"(?:,\s{{0,3}}| |{_SEP_LINE}){_UNIT}")
_CORNER_OF = regex.compile(r"(?i:corner of (?:the )?|intersection of |junction of )$")
_LIVES_ON = regex.compile(r"(?i:\b(?:lives|living|live) on |\bshows on |\benter on )$")
_STREET_AFTER = regex.compile(r" (?:St\.|[Ss]treet)(?![\w])")
_NUMBER_AND = regex.compile(r"\d[\w.]* and $")
_SECOND_STREET_WORD = regex.compile(r"\.?,? (?:St\.?|Str\.?|[Ss]treet)(?![\w])")


@dataclass(frozen=True)
class AddressRecognizer:
    """Street addresses found as one block each (core + number + unit + place tail)."""

    name: str = "street_address_block"
    entities: tuple[str, ...] = ("STREET_ADDRESS", "ZIP_CODE")

    def analyze(self, text: str, timeout: float) -> list[RawMatch]:
        """See Recognizer."""
        cores: list[tuple[int, int, float]] = []
        # Every core but the leading-type and numberless ones holds a digit: a text without one
        # skips them (RUSSIAN_CORE also needs Cyrillic, the East Asian cores their scripts).
        digits = DIGIT.search(text) is not None
        for m in finditer(MILITARY_CORE, text, timeout) if digits else ():
            cores.append((m.start(), m.end(), 0.8))
        for m in finditer(PO_BOX_CORE, text, timeout) if digits else ():
            cores.append((m.start(), m.end(), 0.7))
        for m in finditer(US_CORE, text, timeout) if digits else ():
            cores.append((m.start(), m.end(), 0.75))
        for m in finditer(AU_CORE, text, timeout) if digits else ():
            if m.group().split(" ")[1].lower() not in FIRST_WORD_STOP:
                cores.append((m.start(), m.end(), 0.7))
        for pattern in (INDIAN_CORE, RUSSIAN_CORE) if digits else ():
            if pattern is RUSSIAN_CORE and text.isascii():
                continue
            for m in finditer(pattern, text, timeout):
                cores.append((m.start(), m.end(), 0.7))
        if not text.isascii() and EAST_ASIAN.search(text) is not None:
            for m in finditer(JAPANESE_CORE, text, timeout):
                cores.append((m.start(), m.end(), 0.7))
            for m in finditer(CHINESE_CORE, text, timeout):
                # a street name alone is a place; a number, a block, a province or a postcode
                # make it an address
                value = m.group()
                if any(ch.isdigit() for ch in value) or "座" in value or "省" in value:
                    cores.append((m.start(), m.end(), 0.65))
            for m in finditer(KOREAN_CORE, text, timeout):
                cores.append((m.start(), m.end(), 0.7))
        for m in finditer(LEADING_CORE, text, timeout):
            value = m.group()
            has_num = (
                any(ch.isdigit() for ch in value)
                or HOUSE_NUMBER_BEFORE.search(text, max(0, m.start() - 8), m.start())
                or HOUSE_NUMBER_AFTER.match(text, m.end())
            )
            short_type = value.split(" ", 1)[0] in ("Na", "R.", "Place", "place", "Route", "route")
            if has_num or (not short_type and self._cued(text, m.start())):
                cores.append((m.start(), m.end(), 0.7))
        for m in finditer(EURO_CORE, text, timeout) if digits else ():
            if self._euro_ok(text, m):
                cores.append((m.start(), m.end(), 0.65))
        for m in finditer(NUMBERED_WORDS_CORE, text, timeout) if digits else ():
            if m.group().split(" ")[1].lower() not in FIRST_WORD_STOP:
                cores.append((m.start(), m.end(), 0.6))
        if "\n" in text and digits:
            for m in finditer(UNIT_FIRST_CORE, text, timeout):
                cores.append((m.start(), m.end(), 0.7))
        for m in finditer(NUMBERLESS_CORE, text, timeout):
            if self._numberless_ok(text, m):
                cores.append((m.start(), m.end(), 0.6))
        postcodes: list[tuple[int, int]] = []
        spans = self._grow(text, cores, timeout, postcodes)
        # The postcode inside a block is reported too: a reader may quote it alone.
        codes = [
            RawMatch("ZIP_CODE", s, e, 0.6, "identifier", self.name)
            for s, e in dict.fromkeys(postcodes)
        ]
        return codes + [
            RawMatch("STREET_ADDRESS", s, e, score, "identifier", self.name)
            for s, e, score in spans
        ]

    # ---- gates ----------------------------------------------------------------------------
    @staticmethod
    def _cued(text: str, start: int) -> bool:
        return ADDRESS_CUE.search(text, max(0, start - 40), start) is not None

    @staticmethod
    def _line_start(text: str, start: int) -> bool:
        lo = text.rfind("\n", 0, start) + 1
        return not text[lo:start].strip(" \t}>|")

    def _euro_ok(self, text: str, m: regex.Match[str]) -> bool:
        value = m.group()
        words = value.split(" ")
        if words[0].lower().strip(".") in FIRST_WORD_STOP or YEAR_AFTER_PREPOSITION.search(value):
            return False
        if CONTRACTION.search(words[0]) or any(w in SENTENCE_WORDS for w in words[1:-1]):
            return False
        if any(w.lower().endswith(tuple(STREET_ENDINGS)) for w in words[:-1]):
            return True
        if HOUSE_NUMBER_BEFORE.search(text, max(0, m.start() - 8), m.start()):
            # "2884 Männi 12": a number, a name and a number is an address line, unless a word
            # of the name is plainly not one (a unit, a dose, a page).
            return True
        after = text[m.end() : m.end() + 12]
        if _STREET_WORD_AFTER.match(after):
            return True
        # "Vraňanská 245, 316 77 Skalná": a postcode and a place after it make an address line.
        if POSTCODE_THEN_PLACE.match(text, m.end(), min(len(text), m.end() + 50)):
            return True
        if _UNIT_AFTER.match(after + text[m.end() + 12 :][:20]):
            return True
        if STRONG_AT_CUE.search(text, max(0, m.start() - 25), m.start()):
            return True
        return self._cued(text, m.start()) and not text[m.start() - 3 : m.start()].endswith("at ")

    def _numberless_ok(self, text: str, m: regex.Match[str]) -> bool:
        words = m.group().split(" ")
        if words[0].lower() in FIRST_WORD_STOP:
            return False
        before = text[max(0, m.start() - 30) : m.start()]
        if _CORNER_OF.search(before):
            return True
        if _LIVES_ON.search(before):
            return True
        after = text[m.end() : m.end() + 10]
        if _STREET_AFTER.match(after):
            return True
        # "<address> and Hill Road": the second street of a corner.
        return bool(_NUMBER_AND.search(before))

    # ---- growth ---------------------------------------------------------------------------
    def _grow(
        self,
        text: str,
        cores: list[tuple[int, int, float]],
        timeout: float,
        postcodes: list[tuple[int, int]],
    ) -> list[tuple[int, int, float]]:
        grown: list[tuple[int, int, float]] = []
        for s, e, score in cores:
            num = HOUSE_NUMBER_BEFORE.search(text, max(0, s - 16), s)
            if num:
                s = num.start()
            if not any(ch.isdigit() for ch in text[s:e]):
                after = HOUSE_NUMBER_AFTER.match(text, e)
                if after is not None:
                    e = after.end()
            e = self._tail(text, e, postcodes)
            corner = CORNER.search(text, max(0, s - 20), s)
            if corner and corner.end() == s:
                second = self._second_street(text, e)
                if second > e:
                    s, e = corner.start(), second
            grown.append((s, e, score))
        grown.sort(key=lambda x: (x[0], -x[1]))
        merged: list[tuple[int, int, float]] = []
        for s, e, score in grown:
            if merged and s < merged[-1][1]:
                ps, pe, pscore = merged[-1]
                merged[-1] = (ps, max(pe, e), max(pscore, score))
            else:
                merged.append((s, e, score))
        return merged

    def _second_street(self, text: str, end: int) -> int:
        st = _SECOND_STREET_WORD.match(text[end : end + 10])
        j = JOIN.match(text, end + (st.end() if st else 0))
        if j is None:
            return end
        for pattern in (US_CORE, LEADING_CORE, EURO_CORE, NUMBERLESS_CORE):
            m = pattern.match(text, j.end())
            if m is not None:
                return m.end()
        return end

    def _tail(self, text: str, end: int, postcodes: list[tuple[int, int]] | None = None) -> int:
        parts = 0
        after_unit = False
        while parts < 7:
            step = None
            for pattern in (TAIL_UNIT, TAIL_POSTCODE):
                m = pattern.match(text, end)
                if m is not None:
                    step = m
                    # "Villagatan 5, 24926 Malmö": a place follows a postcode after a space.
                    after_unit = True
                    if pattern is TAIL_POSTCODE and postcodes is not None:
                        code = POSTCODE_IN_TAIL.search(m.group())
                        if code is not None:
                            postcodes.append((m.start() + code.start(), m.start() + code.end()))
                    break
            if step is None:
                for pattern in (TAIL_PLACE_LINE, TAIL_PLACE_COMMA):
                    m = pattern.match(text, end)
                    if m is not None and not _bad_place(m.group()) and len(m.group()) <= 45:
                        step = m
                        break
            if step is None and after_unit:
                m = TAIL_PLACE_SPACE.match(text, end)
                if m is not None and not _bad_place(m.group()):
                    step = m
            if step is None:
                m = TAIL_STATE.match(text, end)
                if m is not None and parts > 0:
                    step = m
            if step is None:
                break
            end = step.end()
            parts += 1
        return end
