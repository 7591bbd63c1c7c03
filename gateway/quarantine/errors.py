"""Expected quarantine error conditions, each with a stable code."""

from __future__ import annotations

from gateway.model import PhigateError


class QuarantineError(PhigateError):
    """The quarantine cannot be used as asked."""

    code = "quarantine-error"


class QuarantineKeyError(QuarantineError):
    """The master key file is missing, malformed, or does not open an entry's data key."""

    code = "quarantine-key-invalid"


class QuarantineIntegrityError(QuarantineError):
    """An entry's ciphertext, nonce or bound entry id was altered: it will not be opened."""

    code = "quarantine-integrity"


class QuarantineNotFound(QuarantineError):
    """No entry has this id."""

    code = "quarantine-not-found"


class QuarantineStateError(QuarantineError):
    """The entry is in the wrong state for the request (e.g. already deleted or released)."""

    code = "quarantine-state"
