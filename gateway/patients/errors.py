"""Expected roster and consent error conditions, each with a stable code.

Messages name roster ids, consent ids, line numbers and fields, never an identifier's value.
"""

from __future__ import annotations

from gateway.model import PhigateError


class PatientsError(PhigateError):
    """The roster or the consent registry cannot be used as asked."""

    code = "patients-error"


class RosterKeyError(PatientsError):
    """The roster's HMAC key file is malformed or unreadable."""

    code = "roster-key-invalid"


class RosterImportError(PatientsError):
    """A roster or consent CSV file cannot be read at all (encoding, header, unknown columns)."""

    code = "roster-import-invalid"


class InvalidIdentifier(PatientsError):
    """A name, date of birth, MRN or address does not parse; the message names the field only."""

    code = "identifier-invalid"


class RosterNotFound(PatientsError):
    """No roster entry has this id."""

    code = "roster-not-found"


class UnknownAddress(PatientsError):
    """The address is not on the roster (or not on the given roster entry)."""

    code = "consent-unknown-address"


class ConsentError(PatientsError):
    """A consent record is invalid (method, scope, disclosure, dates)."""

    code = "consent-invalid"


class ConsentNotFound(PatientsError):
    """No consent has this id."""

    code = "consent-not-found"


class ConsentStateError(PatientsError):
    """The consent is in the wrong state for the request (e.g. already revoked)."""

    code = "consent-state"
