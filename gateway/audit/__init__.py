"""phigate's tamper-evident audit log: HMAC-SHA256-chained records, one per message."""

from gateway.audit.entry import AuditEntry
from gateway.audit.errors import AuditEntryRejected, AuditError, AuditKeyError
from gateway.audit.log import AuditLog
from gateway.audit.verify import Problem, VerifyReport

__all__ = [
    "AuditEntry",
    "AuditEntryRejected",
    "AuditError",
    "AuditKeyError",
    "AuditLog",
    "Problem",
    "VerifyReport",
]
