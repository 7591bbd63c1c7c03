"""Console credentials: argon2id password hashes and RFC 6238 time-based one-time codes.

TOTP here is the authenticator-app profile: HMAC-SHA1, 6 digits, 30-second steps, one step
of clock skew either way. `totp_step` returns which step a code belongs to, so the store can
refuse a code whose step is not newer than the last one accepted (no replay).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import urllib.parse
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

STEP_SECONDS = 30
DIGITS = 6
SKEW_STEPS = 1
ROLES = ("admin", "officer", "auditor")

_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of `password` (salted, with the library's current cost)."""
    return _HASHER.hash(password)


def password_matches(stored_hash: str, password: str) -> bool:
    """True if `password` matches the stored argon2 hash."""
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_totp_secret() -> str:
    """A fresh 160-bit TOTP secret in base32 (what authenticator apps take)."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def _key(secret: str) -> bytes:
    padded = secret.strip().replace(" ", "").upper()
    padded += "=" * (-len(padded) % 8)
    return base64.b32decode(padded)


def hotp(secret: str, counter: int) -> str:
    """The RFC 4226 code for `counter` (dynamic truncation of HMAC-SHA1)."""
    digest = hmac.new(_key(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def step_at(when: datetime) -> int:
    """The TOTP time step that `when` falls in."""
    return int(when.timestamp()) // STEP_SECONDS


def totp(secret: str, when: datetime) -> str:
    """The code an authenticator shows at `when`."""
    return hotp(secret, step_at(when))


def totp_step(secret: str, code: str, when: datetime) -> int | None:
    """The time step `code` is valid for near `when` (one step of skew), or None."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    now = step_at(when)
    for step in range(now - SKEW_STEPS, now + SKEW_STEPS + 1):
        if hmac.compare_digest(hotp(secret, step), code):
            return step
    return None


def provisioning_uri(secret: str, user: str, issuer: str = "phigate console") -> str:
    """The otpauth:// URI an authenticator app scans (as a QR code) or takes pasted."""
    label = urllib.parse.quote(f"{issuer}:{user}")
    query = urllib.parse.urlencode({"secret": secret, "issuer": issuer})
    return f"otpauth://totp/{label}?{query}"
