"""The console's expected errors, each with a stable code."""

from __future__ import annotations

from gateway.model import PhigateError


class ConsoleError(PhigateError):
    """A console operation that cannot be done (unknown user, bad role, ...)."""

    code = "console"


class LoginRefused(ConsoleError):
    """A login that does not succeed; `reason` says why for the audit trail, never the user."""

    code = "console-login-refused"

    def __init__(self, reason: str) -> None:
        super().__init__(f"login refused: {reason}")
        self.reason = reason
