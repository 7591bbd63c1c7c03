"""Frozen configuration of the PHI detectors: limits, decision thresholds and per-practice patterns."""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Self, cast

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from detectors.model.logistic import ModelError, load_model


class Cloneable:
    """The one `clone(**changes)` of phigate's immutable settings (like `email.policy`).

    Mixed into frozen pydantic models (`Frozen`) and frozen dataclasses alike.
    """

    def clone(self, **changes: Any) -> Self:
        """Return a validated copy with `changes` applied; an unknown name raises TypeError."""
        if isinstance(self, BaseModel):
            known = set(type(self).model_fields)
        else:
            known = {f.name for f in dataclasses.fields(cast(Any, self))}
        unknown = set(changes) - known
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        if isinstance(self, BaseModel):
            return type(self).model_validate({**self.model_dump(), **changes})
        return cast(Self, dataclasses.replace(cast(Any, self), **changes))


class Frozen(Cloneable, BaseModel):
    """An immutable settings model: unknown keys are errors; change it with `clone()`."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class MrnPattern(Frozen):
    """A practice-specific medical-record-number shape, matched without a context word."""

    name: str = Field(min_length=1, max_length=64)
    regex: str = Field(min_length=1, max_length=200)
    score: float = Field(default=0.8, ge=0.0, le=1.0)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"MRN pattern does not compile: {exc}") from exc
        return value


class DecisionThresholds(Frozen):
    """Scores and weights that turn findings into a message-level PHI decision."""

    phi_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    min_finding_score: float = Field(default=0.4, ge=0.0, le=1.0)
    # A name of unknown role below this (a lone given name, a piece of a firm's name) never
    # carries a decision on its own, however strong the health information beside it.
    min_unknown_name_score: float = Field(default=0.6, ge=0.0, le=1.0)
    # Independent patient identifiers (a name and an account number) and independent kinds of
    # health information (a diagnosis and a procedure) corroborate each other: their evidence is
    # combined by noisy-OR, one best finding per entity type, and capped here.
    corroboration_cap: float = Field(default=0.95, ge=0.0, le=1.0)
    # A national health-service number (UK NHS, Scottish CHI) is a patient's record key, as an
    # MRN is.
    strong_identifiers: tuple[str, ...] = ("MRN", "MBI", "MEMBER_ID", "MEDICAID_ID", "NHS_NUMBER")
    linked_identifiers: tuple[str, ...] = (
        "US_SSN",
        "NATIONAL_ID",
        "DOB",
        "DATE_OF_SERVICE",
        "AGE_OVER_89",
        "PATIENT_ACCOUNT",
        "CLAIM_NUMBER",
        "STUDY_SUBJECT_ID",
        "PATIENT_NAME",
        "VIN",
        "DEVICE_ID",
        "US_DRIVER_LICENSE",
        "RECORD_URL",
    )
    # Contact details count as a patient's only when they sit next to a patient name or cue.
    contact_identifiers: tuple[str, ...] = (
        "PHONE_NUMBER",
        "FAX_NUMBER",
        "EMAIL_ADDRESS",
        "STREET_ADDRESS",
        "ZIP_CODE",
    )
    health_entities: tuple[str, ...] = (
        "DIAGNOSIS",
        "ICD10",
        "CPT",
        "MEDICATION",
        "PROCEDURE",
        "LAB_RESULT",
        "SPECIALTY",
        "CLINICAL_NOTE",
        "CLINICAL_NARRATIVE",
        "APPOINTMENT",
        "PATIENT_RECORD",
    )
    # Pairs of identifiers that identify a patient without any health information: a patient
    # named with their date of birth ("WAS NOT BROUGHT: Julie Boatemaa DOB 10.02.20", a subject
    # "Roe A. 1961-04-12") is a patient of the practice identified, which is PHI itself.
    # The same for a patient named with their account number ("Patient: Alessia Pugliese (Acct
    # #18625238)"): an account at a practice is a patient's.
    identity_pairs: tuple[tuple[str, str], ...] = (
        ("PATIENT_NAME", "DOB"),
        ("PATIENT_NAME", "PATIENT_ACCOUNT"),
    )
    # The learned decision (docs/detection.md): a calibrated logistic model over features of the
    # findings gives P(PHI); at or above `phi_probability` the message is PHI, at or above
    # `uncertain_probability` it is "uncertain" (the shipped policy treats that as PHI for
    # outsiders), below it clean. The hand rules stay a floor: what they call PHI is PHI whatever
    # the model says. `learned: false` decides by the rules alone.
    learned: bool = True
    model_file: str | None = Field(default=None, min_length=1, max_length=4096)
    phi_probability: float = Field(default=0.8, gt=0.0, le=1.0)
    uncertain_probability: float = Field(default=0.5, gt=0.0, le=1.0)

    @field_validator("model_file")
    @classmethod
    def _loads(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                load_model(value)
            except ModelError as exc:
                raise ValueError(str(exc)) from exc
        return value

    @model_validator(mode="after")
    def _bands_ordered(self) -> DecisionThresholds:
        if self.uncertain_probability > self.phi_probability:
            raise ValueError(
                f"uncertain_probability {self.uncertain_probability} is above phi_probability "
                f"{self.phi_probability}"
            )
        return self


class DetectorConfig(Frozen):
    """Everything the PHI engine needs, loaded once per worker."""

    max_part_chars: int = Field(default=200_000, ge=1_000)
    max_total_chars: int = Field(default=1_000_000, ge=1_000)
    regex_timeout_s: float = Field(default=0.5, gt=0.0, le=10.0)
    ner_window_chars: int = Field(default=120, ge=20, le=5_000)
    ner_short_part_chars: int = Field(default=400, ge=0, le=10_000)
    ner_max_chars_per_message: int = Field(default=12_000, ge=0)
    mrn_patterns: tuple[MrnPattern, ...] = ()
    # The practice's own mail domains (staff). The From domain of each message counts too; a
    # recipient outside them, addressed about "your results", is treated as the patient.
    practice_domains: tuple[str, ...] = ()
    decision: DecisionThresholds = DecisionThresholds()
