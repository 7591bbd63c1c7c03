"""Labelled sentences for span evaluation, in many locales, split into tune and held-out halves.

The templates below were written from how practices and patients write mail, not from the
recognizers' patterns, and are filled with Faker's people of 25 locales (names in their own
scripts, each country's phone, postcode and address formats) plus driver's licences and
national ids in their published formats. A template belongs to the held-out half when the first
eight hex digits of the SHA-256 of its text are odd: the rule is fixed, so nobody can move a
template between halves, and only the tune half's misses may be looked at while tuning
(``python -m bench.span_eval --generated --split tune --misses``).

    python -m bench.spans.generate OUT.jsonl [--seed N] [--per-pair K]

Each line: ``{"id", "text", "spans": [{"entity_type", "start", "end"}], "template_id",
"split", "locale"}`` (offsets into ``text``, end exclusive), as in the shared spans-dev set.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import string
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from faker import Faker

# Placeholder -> gold label. GPE and ORGANIZATION are neutral (not PHI, not false positives).
LABELS: dict[str, str] = {
    "name": "PERSON",
    "first": "PERSON",
    "last": "PERSON",
    "name2": "PERSON",
    "name_lf": "PERSON",
    "name_rev": "PERSON",
    "phone": "PHONE_NUMBER",
    "mobile": "PHONE_NUMBER",
    "postcode": "ZIP_CODE",
    "street": "STREET_ADDRESS",
    "address": "STREET_ADDRESS",
    "address_block": "STREET_ADDRESS",
    "city": "GPE",
    "country": "GPE",
    "dob": "DATE_TIME",
    "date": "DATE_TIME",
    "email": "EMAIL_ADDRESS",
    "dl": "DRIVER_LICENSE",
    "nid": "NATIONAL_ID",
    "org": "ORGANIZATION",
}

# (locales or None for all, template). {nid_cue} and {dl_cue} are locale words, not gold spans.
TEMPLATES: tuple[tuple[tuple[str, ...] | None, str], ...] = (
    (None, "Patient: {name}, DOB {dob}, phone {phone}"),
    (None, "Please call {name} back on {phone} about the results."),
    (None, "{name} (born {dob}) has moved to {address}."),
    (None, "New address for {name}: {address_block}"),
    (None, "Can you confirm the postcode {postcode} for {first}'s referral?"),
    (None, "Mrs {last} rang from {phone} to rebook her scan."),
    (None, "Referral for {name}, date of birth {dob}, lives at {street}, {city}."),
    (None, "Her mobile is {mobile} and her e-mail {email}."),
    (None, "Send the letter to {address} and copy {email}."),
    (None, "Mr {name} was seen on {date} for his knee."),
    (None, "Contact details: {phone} / {email}"),
    (None, "{name_lf} - DOB {dob} - tel. {phone}"),
    (None, "The patient's daughter {name2} can be reached at {mobile}."),
    (None, "Postal code: {postcode}"),
    (None, "Address on file: {street}, {postcode} {city}"),
    (None, "Appointment confirmed for {date}. If you cannot attend call {phone}."),
    (None, "Driving licence: {dl} (checked at reception)"),
    (None, "{dl_cue} {dl}"),
    (None, "ID checked: {nid_cue} {nid}"),
    (None, "{name}, {nid_cue} {nid}, referred by {org}."),
    (None, "Dear {name},\nyour prescription is ready for collection at {org}."),
    (None, "Hi, this is {name}, my number is {phone}, please call me."),
    (None, "Ship the monitor to {name}, {address}"),
    (None, "Emergency contact: {name2}, {phone}"),
    (None, "Born {dob} in {city}; currently living at {street}."),
    (None, "{name} missed the appointment on {date}."),
    (None, "Re: {name_rev} - blood results"),
    (None, "Please update the chart: new phone {phone}, new postcode {postcode}."),
    (None, "I, {name}, consent to my records being sent to {email}."),
    (None, "Kind regards,\n{name}\n{phone}"),
    (None, "Home visit at {address_block}\nTel: {phone}"),
    (None, "Scan booked for {name} ({dob})."),
    (None, "Insurance card holder {name}, date of birth {dob}, {nid_cue} {nid}."),
    (None, "His wife {name2} will drive him; her licence number is {dl}."),
    (None, "Can {first} come in on {date}? Reply to {email}."),
    (None, "Invoice to {name}, {street}, {postcode} {city}, {country}"),
    (None, "Fax the form to {phone} attn. {name}."),
    (None, "We could not reach {name} at {phone} or {mobile}."),
    (None, "Mother: {name2}, mobile {mobile}; father: {name}, phone {phone}"),
    (None, "Patient name {name}\nDOB {dob}\nAddress {address}\nPhone {phone}"),
    (None, "{name} called to say she has moved to {city} ({postcode})."),
    (None, "Discharge summary for {name}, admitted {date}."),
    (None, "Please send {first}'s records to {address}."),
    (None, "Photo ID: {dl_cue} {dl}, exp. {date}"),
    (None, "My name is {name} and I was born on {dob}."),
    (None, "{org} ref. {name} ({nid_cue} {nid})"),
    (None, "Could you ring {first} on {mobile} after 5pm?"),
    (None, "Pharmacy delivery: {name}, {address}, {phone}"),
    (None, "From: {name} <{email}>"),
    (None, "Next of kin {name2} ({phone}) was informed on {date}."),
    (None, "Wheelchair for {name}, {street}, {postcode}."),
    (None, "{name}'s GP is at {org}, {street}, {city}."),
    (None, "Update: DOB should read {dob}, not {date}."),
    (None, "Reschedule {name}: new slot {date}, text her at {mobile}."),
    (None, "Client {name}, {country}, {phone}, {email}"),
    # Local-language lines, for the locales whose language they are.
    (("de_DE", "de_CH"), "Patientin {name}, geb. {dob}, Tel. {phone}"),
    (("de_DE", "de_CH"), "Bitte rufen Sie Herrn {last} unter {mobile} zurück."),
    (("de_DE", "de_CH"), "Neue Anschrift: {street}, {postcode} {city}"),
    (("de_DE", "de_CH"), "Führerschein-Nr. {dl}, ausgestellt für {name}"),
    (("fr_FR",), "Mme {name}, née le {dob}, joignable au {phone}."),
    (("fr_FR",), "Adresse du patient : {street}, {postcode} {city}"),
    (("fr_FR",), "Numéro de sécurité sociale {nid} pour {name}."),
    (("fr_FR",), "permis de conduire n° {dl}"),
    (("es_ES",), "El paciente {name}, nacido el {dob}, teléfono {phone}."),
    (("es_ES",), "Dirección: {street}, {postcode} {city}"),
    (("es_ES",), "Permiso de conducir {dl} a nombre de {name}."),
    (("it_IT",), "Il paziente {name}, nato il {dob}, cellulare {mobile}."),
    (("it_IT",), "Codice fiscale {nid}, residente in {street}, {postcode} {city}"),
    (("it_IT",), "patente n. {dl}"),
    (("nl_NL",), "Patiënt {name}, geboren {dob}, telefoon {phone}"),
    (("nl_NL",), "Adres: {street}, {postcode} {city}"),
    (("nl_NL",), "BSN {nid} van mevrouw {name}"),
    (("pt_BR",), "Paciente {name}, nascida em {dob}, CPF {nid}, celular {mobile}."),
    (("pt_BR",), "Endereço: {street}, CEP {postcode}, {city}"),
    (("pl_PL",), "Pacjent {name}, PESEL {nid}, tel. {phone}"),
    (("pl_PL",), "Adres: {street}, {postcode} {city}"),
    (("pl_PL",), "prawo jazdy nr {dl}"),
    (("sv_SE",), "Patient {name}, personnummer {nid}, telefon {phone}"),
    (("fi_FI",), "Potilas {name}, henkilötunnus {nid}, puhelin {phone}"),
    (("ru_RU",), "Пациент {name}, дата рождения {dob}, телефон {phone}"),
    (("ru_RU",), "Адрес: {address}"),
    (("el_GR",), "Ασθενής {name}, τηλέφωνο {phone}"),
    (("ja_JP",), "患者 {name} 様、生年月日 {dob}、電話 {phone}"),
    (("ja_JP",), "住所: 〒{postcode} {address}"),
    (("zh_CN",), "患者 {name}，电话 {phone}，身份证号 {nid}"),
    (("zh_CN",), "地址：{address}"),
    (("ko_KR",), "환자 {name}, 전화 {phone}, 주민등록번호 {nid}"),
    (("tr_TR",), "Hasta {name}, TC Kimlik No {nid}, telefon {phone}"),
    (("cs_CZ",), "Pacient {name}, nar. {dob}, tel. {phone}"),
    (("hu_HU",), "Beteg: {name}, szül. {dob}, telefon: {phone}"),
    (("en_IN",), "Patient {name}, Aadhaar {nid}, mobile {mobile}, PIN {postcode}"),
    (("en_CA",), "{name}, SIN {nid}, {address}"),
    (("en_GB", "en_IE"), "{name}, NHS number {nid}, {street}, {city} {postcode}"),
    (("en_US",), "{name}, SSN {nid}, {address}"),
)

LOCALES: tuple[str, ...] = (
    "en_US en_GB en_IE en_CA en_AU en_IN de_DE de_CH fr_FR nl_NL it_IT es_ES pt_BR pl_PL sv_SE "
    "da_DK fi_FI cs_CZ hu_HU tr_TR ru_RU el_GR ja_JP zh_CN ko_KR"
).split()

COUNTRY: dict[str, str] = {
    "en_US": "USA", "en_GB": "United Kingdom", "en_IE": "Ireland", "en_CA": "Canada",
    "en_AU": "Australia", "en_IN": "India", "de_DE": "Germany", "de_CH": "Switzerland",
    "fr_FR": "France", "nl_NL": "Netherlands", "it_IT": "Italy", "es_ES": "Spain",
    "pt_BR": "Brazil", "pl_PL": "Poland", "sv_SE": "Sweden", "da_DK": "Denmark",
    "fi_FI": "Finland", "cs_CZ": "Czech Republic", "hu_HU": "Hungary", "tr_TR": "Turkey",
    "ru_RU": "Russia", "el_GR": "Greece", "ja_JP": "Japan", "zh_CN": "China", "ko_KR": "Korea",
}  # fmt: skip

DATE_FORMATS: dict[str, tuple[str, ...]] = {
    "en_US": ("%m/%d/%Y", "%B %d, %Y", "%Y-%m-%d"),
    "en_GB": ("%d/%m/%Y", "%d %B %Y", "%Y-%m-%d"),
    "de_DE": ("%d.%m.%Y", "%Y-%m-%d"),
    "fr_FR": ("%d/%m/%Y", "%Y-%m-%d"),
    "nl_NL": ("%d-%m-%Y", "%d/%m/%Y"),
    "iso": ("%Y-%m-%d",),
}
_DATE_STYLE = {
    "en_IE": "en_GB", "en_AU": "en_GB", "en_IN": "en_GB", "en_CA": "iso", "de_CH": "de_DE",
    "pl_PL": "de_DE", "ru_RU": "de_DE", "cs_CZ": "de_DE", "fi_FI": "de_DE", "tr_TR": "de_DE",
    "da_DK": "de_DE", "it_IT": "fr_FR", "es_ES": "fr_FR", "pt_BR": "fr_FR", "el_GR": "fr_FR",
    "sv_SE": "iso", "hu_HU": "iso", "ja_JP": "iso", "zh_CN": "iso", "ko_KR": "iso",
}  # fmt: skip

# Words a writer puts before a national id, per locale (not part of the gold span).
NID_CUES: dict[str, tuple[str, ...]] = {
    "en_US": ("SSN", "Social Security No."),
    "en_CA": ("SIN", "Social Insurance Number"),
    "nl_NL": ("BSN", "burgerservicenummer"),
    "pl_PL": ("PESEL",),
    "pt_BR": ("CPF",),
    "en_IN": ("Aadhaar", "Aadhaar no."),
    "fr_FR": ("NIR", "n° de sécurité sociale"),
    "it_IT": ("codice fiscale", "CF"),
    "sv_SE": ("personnummer",),
    "fi_FI": ("henkilötunnus", "HETU"),
    "es_ES": ("DNI", "NIF"),
    "de_CH": ("AHV-Nr.", "AHV number"),
    "ko_KR": ("주민등록번호", "RRN"),
    "zh_CN": ("身份证号", "ID card no."),
    "tr_TR": ("TC Kimlik No", "T.C. kimlik"),
    "en_GB": ("NHS number", "NHS no."),
    "en_IE": ("NHS number",),
}
DL_CUES: dict[str, tuple[str, ...]] = {
    "en_US": ("Driver's license #", "DL"),
    "en_GB": ("Driving licence no.", "DVLA licence number"),
    "en_IE": ("Driving licence no.",),
    "en_CA": ("Driver's licence", "Ontario DL"),
    "en_AU": ("Driver licence no.", "Licence No"),
    "en_IN": ("Driving Licence No.", "DL No."),
    "de_DE": ("Führerscheinnummer", "Führerschein-Nr."),
    "de_CH": ("Führerschein-Nr.",),
    "fr_FR": ("permis de conduire", "n° de permis"),
    "nl_NL": ("rijbewijsnummer",),
    "it_IT": ("patente", "n. patente"),
    "es_ES": ("permiso de conducir",),
    "pl_PL": ("prawo jazdy nr",),
}


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def _letters(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.ascii_uppercase) for _ in range(n))


def _dvla(rng: random.Random, last: str, first: str, born: date) -> str:
    """A UK DVLA licence number (surname, decade, month (+50 female), day, year, initials)."""
    surname = re.sub(r"[^A-Z]", "", last.upper())[:5].ljust(5, "9")
    month = born.month + (50 if rng.random() < 0.5 else 0)
    initials = re.sub(r"[^A-Z]", "", first.upper())[:1].ljust(2, "9")
    return (
        f"{surname}{str(born.year)[2]}{month:02d}{born.day:02d}{str(born.year)[3]}"
        f"{initials}9{_letters(rng, 2)}"
    )


def _nhs(rng: random.Random) -> str:
    while True:
        d = [rng.randrange(10) for _ in range(9)]
        check = 11 - sum(x * w for x, w in zip(d, range(10, 1, -1), strict=True)) % 11
        check = 0 if check == 11 else check
        if check != 10:
            s = "".join(map(str, d)) + str(check)
            return f"{s[:3]} {s[3:6]} {s[6:]}" if rng.random() < 0.6 else s


def driver_licence(locale: str, rng: random.Random, person: dict[str, Any]) -> str | None:
    """A driver's licence number in the locale's published format (None when not modelled)."""
    last, first, born = person["last"], person["first"], person["born"]
    if locale in ("en_GB", "en_IE"):
        return _dvla(rng, last, first, born)
    if locale == "en_CA":
        initial = (re.sub(r"[^A-Z]", "", last.upper()) or "X")[0]
        return f"{initial}{_digits(rng, 4)}-{_digits(rng, 5)}-{_digits(rng, 5)}"
    if locale == "en_US":
        return rng.choice(
            (
                f"{_letters(rng, 1)}{_digits(rng, 7)}",
                f"{_digits(rng, 3)} {_digits(rng, 3)} {_digits(rng, 3)}",
                f"{_letters(rng, 1)}{_digits(rng, 3)}-{_digits(rng, 3)}-{_digits(rng, 2)}-"
                f"{_digits(rng, 3)}-0",
                _digits(rng, 8),
            )
        )
    if locale == "en_AU":
        return _digits(rng, rng.choice((8, 9)))
    if locale == "en_IN":
        state = rng.choice(("MH", "KA", "DL", "TN", "UP", "GJ"))
        rto, year = _digits(rng, 2), rng.randint(1995, 2022)
        return rng.choice(
            (f"{state}{rto} {year}{_digits(rng, 7)}", f"{state}-{rto}-{year}-{_digits(rng, 7)}")
        )
    if locale in ("de_DE", "de_CH"):
        alnum = string.ascii_uppercase + string.digits
        return (
            rng.choice(string.ascii_uppercase)
            + _digits(rng, 2)
            + "".join(rng.choice(alnum) for _ in range(6))
            + _digits(rng, 2)
        )
    if locale == "fr_FR":
        return _digits(rng, 12)
    if locale == "nl_NL":
        return _digits(rng, 10)
    if locale == "es_ES":
        num = rng.randrange(10**7, 10**8)
        return f"{num}{'TRWAGMYFPDXBNJZSQVHLCKE'[num % 23]}"
    if locale == "it_IT":
        return f"{_letters(rng, 2)}{_digits(rng, 7)}{_letters(rng, 1)}"
    if locale == "pl_PL":
        return f"{_digits(rng, 5)}/{_digits(rng, 2)}/{_digits(rng, 4)}"
    return None


def national_id(locale: str, fake: Faker, rng: random.Random) -> str | None:
    """The locale's national or health id from Faker (or the NHS number's published rule)."""
    if locale in ("en_GB", "en_IE"):
        return _nhs(rng)
    if locale == "pl_PL":
        return str(fake.pesel())
    if locale == "pt_BR":
        return str(fake.cpf())
    if locale == "en_IN":
        aadhaar = str(fake.aadhaar_id())
        return f"{aadhaar[:4]} {aadhaar[4:8]} {aadhaar[8:]}" if rng.random() < 0.5 else aadhaar
    if locale == "es_ES":
        return str(fake.nif())
    if locale in NID_CUES:
        return str(fake.ssn())
    return None


@dataclass(frozen=True)
class Template:
    """One sentence pattern, its id (its index in TEMPLATES) and its half."""

    index: int
    locales: tuple[str, ...] | None
    text: str

    @property
    def split(self) -> str:
        """'heldout' when the first 8 hex digits of the SHA-256 of the text are odd, else 'tune'."""
        digest = hashlib.sha256(self.text.encode("utf-8")).hexdigest()
        return "heldout" if int(digest[:8], 16) % 2 else "tune"


def templates() -> list[Template]:
    """Every template with its index and half."""
    return [Template(i, locs, text) for i, (locs, text) in enumerate(TEMPLATES)]


_SLOT = re.compile(r"\{(\w+)\}")


def _person(fake: Faker, rng: random.Random) -> dict[str, Any]:
    first, last = fake.first_name(), fake.last_name()
    born = fake.date_of_birth(minimum_age=1, maximum_age=95)
    return {"first": first, "last": last, "born": born}


def _fill(locale: str, fake: Faker, rng: random.Random) -> dict[str, Callable[[], str | None]]:
    person = _person(fake, rng)
    formats = DATE_FORMATS[
        _DATE_STYLE.get(locale, locale) if locale not in DATE_FORMATS else locale
    ]
    cjk = locale in ("ja_JP", "zh_CN", "ko_KR")

    def full(p: dict[str, Any]) -> str:
        if cjk:
            return f"{p['last']}{' ' if locale == 'ja_JP' else ''}{p['first']}"
        return f"{p['first']} {p['last']}"

    second = _person(fake, rng)
    return {
        "name": lambda: full(person),
        "first": lambda: person["first"],
        "last": lambda: person["last"],
        "name2": lambda: full(second),
        "name_lf": lambda: f"{person['last']}, {person['first']}",
        "name_rev": lambda: f"{person['last']} {person['first']}",
        "phone": lambda: str(fake.phone_number()),
        "mobile": lambda: str(fake.phone_number()),
        "postcode": lambda: str(fake.postcode()),
        "street": lambda: str(fake.street_address()),
        "address": lambda: ", ".join(str(fake.address()).splitlines()),
        "address_block": lambda: str(fake.address()),
        "city": lambda: str(fake.city()),
        "country": lambda: COUNTRY[locale],
        "dob": lambda: person["born"].strftime(rng.choice(formats)),
        "date": lambda: fake.date_between(start_date="-2y", end_date="+90d").strftime(
            rng.choice(formats)
        ),
        "email": lambda: str(fake.email()),
        "dl": lambda: driver_licence(locale, rng, person),
        "nid": lambda: national_id(locale, fake, rng),
        "org": lambda: str(fake.company()),
        "nid_cue": lambda: rng.choice(NID_CUES[locale]) if locale in NID_CUES else None,
        "dl_cue": lambda: rng.choice(DL_CUES[locale]) if locale in DL_CUES else None,
    }


def render(
    template: Template, locale: str, fake: Faker, rng: random.Random
) -> dict[str, Any] | None:
    """One labelled sentence from a template, or None when the locale lacks one of its slots."""
    fill = _fill(locale, fake, rng)
    out: list[str] = []
    spans: list[dict[str, Any]] = []
    pos = 0
    length = 0
    for m in _SLOT.finditer(template.text):
        literal = template.text[pos : m.start()]
        out.append(literal)
        length += len(literal)
        value = fill[m.group(1)]()
        if value is None:
            return None
        value = value.strip()
        label = LABELS.get(m.group(1))
        if label is not None:
            spans.append({"entity_type": label, "start": length, "end": length + len(value)})
        out.append(value)
        length += len(value)
        pos = m.end()
    out.append(template.text[pos:])
    return {"text": "".join(out), "spans": spans}


def generate(seed: int = 20261204, per_pair: int = 1) -> Iterator[dict[str, Any]]:
    """Every (template, locale) pair ``per_pair`` times, deterministic for one seed."""
    rng = random.Random(seed)
    n = 0
    for locale in LOCALES:
        fake = Faker(locale)
        fake.seed_instance(rng.randrange(2**31))
        for template in templates():
            if template.locales is not None and locale not in template.locales:
                continue
            for _ in range(per_pair):
                row = render(template, locale, fake, rng)
                if row is None:
                    continue
                yield {
                    "id": n,
                    **row,
                    "template_id": template.index,
                    "split": template.split,
                    "locale": locale,
                }
                n += 1


def main(argv: list[str]) -> int:
    """Write the labelled sentences to a JSONL file and print the size of each half."""
    parser = argparse.ArgumentParser(prog="python -m bench.spans.generate", description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--per-pair", type=int, default=1)
    args = parser.parse_args(argv)
    counts: dict[str, int] = {}
    with args.out.open("w", encoding="utf-8") as fh:
        for row in generate(args.seed, args.per_pair):
            counts[row["split"]] = counts.get(row["split"], 0) + 1
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
