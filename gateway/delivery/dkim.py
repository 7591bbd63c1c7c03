"""DKIM signing of the messages phigate changed (encrypted, tagged, notices), with dkimpy.

Prefer signing after phigate, on Postfix's reinjection listener (deploy/postfix/DKIM.md).
`DkimSigner` is for sites that let phigate sign what it rewrote with its own key.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import dkim
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from gateway.model import PhigateError

DEFAULT_SIGNED_HEADERS: tuple[str, ...] = (
    "From",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
)
MIN_RSA_BITS = 1024


class DkimError(PhigateError):
    """A message could not be signed."""

    code = "dkim-failed"


class DkimKeyError(DkimError):
    """The DKIM private key file is missing, unreadable or not an unencrypted RSA PEM key."""

    code = "dkim-key-invalid"


def _header_names(raw: bytes) -> set[str]:
    """Lower-cased names of the header fields present in a raw message."""
    head = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    names = set()
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") or b":" not in line:
            continue
        names.add(line.split(b":", 1)[0].strip().decode("ascii", "replace").lower())
    return names


class DkimSigner:
    """Signs messages for one domain and selector: relaxed/relaxed, rsa-sha256."""

    def __init__(
        self,
        domain: str,
        selector: str,
        private_key_path: Path,
        headers: Sequence[str] = DEFAULT_SIGNED_HEADERS,
    ) -> None:
        self.domain = domain
        self.selector = selector
        self.private_key_path = Path(private_key_path)
        self.headers = tuple(h.lower() for h in headers)
        if "from" not in self.headers:
            raise DkimError("DKIM must sign the From header (RFC 6376 section 5.4)")
        self._key = self._load_key(self.private_key_path)

    @staticmethod
    def _load_key(path: Path) -> bytes:
        try:
            pem = path.read_bytes()
        except OSError as exc:
            raise DkimKeyError(
                f"DKIM key file {path} cannot be read: {exc.strerror or exc}"
            ) from None
        try:
            key = load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as exc:
            # The message never echoes key material; cryptography's errors do not either.
            raise DkimKeyError(
                f"DKIM key file {path} is not an unencrypted PEM private key: {exc}"
            ) from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise DkimKeyError(f"DKIM key file {path} holds a {type(key).__name__}, not RSA")
        if key.key_size < MIN_RSA_BITS:
            raise DkimKeyError(
                f"DKIM key file {path}: RSA key of {key.key_size} bits is shorter than "
                f"{MIN_RSA_BITS}"
            )
        return pem

    def sign(self, raw: bytes) -> bytes:
        """Return `raw` with a DKIM-Signature header prepended."""
        present = _header_names(raw)
        if "from" not in present:
            raise DkimError("cannot DKIM-sign a message without a From header")
        # Sign only what is present: the reinjecting MTA may add a missing Date or
        # Message-ID, and a signed-but-absent header would then break the signature.
        include = [h.encode() for h in self.headers if h in present]
        linesep = b"\r\n" if b"\r\n" in raw else b"\n"
        try:
            signature = dkim.sign(
                raw,
                self.selector.encode(),
                self.domain.encode(),
                self._key,
                canonicalize=(b"relaxed", b"relaxed"),
                signature_algorithm=b"rsa-sha256",
                include_headers=include,
                linesep=linesep,
            )
        except dkim.DKIMException as exc:
            raise DkimError(
                f"DKIM signing failed for d={self.domain} s={self.selector}: {exc}"
            ) from None
        return signature + raw
