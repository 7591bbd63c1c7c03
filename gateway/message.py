"""Parsing: keep the original bytes, build a parsed view, and record every defect."""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import EmailPolicy
from typing import Any

from gateway.mime.headers import apply_header_edits, split_fields
from gateway.model import HeaderEdit, ParsedMessage, ParseError

# Header fields that shape the MIME structure: editing one needs the whole message parsed again.
_STRUCTURAL = frozenset({"content-type", "content-transfer-encoding", "mime-version"})
# Defects so grave that the bytes are not an RFC 5322 message at all.
_MAX_DEFECTS_LISTED = 50


class _OneMessagePolicy(EmailPolicy):
    """email.policy.default that parses each header field once for the message it reads.

    The default policy builds a header object (the full RFC 5322/2231 parser) every time a
    field is read, and the feed parser reads each part's Content-Type several times while it
    parses (get_content_type, get_content_maintype, get_boundary...): five header parses a
    message of the dev corpus, two of them distinct. Each message gets a policy of its own
    (`for_one_message`), whose memo lives and dies with that message, so no header value is
    kept from one message to the next, with one exception: the structural values that name
    nothing and no one (`_shared_structural`: "text/plain; charset=utf-8", "base64", "1.0")
    are parsed once a process. A memo hit is the very object a parse would have built again,
    and header objects are immutable.
    """

    def header_fetch_parse(self, name: str, value: str) -> Any:
        if hasattr(value, "name"):  # set through the API: already a header object
            return value
        memo: dict[tuple[str, str], Any] | None = self.__dict__.get("_memo")
        if memo is None:  # a copy made some other way than for_one_message: no memo
            return super().header_fetch_parse(name, value)
        try:
            return memo[name, value]
        except KeyError:
            pass
        shared = _shared_structural(name, value)
        if shared is not None:
            parsed = memo[name, value] = shared
            return parsed
        parsed = memo[name, value] = super().header_fetch_parse(name, value)
        return parsed


_DEFAULT = _OneMessagePolicy()

# Structural header values that name nothing and no one ("text/plain; charset=utf-8", "base64",
# "1.0"), parsed once per process: the feed parser reads every part's Content-Type through the
# full RFC 2231 parser (about 100 us a value), and most messages share a handful of values. A
# value with any other parameter (a boundary, a file name) or character is parsed per message and
# never kept.
_STRUCTURAL_VALUE = re.compile(
    r"(?i)[a-z0-9][a-z0-9.+-]{0,40}(?:/[a-z0-9][a-z0-9.+-]{0,60})?"
    r'(?:[ \t]*;[ \t]*(?:charset|format|delsp|reply-type)="?[a-z0-9_.:-]{1,40}"?)*[ \t]*'
)
_SHARED_NAMES = frozenset(
    {"content-type", "content-transfer-encoding", "content-disposition", "mime-version"}
)
_SHARED_MAX = 256
_shared: dict[tuple[str, str], Any] = {}


def _shared_structural(name: str, value: str) -> Any:
    """The process-wide parse of a structural header value that holds no personal data, or None
    for any other field or value (which the caller parses for this message alone)."""
    if name.lower() not in _SHARED_NAMES or not _STRUCTURAL_VALUE.fullmatch(value):
        return None
    key = (name, value)  # the name as written: a header object keeps its own
    try:
        return _shared[key]
    except KeyError:
        pass
    parsed = EmailPolicy.header_fetch_parse(_DEFAULT, name, value)
    if len(_shared) >= _SHARED_MAX:
        _shared.clear()
    _shared[key] = parsed
    return parsed


def for_one_message() -> EmailPolicy:
    """A fresh copy of the default policy, with an empty header memo, for one message."""
    policy = _DEFAULT.clone()
    object.__setattr__(policy, "_memo", {})  # policies refuse attribute assignment
    return policy


