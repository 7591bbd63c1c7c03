"""SMTP reply texts: enhanced status codes (RFC 2034, RFC 3463) for what aiosmtpd writes without.

The handler's own replies carry their codes already; these fill in the rest.
"""

from __future__ import annotations

import re

_HAS_ENHANCED = re.compile(r"^\d{3}[ -][245]\.\d{1,3}\.\d{1,3}(\s|$)")
_STATUS_LINE = re.compile(r"^(\d{3})([ -])(.*)$", re.S)

# Default enhanced status codes (RFC 3463) for replies aiosmtpd writes without one.
_BY_CODE = {
    "211": "2.0.0",
    "214": "2.0.0",
    "220": "2.0.0",
    "221": "2.0.0",
    "235": "2.7.0",
    "250": "2.0.0",
    "251": "2.1.5",
    "252": "2.5.0",
    "421": "4.4.2",
    "450": "4.2.0",
    "451": "4.3.0",
    "452": "4.3.1",
    "454": "4.7.0",
    "500": "5.5.2",
    "501": "5.5.4",
    "502": "5.5.1",
    "503": "5.5.1",
    "504": "5.5.4",
    "530": "5.7.0",
    "534": "5.7.9",
    "535": "5.7.8",
    "538": "5.7.11",
    "550": "5.0.0",
    "552": "5.3.4",
    "553": "5.1.3",
    "554": "5.0.0",
    "555": "5.5.4",
}

# aiosmtpd's stock texts that deserve a clearer answer.
_REWRITE = {
    "530 Must issue a STARTTLS command first": "530 5.7.0 Must issue a STARTTLS command first",
    "554 Command refused due to lack of security": "554 5.7.0 Command refused: TLS handshake failed",
    "500 Command line too long": "500 5.5.6 Command line too long",
}


def enhance(line: str) -> str:
    """Give a reply line an enhanced status code if it lacks one (RFC 2034)."""
    if line in _REWRITE:
        return _REWRITE[line]
    if _HAS_ENHANCED.match(line):
        return line
    m = _STATUS_LINE.match(line)
    if not m:
        return line
    code, sep, text = m.groups()
    if code in ("334", "354"):
        return line
    status = _BY_CODE.get(code) or f"{code[0]}.0.0"
    return f"{code}{sep}{status} {text}".rstrip()


def too_long_reply(line_limit: int) -> str:
    """The reply to a message with a line over the limit."""
    return (
        f"554 5.6.0 A line is longer than {line_limit} octets (RFC 5322 2.1.1);"
        " encode the message with quoted-printable or base64"
    )
