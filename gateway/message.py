"""Parsing: keep the original bytes, build a parsed view, and record every defect."""

from __future__ import annotations

import email.policy
from email.message import EmailMessage
from email.parser import BytesParser

from gateway.errors import ParseError
from gateway.pipeline import ParsedMessage

# Defects so grave that the bytes are not an RFC 5322 message at all.
_MAX_DEFECTS_LISTED = 50


class RfcParser:
    """Parses with an explicit policy; never regenerates the message. See Parser."""

    name = "rfc5322"

    def __init__(self) -> None:
        self._parser = BytesParser(policy=email.policy.default)

    def parse(self, raw: bytes) -> ParsedMessage:
        """See Parser."""
        if not raw.strip():
            raise ParseError("the message is empty")
        try:
            message = self._parser.parsebytes(raw)
        except (ValueError, TypeError, LookupError, IndexError, RecursionError) as exc:
            raise ParseError(f"the MIME structure is broken ({type(exc).__name__})") from None
        if not isinstance(message, EmailMessage):
            raise ParseError("the parser returned no message")
        if len(message.keys()) == 0:
            raise ParseError("the message has no header fields")
        defects = _collect_defects(message)
        return ParsedMessage(
            raw=raw, message=message, defects=defects, message_id=_message_id(message)
        )


def _collect_defects(message: EmailMessage) -> tuple[str, ...]:
    found: list[str] = []
    try:
        parts = list(message.walk())
    except RecursionError:
        return ("TooDeeplyNestedDefect",)
    # Structural defects only: parsing every header field to find its own defects would cost
    # several times the parse itself, and detection reads the headers it needs anyway.
    for part in parts:
        for defect in part.defects:
            found.append(type(defect).__name__)
        if len(found) >= _MAX_DEFECTS_LISTED:
            break
    return tuple(found[:_MAX_DEFECTS_LISTED])


def _message_id(message: EmailMessage) -> str | None:
    try:
        value = message.get("Message-ID")
    except (ValueError, TypeError, IndexError, LookupError, AttributeError):
        return None
    if value is None:
        return None
    text = str(value).strip()
    return text[:998] or None
