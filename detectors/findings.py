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


Band = Literal["phi", "uncertain", "clean"]
BANDS: tuple[Band, ...] = ("phi", "uncertain", "clean")


@dataclass(frozen=True)
class Decision:
    """The message-level PHI decision with its score and the findings behind it.

    `band` is "phi" exactly when `phi` is true; "uncertain" mail is not PHI by the model's
    threshold but close enough that the shipped policy protects it for outsiders. `probability`
    is the learned model's calibrated P(PHI) (None when it did not run) and `contributions` the
    features that pushed it most, as (feature name, push on the log-odds).
    """

    phi: bool
    score: float
    reasons: tuple[str, ...]
    findings: tuple[Finding, ...]
    band: Band = "clean"
    probability: float | None = None
    contributions: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        # `phi` is the one truth for "phi": a copy made with replace(phi=True) is in that band.
        if self.phi and self.band != "phi":
            object.__setattr__(self, "band", "phi")
        elif not self.phi and self.band == "phi":
            object.__setattr__(self, "band", "clean")