class RfcParser:
    """Parses with an explicit policy; never regenerates the message. See Parser."""

    name = "rfc5322"

    def parse(self, raw: bytes) -> ParsedMessage:
        """See Parser."""
        if not raw.strip():
            raise ParseError("the message is empty")
        parser = BytesParser(policy=for_one_message())
        try:
            message = self._single_part(parser, raw) or parser.parsebytes(raw)
        except (ValueError, TypeError, LookupError, IndexError, RecursionError) as exc:
            raise ParseError(f"the MIME structure is broken ({type(exc).__name__})") from None
        if not isinstance(message, EmailMessage):
            raise ParseError("the parser returned no message")
        if len(message.keys()) == 0:
            raise ParseError("the message has no header fields")
        defects = _collect_defects(message)
        headers = _top_headers(message)
        return ParsedMessage(
            raw=raw,
            message=message,
            defects=defects,
            message_id=(headers.get("message-id") or None),
            headers=headers,
        )

    @staticmethod
    def _single_part(parser: BytesParser, raw: bytes) -> EmailMessage | None:
        """The parse of a single-part message, with only its header block going through the
        feed parser; None when the message is not one whose result is known to be the same.

        For a part that is neither multipart nor message/*, the feed parser's whole job after
        the header block is to join the body's lines into the payload: the body text, as it
        stands. Doing that in one step saves a Python-level loop over every body line. The
        header block must be plain (CRLF only, ending in the first empty line, every line a
        header field) so that the feed parser would have ended it at the same place.
        """
        end = raw.find(b"\r\n\r\n")
        if end < 0:
            return None
        block = raw[: end + 4]
        if block.count(b"\n") != block.count(b"\r\n") or block.count(b"\r") != block.count(b"\n"):
            return None
        head = parser.parsebytes(block, headersonly=True)
        if not isinstance(head, EmailMessage) or head.get_payload() != "" or head.defects:
            return None
        if head.get_content_maintype() in ("multipart", "message"):
            return None
        # BytesParser reads bytes as ASCII with surrogate escapes; so does this.
        head.set_payload(raw[end + 4 :].decode("ascii", "surrogateescape"))
        return head

    def with_header_edits(
        self, parsed: ParsedMessage, edits: Sequence[HeaderEdit]
    ) -> ParsedMessage:
        """`parsed` with header edits applied, without parsing its body again.

        The bytes are `apply_header_edits`'s (every byte after the header block untouched);
        the parsed view is a copy of `parsed`'s whose top-level header fields come from the
        edited header block alone, so the body's parts are shared, not re-read. An edit of a
        field that shapes the MIME structure (Content-Type...) parses the whole message again.
        """
        raw = apply_header_edits(parsed.raw, edits)
        if any(edit.name.lower() in _STRUCTURAL for edit in edits):
            return self.parse(raw)
        fields, sep, _ = split_fields(raw)
        head = BytesParser(policy=for_one_message()).parsebytes(
            b"".join(fields) + sep, headersonly=True
        )
        message = copy.copy(parsed.message)
        vars(message)["_headers"] = list(vars(head)["_headers"])  # the edited fields, only
        headers = _top_headers(message)
        return ParsedMessage(
            raw=raw,
            message=message,
            defects=parsed.defects,
            message_id=(headers.get("message-id") or None),
            headers=headers,
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


def _top_headers(message: EmailMessage) -> dict[str, str]:
    """The first value of each top-level header, decoded, without the default policy's
    per-access header classes (which cost more than the parse itself)."""
    out: dict[str, str] = {}
    for name, value in message.raw_items():  # (name, value) as parsed, no header objects
        key = name.lower()
        if key in out:
            continue
        text = str(value)
        if not text.isascii():
            # raw 8-bit header bytes arrive surrogate-escaped; read them as UTF-8
            text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        if "=?" in text:
            try:
                text = str(make_header(decode_header(text)))
            except (ValueError, LookupError, UnicodeError, HeaderParseError):
                pass  # keep the raw text: it is what the sender wrote
        out[key] = " ".join(text.split())[:998]
    return out
