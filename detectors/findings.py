"""Result objects of the PHI detectors: findings and message decisions (previews: masking.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Category = Literal["identifier", "health", "context"]

# The HIPAA Safe Harbor identifier types that span evaluation counts, in the order the labelled
# span set (spans-dev/README.md) lists them.
PHI_TYPES: tuple[str, ...] = (
    "PERSON",
    "STREET_ADDRESS",
    "ZIP_CODE",
    "PHONE_NUMBER",
    "EMAIL_ADDRESS",
    "US_SSN",
    "CREDIT_CARD",
    "IBAN_CODE",
    "IP_ADDRESS",
    "DATE_TIME",
    "US_DRIVER_LICENSE",
)
# Our entity names (and stock Presidio's) folded onto those types, as `phigate scan` reports them.
TYPE_MAP: dict[str, str] = {
    "PATIENT_NAME": "PERSON",
    "PROVIDER_NAME": "PERSON",
    "PERSON": "PERSON",
    "STREET_ADDRESS": "STREET_ADDRESS",
    "LOCATION": "STREET_ADDRESS",
    "ZIP_CODE": "ZIP_CODE",
    "PHONE_NUMBER": "PHONE_NUMBER",
    "FAX_NUMBER": "PHONE_NUMBER",
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "US_SSN": "US_SSN",
    "CREDIT_CARD": "CREDIT_CARD",
    "IBAN_CODE": "IBAN_CODE",
    "IP_ADDRESS": "IP_ADDRESS",
    "DOB": "DATE_TIME",
    "DATE_OF_SERVICE": "DATE_TIME",
    "DATE_TIME": "DATE_TIME",
    "US_DRIVER_LICENSE": "US_DRIVER_LICENSE",
}


@dataclass(frozen=True)
class Finding:
    """One detected entity in one extracted text part (never carries the matched text)."""

    entity: str
    part: str
    start: int
    end: int
    score: float
    recognizer: str
    preview: str
    category: str  # "identifier" | "health" | "context"
    # "patient" when a cue ties a contact detail (phone, e-mail, address) to the patient.
    role: str = ""

    def describe(self) -> str:
        """Return a log-safe one-line description (type, part, masked preview)."""
        return f"{self.entity}@{self.part}[{self.preview}]"


@dataclass(frozen=True)
class Decision:
    """The message-level PHI decision with its score and the findings behind it."""

    phi: bool
    score: float
    reasons: tuple[str, ...]
    findings: tuple[Finding, ...]
