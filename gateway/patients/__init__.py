"""Patients: the roster (keyed hashes of identifiers) and the consent registry."""

from __future__ import annotations

from gateway.patients.consent import (
    Consent,
    ConsentCheck,
    ConsentEvent,
    ConsentImportReport,
    ConsentRegistry,
    ConsentUse,
)
from gateway.patients.roster import ImportReport, PatientRoster, RosterEntry, RowError
from gateway.patients.scopes import SCOPES, Scope

__all__ = [
    "SCOPES",
    "Consent",
    "ConsentCheck",
    "ConsentEvent",
    "ConsentImportReport",
    "ConsentRegistry",
    "ConsentUse",
    "ImportReport",
    "PatientRoster",
    "RosterEntry",
    "RowError",
    "Scope",
]
