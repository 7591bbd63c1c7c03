"""Result objects of the PHI detectors: findings and message decisions (previews: masking.py)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

_T = TypeVar("_T")

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


# Every entity type the detectors report (the recognizers' own, the NER's and the roster's):
# what a policy's `entities:` may name. Written out, so that checking a policy does not load
# the recognizers and spaCy; tests/detectors/test_entity_types.py keeps it equal to theirs.
ENTITY_TYPES: frozenset[str] = frozenset(
    {
        "ABA_ROUTING",
        "ACCOUNT_NUMBER",
        "AGE",
        "AGE_OVER_89",
        "APPOINTMENT",
        "CLAIM_NUMBER",
        "CLINICAL_NARRATIVE",
        "CLINICAL_NOTE",
        "CPT",
        "CREDIT_CARD",
        "DATE_OF_SERVICE",
        "DATE_TIME",
        "DEA_NUMBER",
        "DEVICE_ID",
        "DIAGNOSIS",
        "DOB",
        "EMAIL_ADDRESS",
        "FAX_NUMBER",
        "IBAN_CODE",
        "ICD10",
        "IP_ADDRESS",
        "LAB_RESULT",
        "LOCATION",
        "MBI",
        "MEDICAID_ID",
        "MEDICATION",
        "MEMBER_ID",
        "MRN",
        "NATIONAL_ID",
        "NHS_NUMBER",
        "NPI",
        "NRP",
        "PATIENT_ACCOUNT",
        "PATIENT_NAME",
        "PATIENT_RECORD",
        "PERSON",
        "PHONE_NUMBER",
        "PROCEDURE",
        "PROVIDER_NAME",
        "RECORD_URL",
        "SPECIALTY",
        "STREET_ADDRESS",
        "STUDY_SUBJECT_ID",
        "URL",
        "US_DRIVER_LICENSE",
        "US_SSN",
        "VIN",
        "ZIP_CODE",
    }
)


def one_step_init(cls: type[_T]) -> type[_T]:
    """Give a frozen dataclass an ``__init__`` that sets its instance dict in one step.

    A frozen dataclass's own ``__init__`` sets each field through ``object.__setattr__``, a call
    a field: seven fields cost about 2 us, twice the one-step form, and a scan makes some sixty
    raw matches and findings a message. The signature (names, order, defaults), equality,
    hashing, ``repr``, ``dataclasses.replace`` and the refusal to assign are the dataclass's own.
    Only plain fields with plain defaults are taken: a field with a factory, one left out of
    ``__init__`` or a ``__post_init__`` is refused when the class is defined.
    """
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if hasattr(cls, "__post_init__") or getattr(cls, "__slots__", None):
        raise TypeError(f"{cls.__name__}: one_step_init takes no __post_init__ or slots")
    defaults: dict[str, Any] = {}
    params: list[str] = []
    for f in fields:
        if not f.init or f.default_factory is not dataclasses.MISSING:
            raise TypeError(f"{cls.__name__}.{f.name}: one_step_init takes plain fields only")
        if f.default is dataclasses.MISSING:
            params.append(f.name)
        else:
            defaults[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
    body = ", ".join(f"{f.name!r}: {f.name}" for f in fields)
    source = f"def __init__(self, {', '.join(params)}):\n    _set(self, '__dict__', {{{body}}})\n"
    namespace: dict[str, Any] = {"_set": object.__setattr__, **defaults}
    exec(source, namespace)  # noqa: S102 - source built above from the class's own field names
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__init__ = init  # type: ignore[method-assign]
    return cls


@one_step_init
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
