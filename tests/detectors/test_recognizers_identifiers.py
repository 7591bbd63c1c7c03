"""Parametrized tables for the identifier recognizers (positive and negative rows)."""

from __future__ import annotations

import pytest

from detectors.config import DetectorConfig, MrnPattern
from detectors.recognizers import build_registry

REGISTRY = build_registry(DetectorConfig())


def entities(text: str) -> set[tuple[str, str]]:
    """Return (entity, matched text) pairs from every cheap recognizer."""
    out: set[tuple[str, str]] = set()
    for rec in REGISTRY:
        for m in rec.analyze(text, 1.0):
            out.add((m.entity, text[m.start : m.end]))
    return out


@pytest.mark.parametrize(
    ("text", "entity", "value", "expected"),
    [
        # SSNs follow SSA area/group/serial rules and reject placeholders.
        ("SSN 546-17-8859 on file", "US_SSN", "546-17-8859", True),
        ("social security number: 219 45 6781", "US_SSN", "219 45 6781", True),
        ("SSN: 546178859", "US_SSN", "546178859", True),
        # bare nine digits need an SSN word
        ("ref 546178859 attached", "US_SSN", "546178859", False),
        ("SSN 000-12-3456", "US_SSN", "000-12-3456", False),  # area 000
        ("SSN 666-12-3456", "US_SSN", "666-12-3456", False),  # area 666
        ("SSN 912-12-3456", "US_SSN", "912-12-3456", False),  # area 9xx
        ("SSN 123-00-4567", "US_SSN", "123-00-4567", False),  # group 00
        ("SSN 123-45-0000", "US_SSN", "123-45-0000", False),  # serial 0000
        ("SSN 123-45-6789", "US_SSN", "123-45-6789", False),  # placeholder
        ("SSN 078-05-1120", "US_SSN", "078-05-1120", False),  # the Woolworth wallet card
        ("SSN 111-11-1111", "US_SSN", "111-11-1111", False),  # placeholder
        # Checksums and context words decide NPI, DEA, ABA, VIN, card, licence and NHS hits.
        ("Referring provider NPI 1234567893", "NPI", "1234567893", True),
        ("Referring provider NPI 1234567890", "NPI", "1234567890", False),  # bad Luhn
        ("order 1234567893 shipped", "NPI", "1234567893", False),  # no context
        ("DEA registrant: AB1234563", "DEA_NUMBER", "AB1234563", True),
        ("DEA registrant: AB1234567", "DEA_NUMBER", "AB1234567", False),  # bad check digit
        ("routing number 021000021", "ABA_ROUTING", "021000021", True),
        ("routing number 021000022", "ABA_ROUTING", "021000022", False),  # bad checksum
        ("VIN 1HGCM82633A004352 on the claim", "VIN", "1HGCM82633A004352", True),
        ("VIN 1HGCM82633A004353 on the claim", "VIN", "1HGCM82633A004353", False),
        ("card 4111 1111 1111 1111 expires", "CREDIT_CARD", "4111 1111 1111 1111", True),
        ("card 4111 1111 1111 1112 expires", "CREDIT_CARD", "4111 1111 1111 1112", False),
        ("Driver's license D1234567 expired", "US_DRIVER_LICENSE", "D1234567", True),
        ("Invoice D1234567 is past due", "US_DRIVER_LICENSE", "D1234567", False),
        # UK NHS numbers: mod-11 check digit, and the NHS context word.
        ("NHS number 943 476 5919, postcode", "NHS_NUMBER", "943 476 5919", True),
        ("NHS no: 4010232137", "NHS_NUMBER", "4010232137", True),
        ("NHS number 943 476 5918, postcode", "NHS_NUMBER", "943 476 5918", False),  # bad check
        ("NHS number 111 111 1111", "NHS_NUMBER", "111 111 1111", False),  # placeholder
        ("order 943 476 5919 shipped", "NHS_NUMBER", "943 476 5919", False),  # no context
        # Medicare MBIs follow the CMS position rules with or without dashes.
        ("MBI 1EG4-TE5-MK73 verified", "MBI", "1EG4-TE5-MK73", True),
        ("beneficiary 1EG4TE5MK73", "MBI", "1EG4TE5MK73", True),
        ("MBI 1EG4-TE5-MK7", "MBI", "1EG4-TE5-MK7", False),  # too short
        ("MBI 0EG4-TE5-MK73", "MBI", "0EG4-TE5-MK73", False),  # position 1 may not be 0
        ("MBI 1SG4-TE5-MK73", "MBI", "1SG4-TE5-MK73", False),  # S is excluded
        ("MBI 1EG4-TE5MK73", "MBI", "1EG4-TE5MK73", False),  # mixed dashes
        ("MBI 1BG4TE5MK73", "MBI", "1BG4TE5MK73", False),  # B is excluded
        # MRNs, member IDs, claims and accounts need their context words.
        ("Patient MRN: A7781234 seen today", "MRN", "A7781234", True),
        ("medical record number 00412345", "MRN", "00412345", True),
        ("Ticket INC6772104 for EHR downtime", "MRN", "INC6772104", False),
        ("Employee EMP54580 address change", "MRN", "EMP54580", False),
        ("Member ID: XKQ123456789", "MEMBER_ID", "XKQ123456789", True),
        ("Medicaid ID 88123456A", "MEMBER_ID", "88123456A", True),
        ("PO PO-2025-068359 attached", "MEMBER_ID", "PO-2025-068359", False),
        ("Claim #: 84498846645276", "CLAIM_NUMBER", "84498846645276", True),
        ("Tracking 1ZUBCKWH0374637981 delivered", "CLAIM_NUMBER", "1ZUBCKWH0374637981", False),
        ("patient account 1917479566", "PATIENT_ACCOUNT", "1917479566", True),
        ("ship-to account 08541948", "PATIENT_ACCOUNT", "08541948", False),
        ("ship-to account 08541948", "ACCOUNT_NUMBER", "08541948", True),
        # A chart number and a bare "member" before an id, as EHR exports and appeals write them.
        ("Chart 17516391\nS: Pt reports", "MRN", "17516391", True),
        ("chart review of 17516391 claims", "MRN", "17516391", False),
        ("for our patient, member Z633859754.", "MEMBER_ID", "Z633859754", True),
        ("members 2025 meeting", "MEMBER_ID", "2025", False),
        # A lot number names a batch in a recall, not a patient's device; a serial number does.
        ("recalling pen needles, lot 8635660B, expiry 2027-03", "DEVICE_ID", "8635660B", False),
        ("pump serial number SN48213AX alarmed", "DEVICE_ID", "SN48213AX", True),
    ],
)
def test_identifiers(text: str, entity: str, value: str, expected: bool) -> None:
    """Checksums, structure rules, placeholders and context words decide identifier hits."""
    assert ((entity, value) in entities(text)) is expected


def test_practice_mrn_pattern() -> None:
    """A per-practice MRN pattern from config matches without a context word."""
    config = DetectorConfig(mrn_patterns=(MrnPattern(name="clinic", regex=r"Q\d{6}"),))
    registry = build_registry(config)
    hits = [m for r in registry for m in r.analyze("see Q123456 today", 1.0) if m.entity == "MRN"]
    assert [(h.start, h.end) for h in hits] == [(4, 11)]
