"""Named consent scopes: which kinds of information a patient agreed to receive unencrypted.

Entity type names are the detector's (detectors/recognizers, detectors/config.py
`DecisionThresholds`). A consent allows the union of its scopes plus explicitly included
types, minus explicitly excluded ones. Types in `NEVER_IMPLIED` (SSNs and other national ids,
card and bank numbers, driver's licences) belong to no scope: they pass only when a consent
names them in `include`. A type this module does not know is never covered (fail closed), and a
test fails when the detector can report a type that is missing here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from gateway.patients.errors import ConsentError

KNOWN_ENTITY_TYPES = frozenset(
    {
        # names and contact details
        "PATIENT_NAME", "PERSON", "PROVIDER_NAME", "EMAIL_ADDRESS", "PHONE_NUMBER",
        "FAX_NUMBER", "STREET_ADDRESS", "ZIP_CODE", "URL", "IP_ADDRESS",
        # dates and ages
        "DATE_TIME", "DATE_OF_SERVICE", "DOB", "AGE", "AGE_OVER_89",
        # health information
        "SPECIALTY", "DIAGNOSIS", "ICD10", "CPT", "MEDICATION", "PROCEDURE", "LAB_RESULT",
        "CLINICAL_NOTE", "CLINICAL_NARRATIVE", "APPOINTMENT", "PATIENT_RECORD",
        # health identifiers, and a link into a patient's record
        "MRN", "MBI", "MEMBER_ID", "MEDICAID_ID", "NHS_NUMBER", "NPI", "DEA_NUMBER", "DEVICE_ID",
        "RECORD_URL", "STUDY_SUBJECT_ID",
        # billing
        "ACCOUNT_NUMBER", "PATIENT_ACCOUNT", "CLAIM_NUMBER",
        # identity and money: never implied by a scope
        "US_SSN", "NATIONAL_ID", "CREDIT_CARD", "IBAN_CODE", "ABA_ROUTING", "US_DRIVER_LICENSE",
        "VIN",
    }
)  # fmt: skip

NEVER_IMPLIED = frozenset(
    {"US_SSN", "NATIONAL_ID", "CREDIT_CARD", "IBAN_CODE", "ABA_ROUTING", "US_DRIVER_LICENSE", "VIN"}
)


@dataclass(frozen=True)
class Scope:
    """A named set of entity types a patient can consent to receive unencrypted."""

    name: str
    description: str
    entity_types: frozenset[str]


_CONTACT = frozenset(
    {
        "PATIENT_NAME", "PERSON", "PROVIDER_NAME", "EMAIL_ADDRESS", "PHONE_NUMBER",
        "STREET_ADDRESS", "ZIP_CODE", "DATE_OF_SERVICE", "DATE_TIME", "SPECIALTY", "APPOINTMENT",
    }
)  # fmt: skip

_APPOINTMENTS = Scope(
    "appointment_reminders",
    "appointment times, the provider and specialty, the clinic's address and phone",
    _CONTACT,
)
_BILLING = Scope(
    "billing",
    "statements: account, claim and procedure codes, plus what reminders carry",
    _CONTACT | {"ACCOUNT_NUMBER", "PATIENT_ACCOUNT", "CLAIM_NUMBER", "CPT"},
)
# Lab reports carry the patient's date of birth and MRN (or NHS number), so the scope names them.
_LABS = Scope(
    "lab_results",
    "results with diagnoses, medications and procedures, identified by DOB and MRN",
    _CONTACT
    | {"LAB_RESULT", "DIAGNOSIS", "ICD10", "MEDICATION", "PROCEDURE", "CLINICAL_NOTE"}
    | {"CLINICAL_NARRATIVE", "DOB", "MRN", "NHS_NUMBER", "AGE", "AGE_OVER_89"},
)
_ALL_CLINICAL = Scope(
    "all_clinical",
    "everything clinical and billing, but never SSNs, card, bank or licence numbers",
    KNOWN_ENTITY_TYPES - NEVER_IMPLIED,
)

SCOPES: Mapping[str, Scope] = MappingProxyType(
    {s.name: s for s in (_APPOINTMENTS, _BILLING, _LABS, _ALL_CLINICAL)}
)


def check_types(types: Iterable[str], what: str) -> tuple[str, ...]:
    """Upper-cased entity types, each known; an unknown one raises ConsentError."""
    out = tuple(sorted({t.strip().upper() for t in types if t.strip()}))
    unknown = [t for t in out if t not in KNOWN_ENTITY_TYPES]
    if unknown:
        raise ConsentError(f"unknown entity type(s) in {what}: {unknown}")
    return out


def allowed_types(
    scopes: Iterable[str], include: Iterable[str] = (), exclude: Iterable[str] = ()
) -> frozenset[str]:
    """The entity types a consent with these scopes, inclusions and exclusions allows."""
    names = list(scopes)
    if not names:
        raise ConsentError("a consent needs at least one scope")
    unknown = [n for n in names if n not in SCOPES]
    if unknown:
        raise ConsentError(f"unknown scope(s) {unknown}; known: {sorted(SCOPES)}")
    inc = set(check_types(include, "include"))
    exc = set(check_types(exclude, "exclude"))
    both = sorted(inc & exc)
    if both:
        raise ConsentError(f"entity type(s) both included and excluded: {both}")
    allowed: set[str] = set().union(*(SCOPES[n].entity_types for n in names))
    return frozenset((allowed | inc) - exc)


def outside(allowed: frozenset[str], entity_types: Iterable[str]) -> list[str]:
    """The entity types found that a consent allowing `allowed` does not cover, sorted."""
    return sorted({t for t in entity_types if t not in allowed})
