#!/usr/bin/env python3
"""Container health check: exit 0 when phigate's SMTP listener answers 220 and accepts NOOP.

The address is PHIGATE_HEALTHCHECK (HOST:PORT, default 127.0.0.1:10025) or the first argument.
It is the standard library only, so it runs in any Python the image has.
"""

from __future__ import annotations

import os
import smtplib
import sys

SMTP_OK = 250
DEFAULT_ADDRESS = "127.0.0.1:10025"


def check(address: str, timeout: float = 5.0) -> str | None:
    """Return None when the SMTP listener at address is healthy, else why it is not."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        return f"expected HOST:PORT, got {address!r}"
    try:
        # smtplib raises SMTPConnectError unless the banner is 220.
        with smtplib.SMTP(host.strip("[]"), int(port), timeout=timeout) as client:
            code, _ = client.noop()
    except (OSError, smtplib.SMTPException) as exc:
        return f"{address}: {exc.__class__.__name__}: {exc}"
    if code != SMTP_OK:
        return f"{address}: NOOP answered {code}"
    return None


def main(argv: list[str]) -> int:
    """Check the configured address and report a failure on standard error."""
    address = argv[1] if len(argv) > 1 else os.environ.get("PHIGATE_HEALTHCHECK", DEFAULT_ADDRESS)
    problem = check(address)
    if problem is not None:
        print(f"unhealthy: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
