"""Expected audit-log error conditions, each with a stable code."""

from __future__ import annotations

from gateway.model import PhigateError


class AuditError(PhigateError):
    """The audit log cannot be used as asked."""

    code = "audit-error"


class AuditKeyError(AuditError):
    """The audit key file is missing, unreadable or malformed."""

    code = "audit-key-invalid"


class AuditEntryRejected(AuditError):
    """An entry was refused because a field could carry raw PHI or is malformed."""

    code = "audit-entry-rejected"
