"""TOTP against RFC 6238's own test vectors, and password hashing."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from gateway.console.auth import hash_password, password_matches, totp, totp_step

# RFC 6238 Appendix B: the SHA-1 seed is the ASCII string "12345678901234567890"; the
# 8-digit codes there end in these six digits.
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize(
    ("unix", "code"),
    [
        (59, "287082"),
        (1111111109, "081804"),
        (1111111111, "050471"),
        (1234567890, "005924"),
        (2000000000, "279037"),
        (20000000000, "353130"),
    ],
)
def test_totp_matches_rfc6238_vectors(unix: int, code: str) -> None:
    """The code at each RFC 6238 test time is the RFC's (last six digits)."""
    assert totp(RFC_SECRET, datetime.fromtimestamp(unix, UTC)) == code


def test_code_accepted_one_step_either_side_only() -> None:
    """A code is good in its own 30 s step and one step of skew each way, not two."""
    at = datetime.fromtimestamp(1111111109, UTC)
    step = 1111111109 // 30
    assert totp_step(RFC_SECRET, "081804", at) == step
    assert totp_step(RFC_SECRET, "081804", datetime.fromtimestamp(1111111109 + 30, UTC)) == step
    assert totp_step(RFC_SECRET, "081804", datetime.fromtimestamp(1111111109 + 61, UTC)) is None
    assert totp_step(RFC_SECRET, "081805", at) is None
    assert totp_step(RFC_SECRET, "08180", at) is None
    assert totp_step(RFC_SECRET, "abcdef", at) is None


def test_password_hash_is_argon2id_and_checks() -> None:
    """Passwords are stored as salted argon2id hashes; only the right one matches."""
    h = hash_password("correct horse battery staple")
    assert h.startswith("$argon2id$")
    assert hash_password("correct horse battery staple") != h
    assert password_matches(h, "correct horse battery staple")
    assert not password_matches(h, "correct horse battery stapler")
    assert not password_matches("not a hash", "x")


def test_password_hash_cost_is_at_least_owasps_minimum() -> None:
    """The production hash costs at least OWASP's argon2id minimum (19 MiB, 2 passes): the
    console tests sign in with the cheapest cost, so this is where a weakened one shows."""
    params = dict(field.split("=") for field in hash_password("pw").split("$")[3].split(","))
    assert int(params["m"]) >= 19 * 1024
    assert int(params["t"]) >= 2
