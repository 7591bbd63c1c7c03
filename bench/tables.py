"""Long tables of patient data as practices send them: the inputs of bench/long_tables.py.

Each generator takes a number of rows (or messages, or entries) and a seed, and returns the
text an attachment's extraction hands the engine. Names, numbers and dates are made up.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable

FIRSTS = ["Ann", "Maria", "John", "Wei", "Fatima", "Olu", "Pierre", "Sven", "Aiko", "Carlos"]
LASTS = ["Lee", "Garcia", "Smith", "Chen", "Khan", "Adeyemi", "Dubois", "Berg", "Tanaka", "Ruiz"]
DIAGNOSES = ["Type 2 diabetes", "Hypertension", "Asthma", "COPD", "Hypothyroidism"]


def csv_export(rows: int, seed: int = 3) -> str:
    """A patient list as a CSV export: MRN, name, date of birth, phone, diagnosis."""
    rng = random.Random(seed)
    lines = ["MRN,Patient Name,DOB,Phone,Diagnosis"]
    for _ in range(rows):
        lines.append(
            f"{rng.randint(1000000, 9999999)},{rng.choice(FIRSTS)} {rng.choice(LASTS)},"
            f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/{rng.randint(1930, 2015)},"
            f"(555) {rng.randint(200, 999)}-{rng.randint(1000, 9999)},{rng.choice(DIAGNOSES)}"
        )
    return "\n".join(lines)


def hl7_batch(messages: int, seed: int = 4) -> str:
    """A batch of HL7 v2 admissions: MSH, PID (MRN, name, birth date, address, phone), DG1."""
    rng = random.Random(seed)
    segments = []
    for i in range(messages):
        segments += [
            f"MSH|^~\\&|EPIC|CLINIC|LAB|HOSP|20250101120000||ADT^A01|{i}|P|2.5",
            f"PID|1||{rng.randint(100000, 999999)}^^^MRN||{rng.choice(LASTS).upper()}^"
            f"{rng.choice(FIRSTS).upper()}||19{rng.randint(30, 99)}0{rng.randint(1, 9)}15|F|||"
            f"1 Main St^^Springfield^IL^62701||(555)201-{rng.randint(1000, 9999)}",
            "DG1|1||E11.9^Type 2 diabetes mellitus^I10",
        ]
    return "\r\n".join(segments)


def tsv_list(rows: int, seed: int = 5) -> str:
    """A tab-separated recall list: patient, date of birth, MRN, a note."""
    rng = random.Random(seed)
    lines = ["Patient\tDOB\tMRN\tNotes"]
    for _ in range(rows):
        lines.append(
            f"{rng.choice(FIRSTS)} {rng.choice(LASTS)}\t{rng.randint(1, 12):02d}/"
            f"{rng.randint(10, 28)}/19{rng.randint(30, 99)}\t{rng.randint(1000000, 9999999)}\t"
            "follow-up for asthma"
        )
    return "\n".join(lines)


def fhir_bundle(entries: int, seed: int = 6) -> str:
    """A FHIR R4 bundle of Patient resources, as JSON."""
    rng = random.Random(seed)
    patients = [
        {
            "resource": {
                "resourceType": "Patient",
                "id": str(i),
                "name": [{"family": rng.choice(LASTS), "given": [rng.choice(FIRSTS)]}],
                "birthDate": f"19{rng.randint(30, 99)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                "telecom": [{"system": "phone", "value": f"555-201-{rng.randint(1000, 9999)}"}],
            }
        }
        for i in range(entries)
    ]
    return json.dumps({"resourceType": "Bundle", "entry": patients}, indent=1)


def reply_thread(replies: int, seed: int = 7) -> str:
    """A long reply thread about one patient's results, quoted over and over."""
    rng = random.Random(seed)
    return "\n\n".join(
        f"On Mon, Dr. Lee wrote:\n> Hi {rng.choice(FIRSTS)} {rng.choice(LASTS)}, your A1c was "
        f"7.{rng.randint(0, 9)}%. Please call (555) 201-{rng.randint(1000, 9999)}.\n"
        f"> DOB {rng.randint(1, 9):02d}/1{rng.randint(0, 9)}/1960"
        for _ in range(replies)
    )


SHAPES: dict[str, Callable[[int], str]] = {
    "csv-export": csv_export,
    "hl7-batch": hl7_batch,
    "tsv-list": tsv_list,
    "fhir-bundle": fhir_bundle,
    "reply-thread": reply_thread,
}
