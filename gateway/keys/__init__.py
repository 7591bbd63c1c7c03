"""The S/MIME certificate store: import, look up by e-mail address, validate before use."""

from gateway.keys.errors import (
    CertFileCorrupt,
    CertFileError,
    CertFileUnreadable,
    CertFileWrongType,
    CertStoreError,
    CrlError,
    PasswordRequired,
    WeakCertificateKey,
    WrongPassword,
)
from gateway.keys.files import Credentials, load_signer, read_credentials
from gateway.keys.store import CertEntry, CertLookup, CertProblem, CertStore, ImportResult

__all__ = [
    "CertEntry",
    "CertFileCorrupt",
    "CertFileError",
    "CertFileUnreadable",
    "CertFileWrongType",
    "CertLookup",
    "CertStore",
    "CertStoreError",
    "Credentials",
    "CrlError",
    "ImportResult",
    "PasswordRequired",
    "CertProblem",
    "WeakCertificateKey",
    "WrongPassword",
    "load_signer",
    "read_credentials",
]
