"""Expected error conditions, each with a stable code."""

from __future__ import annotations


class PhigateError(Exception):
    """Base class for expected phigate errors; `code` is stable and safe to log."""

    code = "phigate-error"


class ConfigError(PhigateError):
    """A configuration or policy file is invalid; the message names the file and line."""

    code = "config-invalid"


class ParseError(PhigateError):
    """A message cannot be parsed as RFC 5322 at all."""

    code = "message-unparseable"


class DetectorError(PhigateError):
    """A detector failed; the message must not leave unscanned."""

    code = "detector-failed"


class PolicyError(PhigateError):
    """The policy could not reach a decision."""

    code = "policy-failed"


class NextHopError(PhigateError):
    """The next hop could not be reached or answered out of protocol."""

    code = "next-hop-failed"
