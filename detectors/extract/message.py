"""Walking a message: subject, address headers, every body part and every attachment."""

from __future__ import annotations

import base64
import binascii
import csv
import email
import email.policy
import email.utils
import hashlib
import io
import quopri
import re
import time
from email.errors import InvalidBase64LengthDefect
from email.header import Header, decode_header
from email.message import Message
from email.utils import getaddresses

from .archive import ZipBudget, iter_members
from .cache import AttachmentCache
from .clinical import hl7_to_text, json_to_text, xml_to_text
from .documents import OFFICE_KINDS, office_result, pdf_result, rtf_to_text
from .envelope import armored_messages, cms_signed_content, envelope_kind, openpgp_clear_content
from .htmltext import html_to_text
from .model import (
    AttachmentProblem,
    AttachmentResult,
    Extraction,
    ExtractLimits,
    Fragment,
    TextPart,
    Unscannable,
    UnscannableContent,
)
from .ocr import OcrEngine, TesseractOcr
from .sniff import csv_dialect, extension, image_size, sniff
from .textcodec import (
    decode_bytes,
    decode_document,
    decode_encoded_words,
    decode_parameter,
    looks_garbled,
)

ADDRESS_HEADERS = ("From", "Sender", "Reply-To", "To", "Cc", "Bcc")
# Header fields that only machines write and read (trace, authentication, transport framing,
# and the message and thread identifiers that mail software writes to thread by): every other
# field is scanned, since a mail client can show any of them (Thread-Topic, X-*).
_MACHINE_HEADERS = frozenset(
    {
        "message-id", "in-reply-to", "references",
        "received", "x-received", "return-path", "delivered-to", "dkim-signature",
        "domainkey-signature", "authentication-results", "received-spf", "arc-seal",
        "arc-message-signature", "arc-authentication-results", "x-google-dkim-signature",
        "x-gm-message-state", "x-google-smtp-source", "mime-version", "content-type",
        "content-transfer-encoding", "content-disposition", "content-id", "date", "subject",
        "x-ms-exchange-organization-authas", "x-ms-exchange-organization-authsource",
        "x-ms-exchange-organization-network-message-id", "x-forefront-antispam-report",
        "x-microsoft-antispam", "x-microsoft-antispam-message-info", "list-unsubscribe",
        "list-unsubscribe-post",
    }
)  # fmt: skip
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_BODY_TYPES = frozenset(
    {"text/plain", "text/html", "text/enriched", "text/richtext", "text/rtf", "text/calendar"}
)
_MIN_OCR_SIDE = 16


def extract_message(
    raw: bytes | Message,
    limits: ExtractLimits = ExtractLimits(),  # noqa: B008 - frozen, so a shared default is safe
    *,
    cache: AttachmentCache | None = None,
    ocr: OcrEngine | None = None,
) -> Extraction:
    """Extract the text of every part of a message; what cannot be read is listed, never dropped."""
    walker = _Walker(limits, cache, ocr if ocr is not None else TesseractOcr())
    if isinstance(raw, bytes | bytearray | memoryview):
        try:
            message = email.message_from_bytes(
                unfold_smtp_header(bytes(raw)), policy=email.policy.compat32
            )
        except RecursionError:
            return Extraction(
                (), (Unscannable("body", "message", "too-deep", "MIME nesting too deep to parse"),)
            )
    else:
        message = raw
    walker.run(message)
    return walker.result()


def extract_text_file(data: bytes) -> Extraction:
    """Decode a plain text file exactly (UTF-8, else Latin-1) as one body part, for `scan --text`."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return Extraction((TextPart(part="body", text=text, origin="text", kind="plain"),), ())


def unix_lines(text: str) -> str:
    """``text`` with its CRLF line ends as LF.

    SMTP carries every message with CRLF line ends, and a file saved on Windows has them too, so
    the same words would otherwise reach the recognizers differently by how they travelled: a
    message relayed by the gateway and the same .eml file scanned from disk had names found or
    missed by their line ends in 5 of 331 corpus messages. Findings' offsets index the text as
    returned here. (`extract_text_file` keeps a file's line ends: there offsets index the file.)
    """
    return text.replace("\r\n", "\n") if "\r" in text else text


_QUOTES = re.compile(r">*")


def unflow(text: str, delsp: bool = False) -> str:
    """The paragraphs of a format=flowed text/plain body (RFC 3676), joined as its writer wrote
    them.

    Thunderbird, K-9 and other clients wrap plain text at about 72 characters with soft breaks:
    a line that ends in a space goes on in the next line of the same quote depth. Left as lines,
    "Maria \nOkafor" is two lone names that no roster key matches, and "42 Willow \nStreet" no
    address. Quote marks stay, one run per line ("> "); a space-stuffed line loses its stuffing
    space; the signature separator "-- " is never soft; with DelSp=yes the soft break's space
    is the writer's wrapping, not theirs, and goes.
    """
    # Each output line as its pieces, joined once at the end: appending to a growing string
    # would copy it for every soft break, quadratic in a long paragraph.
    out: list[list[str]] = []
    depth_of_open = -1  # the quote depth of the paragraph still open (-1: none)
    for raw in text.replace("\r\n", "\n").split("\n"):
        quotes = _QUOTES.match(raw)
        depth = quotes.end() if quotes else 0
        line = raw[depth:]
        if line.startswith(" "):
            line = line[1:]  # space-stuffing (and the space after quote marks)
        soft = line.endswith(" ") and line != "-- "
        if soft and delsp:
            line = line[:-1]
        if depth_of_open == depth:
            out[-1].append(line)
        else:
            out.append(["> " * depth if depth else "", line])
        depth_of_open = depth if soft else -1
    return "\n".join("".join(pieces) for pieces in out)


# The line lengths at which an MTA's SMTP client breaks a longer line: Postfix's
# smtp_line_length_limit (998 since Postfix 3.7, 990 before), sendmail's SMTPLINELIM (990).
SMTP_FOLD_LIMITS = (998, 990)


def unfold_smtp_lines(data: bytes) -> bytes:
    """``data`` with the line breaks an MTA inserted into over-long lines taken out again.

    An SMTP client that relays a line longer than its limit writes the first `limit` bytes, a
    line end, a space, and goes on (Postfix's smtp_line_length_limit, default 998): a practice's
    Postfix in front of phigate does so before phigate reads the message, and an SSN that
    straddles byte 998 arrives as "536-22-" and " 8347" on two lines, which no recognizer reads
    as one. So a line of exactly 998 (or 990) bytes followed by a line that starts with a space
    is joined to it, without that space, for scanning; the message itself is not changed. Only
    for 7bit/8bit/binary content: base64 and quoted-printable lines are never that long.
    """
    if len(data) <= min(SMTP_FOLD_LIMITS) or b"\n " not in data:
        return data
    lines = data.split(b"\n")
    # Each output line as its pieces, joined once at the end (a line broken thousands of times
    # would otherwise be copied at every break).
    out: list[list[bytes]] = [[lines[0]]]
    # the length of the last line as it arrived (a continuation counts its leading space)
    arrived = len(lines[0].removesuffix(b"\r"))
    joined = False
    for line in lines[1:]:
        if arrived in SMTP_FOLD_LIMITS and line.startswith(b" "):
            pieces = out[-1]
            pieces[-1] = pieces[-1].removesuffix(b"\r")
            pieces.append(line[1:])
            joined = True
        else:
            out.append([line])
        arrived = len(line.removesuffix(b"\r"))
    if not joined:
        return data  # the same object: nothing was broken
    return b"\n".join(b"".join(pieces) for pieces in out)


_HEADER_END = re.compile(rb"\r?\n\r?\n")


def unfold_smtp_header(raw: bytes) -> bytes:
    """``raw`` with the lines an MTA broke in its header joined again (`unfold_smtp_lines`).

    Postfix breaks a header line over 998 bytes as it breaks a body line: the first 998 bytes
    (the field name counts), a line end, a space. Read as RFC 5322 folding, that space stays,
    and an SSN straddling the break in a long Subject reads "536-22- 8347". Only the message's
    own header: a part's header never holds text that long. A text part's body is joined where
    it is decoded.
    """
    end = _HEADER_END.search(raw)
    cut = end.start() if end is not None else len(raw)
    head = raw[:cut]
    joined = unfold_smtp_lines(head)
    return raw if joined is head else joined + raw[cut:]


def _param(node: Message, name: str) -> str:
    """A Content-Type parameter, lower-cased and stripped ("" when absent or unreadable)."""
    value = node.get_param(name)
    return value.strip().lower() if isinstance(value, str) else ""


# A raw 8-bit byte the email package kept as a lone surrogate.
_RAW_BYTE = re.compile("[\udc80-\udcff]")


def header_text(value: object) -> str:
    """A header value as readable text: RFC 2047 words and raw 8-bit bytes decoded, unfolded."""
    return checked_header_text(value)[0]


def checked_header_text(value: object) -> tuple[str, bool]:
    """`header_text`, and whether an encoded-word named a charset that is no text encoding."""
    if isinstance(value, Header):
        bad = False
        out = []
        for chunk, charset in decode_header(value):
            if isinstance(chunk, bytes):
                text, unusable = decode_bytes(chunk, charset)
                bad = bad or unusable
                out.append(text)
            else:
                out.append(chunk)
        # A raw 8-bit header arrives as one Header chunk with its encoded-words still inside.
        text, bad_words = decode_encoded_words(_FOLD.sub("", "".join(out)))
        return text, bad or bad_words
    text = _FOLD.sub("", str(value))
    if not text.isascii() and _RAW_BYTE.search(text) is not None:
        text = decode_bytes(text.encode("utf-8", "surrogateescape"), None)[0]
    return decode_encoded_words(text)


def lenient_b64decode(text: str) -> bytes:
    """Decode base64 that the stdlib refuses: drop junk characters and a dangling last one."""
    clean = re.sub(r"[^A-Za-z0-9+/]", "", text)
    clean = clean[: len(clean) - len(clean) % 4] if len(clean) % 4 == 1 else clean
    return base64.b64decode(clean + "=" * (-len(clean) % 4))


def _first_params(message: Message, header: str) -> dict[str, object]:
    """The "name" and "filename" parameters of ``header``, as ``message.get_param`` gives them."""
    found: dict[str, object] = {}
    for key, value in message.get_params(header=header) or ():
        low = key.lower()
        if low in ("name", "filename") and low not in found:
            found[low] = value
    return found


class _Walker:
    """One extraction run: owns the counters that bound the work on a single message."""

    def __init__(
        self, limits: ExtractLimits, cache: AttachmentCache | None, ocr: OcrEngine
    ) -> None:
        self.limits = limits
        self.cache = cache
        self.ocr = ocr
        self.deadline = time.monotonic() + limits.time_budget_s
        self.parts: list[TextPart] = []
        self.problems: list[Unscannable] = []
        self.chars = 0
        self.leaves = 0
        self.mime_index = 0
        self.skipped_for_parts = 0
        self.skipped_for_time = 0
        self.text_full = False
        self.zip_budget = ZipBudget(limits.zip_max_total_uncompressed)

    # ------------------------------------------------------------ results

    def result(self) -> Extraction:
        if self.skipped_for_parts:
            self.problem(
                "body",
                "message",
                "too-many-parts",
                f"{self.skipped_for_parts} parts beyond {self.limits.max_parts}",
            )
        if self.skipped_for_time:
            self.problem(
                "body",
                "message",
                "budget-exhausted",
                f"{self.skipped_for_time} parts not scanned in time",
            )
        return Extraction(tuple(self.parts), tuple(self.problems))

    def emit(self, part: str, text: str, origin: str, kind: str) -> None:
        if not text.strip():
            return
        text = unix_lines(text)
        room = self.limits.max_total_text_chars - self.chars
        if room <= 0 or len(text) > room:
            if not self.text_full:
                self.problem(
                    part, origin, "too-large", "message text limit reached; rest not scanned"
                )
                self.text_full = True
            if room <= 0:
                return
            text = text[:room]
        self.chars += len(text)
        self.parts.append(TextPart(part=part, text=text, origin=origin, kind=kind))

    def problem(self, part: str, origin: str, reason: str, detail: str) -> None:
        if len(self.problems) < self.limits.max_parts:
            self.problems.append(
                Unscannable(part=part, origin=origin, reason=reason, detail=detail)
            )

    def out_of_time(self) -> bool:
        return time.monotonic() > self.deadline

    def take_leaf(self) -> bool:
        """Count one part or member against max_parts and the time budget; False means skip it."""
        self.leaves += 1
        if self.leaves > self.limits.max_parts:
            self.skipped_for_parts += 1
            return False
        if self.out_of_time():
            self.skipped_for_time += 1
            return False
        return True

    # ------------------------------------------------------------ message structure

    def run(self, message: Message) -> None:
        self.emit("subject", self.subject(message, "subject", "Subject"), "Subject", "plain")
        self.emit("header", self.header_lines(message, "header", "header"), "header", "header")
        self.walk(message, None, "", 0)

    def subject(self, message: Message, part: str, origin: str) -> str:
        texts = [self.decoded(s, part, origin) for s in message.get_all("Subject") or []]
        return " ".join(texts)

    def decoded(self, value: object, part: str, origin: str) -> str:
        """A header value as text; an encoded-word in no text charset is reported bad-charset."""
        text, bad = checked_header_text(value)
        if bad:
            self.problem(part, origin, "bad-charset", "header charset label is not a text encoding")
        return text

    def header_lines(
        self, message: Message, part: str, origin: str, *, with_subject: bool = False
    ) -> str:
        """Every header field a reader may see, one per line (addresses shown as names)."""
        lines = []
        for name in ADDRESS_HEADERS:
            for value in message.get_all(name) or []:
                lines.append(f"{name}: {self.addresses(value, part, origin)}")
        address_names = {n.lower() for n in ADDRESS_HEADERS}
        for name, value in message.items():
            key = name.lower()
            if key in address_names or key in _MACHINE_HEADERS or key.startswith("arc-"):
                if not (with_subject and key == "subject"):
                    continue
            lines.append(f"{_UNSAFE_NAME.sub(' ', name)}: {self.decoded(value, part, origin)}")
        # Each header's parameters parsed once (get_param parses them again on every call); the
        # first of a name, case-blind, as get_param takes it.
        params = [
            _first_params(message, "content-type"),
            _first_params(message, "content-disposition"),
        ]
        for param in ("name", "filename"):
            for first in params:
                param_value = first.get(param)
                if isinstance(param_value, str | tuple) and param_value:
                    lines.append(f"{param}: {self.parameter(param_value, part, origin)}")
        return "\n".join(lines)

    def parameter(
        self, value: str | tuple[str | None, str | None, str], part: str, origin: str
    ) -> str:
        """A MIME parameter (RFC 2231 or RFC 2047) decoded with the text charsets only."""
        text, bad = decode_parameter(value)
        if bad:
            self.problem(part, origin, "bad-charset", "parameter charset is not a text encoding")
        return text

    def addresses(self, value: object, part: str, origin: str) -> str:
        raw = _FOLD.sub("", str(value)) if not isinstance(value, Header) else str(value)
        try:
            pairs = getaddresses([raw])
        except (ValueError, IndexError, TypeError):
            pairs = []
        shown = []
        for display, address in pairs:
            display = self.decoded(display, part, origin).strip() if display else ""
            if display and address:
                shown.append(f"{display} <{address}>")
            elif display or address:
                shown.append(display or address)
        decoded = self.decoded(value, part, origin)
        if not shown or any(not d and not a for d, a in pairs):
            return decoded
        return ", ".join(shown)

    def walk(self, node: Message, label: str | None, prefix: str, depth: int) -> None:
        if depth > self.limits.max_depth:
            self.problem(
                label or "body",
                prefix + "message",
                "too-deep",
                f"MIME nesting deeper than {self.limits.max_depth}",
            )
            return
        content_type = node.get_content_type()
        if node.is_multipart():
            payload = node.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if content_type in ("message/rfc822", "message/global") and isinstance(inner, Message):
                name = self.filename(node) or "forwarded.eml"
                part = label or f"attachment:{name}"
                inner = self.transfer_decoded(node, inner, part, prefix + name)
                if inner is not None:
                    self.attached_message(inner, part, prefix + name, depth)
                return
            # A preamble or epilogue is shown by some clients; scan it like body text.
            for place in ("preamble", "epilogue"):
                extra = getattr(node, place, None)
                if isinstance(extra, str) and extra.strip():
                    self.emit(label or "body", extra, f"{prefix}{content_type} ({place})", "plain")
            for sub in payload if isinstance(payload, list) else []:
                if isinstance(sub, Message):
                    self.part_headers(sub, label, prefix)
                    self.walk(sub, label, prefix, depth + 1)
            return
        if not self.take_leaf():
            return
        self.mime_index += 1
        self.leaf(node, content_type, label, prefix, depth)

    def transfer_decoded(
        self, node: Message, inner: Message, part: str, origin: str
    ) -> Message | None:
        """The attached message itself, when a base64 or quoted-printable encoding hides it.

        RFC 2046 forbids encoding message/rfc822, but clients decode it anyway, while the
        stdlib parses the encoded text as a message without headers.
        """
        encoding = str(node.get("Content-Transfer-Encoding", "")).strip().lower()
        if encoding not in ("base64", "quoted-printable"):
            return inner
        try:
            encoded = inner.as_bytes(policy=email.policy.compat32)
        except (ValueError, LookupError, UnicodeError, TypeError) as exc:
            self.problem(
                part, origin, "corrupt", f"attached message unreadable ({type(exc).__name__})"
            )
            return None
        if not inner.keys():
            encoded = encoded.lstrip(b"\r\n")
        if len(encoded) > self.limits.max_part_bytes:
            self.problem(part, origin, "too-large", f"{len(encoded) // (1024 * 1024)} MiB")
            return None
        if encoding == "base64":
            data = lenient_b64decode(encoded.decode("ascii", "replace"))
        else:
            data = quopri.decodestring(encoded)
        try:
            return email.message_from_bytes(data, policy=email.policy.compat32)
        except RecursionError:
            self.problem(part, origin, "too-deep", "attached message nested too deep to parse")
            return None

    def part_headers(self, node: Message, label: str | None, prefix: str) -> None:
        """A MIME part's own header fields (Content-Description, name parameters, X-*, Subject)."""
        part, origin = label or "header", f"{prefix}part headers"
        # A part's Subject is shown by clients that honour protected headers (RFC 9788).
        lines = self.header_lines(node, part, origin, with_subject=True)
        if lines:
            self.emit(part, lines, origin, "header")

    def attached_message(self, inner: Message, part: str, origin: str, depth: int) -> None:
        inner_prefix = origin + "/"
        head = inner_prefix + "header"
        subject = self.subject(inner, part, head)
        lines = [f"Subject: {subject}"] if subject else []
        header_lines = self.header_lines(inner, part, head)
        if header_lines:
            lines.append(header_lines)
        self.emit(part, "\n".join(lines), head, "header")
        self.walk(inner, part, inner_prefix, depth + 1)

    @staticmethod
    def filename(node: Message) -> str | None:
        value: object = None
        for param, header in (("filename", "content-disposition"), ("name", "content-type")):
            try:
                value = node.get_param(param, header=header)
            except (ValueError, LookupError, UnicodeError, TypeError):
                value = None
            if isinstance(value, str | tuple) and value:
                break
        if not isinstance(value, str | tuple) or not value:
            return None
        name = _UNSAFE_NAME.sub(" ", decode_parameter(value)[0]).strip()
        return name or None

    def leaf(
        self, node: Message, content_type: str, label: str | None, prefix: str, depth: int
    ) -> None:
        filename = self.filename(node)
        is_attachment = filename is not None or node.get_content_disposition() == "attachment"
        # An unparsable multipart (no boundary) or a delivery report is still body text.
        textual_body = not is_attachment and content_type.startswith(
            ("text/", "multipart/", "message/")
        )
        if textual_body:
            part = label or "body"
            origin = f"{prefix}{content_type}#{self.mime_index}"
        else:
            name = filename or self.unnamed(node, content_type)
            part = label or f"attachment:{name}"
            origin = prefix + name
        data = self.payload(node, part, origin)
        if data is None:
            return
        if envelope_kind(data) is not None:
            return  # a real S/MIME or OpenPGP envelope: encrypted, so neither text nor unreadable
        signed = cms_signed_content(data)
        if signed is not None:
            # An S/MIME signature: a detached one holds no text; an opaque-signed part holds its
            # signed MIME entity in clear, read like an attached message.
            if signed:
                self.signed_entity(signed, part, origin, depth)
            return
        self.pgp_blocks(data, part, origin)
        if textual_body:
            self.body_text(data, node, content_type, part, origin)
        else:
            name = filename or origin
            if filename:
                # File names carry identifiers too ("Roe_Jane_labs.pdf").
                self.emit(part, filename, f"{origin} (file name)", "plain")
            self.attachment(
                data, name, content_type, node.get_content_charset(), part, origin, depth, 0
            )

    def signed_entity(self, data: bytes, part: str, origin: str, depth: int) -> None:
        if depth + 1 > self.limits.max_depth:
            self.problem(part, origin, "too-deep", "signed content nested too deep")
            return
        try:
            inner = email.message_from_bytes(data, policy=email.policy.compat32)
        except RecursionError:
            self.problem(part, origin, "too-deep", "signed content nested too deep to parse")
            return
        self.attached_message(inner, part, f"{origin} (signed content)", depth + 1)

    def pgp_blocks(self, data: bytes, part: str, origin: str) -> None:
        """Armored PGP messages that are not envelopes: their literal text, or a problem.

        A signed-only or compressed message looks like an encrypted one but a client shows its
        text, which the armor hides from a text scan.
        """
        for block in armored_messages(data):
            if envelope_kind(block) is not None:
                continue
            clear = openpgp_clear_content(block, self.limits.max_part_bytes)
            if clear is None:
                self.problem(
                    part, origin, "unknown-type", "PGP message block that is no readable OpenPGP"
                )
            else:
                self.emit(part, decode_document(clear), f"{origin} (OpenPGP literal data)", "plain")

    def unnamed(self, node: Message, content_type: str) -> str:
        cid = str(node.get("Content-ID", "")).strip("<> ")
        return (
            _UNSAFE_NAME.sub(" ", cid)[:80]
            or f"part{self.mime_index}.{content_type.rsplit('/', 1)[-1][:16]}"
        )

    def payload(self, node: Message, part: str, origin: str) -> bytes | None:
        try:
            raw = node.get_payload()
        except (ValueError, LookupError, UnicodeError) as exc:
            # A bad charset parameter breaks the stdlib's own re-decoding of 8-bit payloads.
            self.problem(part, origin, "corrupt", f"payload unreadable ({type(exc).__name__})")
            return None
        if isinstance(raw, list):
            return None
        encoding = str(node.get("Content-Transfer-Encoding", "")).strip().lower()
        estimate = len(raw) * 3 // 4 if encoding == "base64" else len(raw)
        if estimate > self.limits.max_part_bytes:
            self.problem(part, origin, "too-large", f"about {estimate // (1024 * 1024)} MiB")
            return None
        try:
            data = node.get_payload(decode=True)
        except (ValueError, LookupError, UnicodeError, binascii.Error) as exc:
            self.problem(
                part, origin, "corrupt", f"transfer encoding undecodable ({type(exc).__name__})"
            )
            return None
        if not isinstance(data, bytes):
            return None
        if (
            encoding == "base64"
            and isinstance(raw, str)
            and any(isinstance(d, InvalidBase64LengthDefect) for d in node.defects)
        ):
            # The stdlib gives up and returns the base64 text; salvage every whole quantum.
            data = lenient_b64decode(raw)
        if len(data) > self.limits.max_part_bytes:
            self.problem(part, origin, "too-large", f"{len(data) // (1024 * 1024)} MiB")
            return None
        if encoding not in ("base64", "quoted-printable"):
            data = unfold_smtp_lines(data)
        return data

    def body_text(
        self, data: bytes, node: Message, content_type: str, part: str, origin: str
    ) -> None:
        text, bad_charset = decode_bytes(data, node.get_content_charset())
        if bad_charset:
            self.problem(part, origin, "bad-charset", "charset label is not a text encoding")
        elif looks_garbled(text):
            self.problem(part, origin, "bad-charset", "text does not decode cleanly")
        if content_type == "text/rtf":
            self.emit(part, rtf_to_text(text), origin, "rtf")
        elif content_type in ("text/html", "text/enriched", "text/richtext"):
            self.emit(part, html_to_text(text), origin, "html")
        else:
            if content_type == "text/plain" and _param(node, "format") == "flowed":
                text = unflow(text, delsp=_param(node, "delsp") == "yes")
            self.emit(part, text, origin, "plain")

    # ------------------------------------------------------------ attachments

    def attachment(
        self,
        data: bytes,
        name: str,
        content_type: str,
        charset: str | None,
        part: str,
        origin: str,
        depth: int,
        zip_depth: int,
    ) -> None:
        kind = sniff(data, name, content_type)
        if kind == "zip":
            self.archive(data, part, origin, depth, zip_depth)
            return
        if kind == "message":
            if depth + 1 > self.limits.max_depth:
                self.problem(part, origin, "too-deep", "attached message nested too deep")
                return
            try:
                inner = email.message_from_bytes(data, policy=email.policy.compat32)
            except RecursionError:
                self.problem(part, origin, "too-deep", "attached message nested too deep to parse")
                return
            self.attached_message(inner, part, origin, depth + 1)
            return
        if self.out_of_time():
            self.problem(part, origin, "budget-exhausted", "no time left for this attachment")
            return
        result = self.document(data, kind, name, charset)
        for fragment in result.fragments:
            self.emit(part, fragment.text, origin + fragment.suffix, fragment.kind)
        for problem in result.problems:
            self.problem(part, origin + problem.suffix, problem.reason, problem.detail)
        for embedded in result.embedded:
            # A file inside a document (a PDF's attachment, an object in a DOCX) is scanned
            # like an attachment of its own.
            inner_origin = f"{origin}/{embedded.name}"
            if depth + 1 > self.limits.max_depth:
                self.problem(part, inner_origin, "too-deep", "embedded file nested too deep")
                continue
            if not self.take_leaf():
                continue
            self.emit(part, embedded.name, f"{inner_origin} (file name)", "plain")
            self.attachment(
                embedded.data, embedded.name, "", None, part, inner_origin, depth + 1, zip_depth
            )

    def archive(self, data: bytes, part: str, origin: str, depth: int, zip_depth: int) -> None:
        if zip_depth >= self.limits.zip_max_depth or depth + 1 > self.limits.max_depth:
            self.problem(part, origin, "too-deep", "archive nested too deep")
            return
        try:
            for member in iter_members(data, self.limits, self.zip_budget):
                member_origin = f"{origin}/{member.path}"
                if not self.take_leaf():
                    continue
                self.emit(part, member.path, f"{member_origin} (file name)", "plain")
                if member.data is None:
                    self.problem(part, member_origin, member.reason, member.detail)
                    continue
                self.attachment(
                    member.data,
                    member.path,
                    "",
                    None,
                    part,
                    member_origin,
                    depth + 1,
                    zip_depth + 1,
                )
        except UnscannableContent as exc:
            self.problem(part, origin, exc.reason, exc.detail)

    def document(self, data: bytes, kind: str, name: str, charset: str | None) -> AttachmentResult:
        key = (
            hashlib.sha256(data).digest(),
            kind,
            extension(name),
            (charset or "").lower(),
            self.limits,
        )
        if self.cache is not None:
            cached = self.cache.get(key)
            if cached is not None:
                return cached
        try:
            result = self.convert(data, kind, charset)
        except UnscannableContent as exc:
            result = AttachmentResult((), (AttachmentProblem("", exc.reason, exc.detail),))
        if self.cache is not None and not result.transient:
            self.cache.put(key, result)
        return result

    def convert(self, data: bytes, kind: str, charset: str | None) -> AttachmentResult:
        limits = self.limits
        if kind == "pdf":
            return pdf_result(data, limits, self.ocr, self.deadline)
        if kind in OFFICE_KINDS:
            return office_result(data, kind, limits, self.deadline)
        if kind == "image":
            return self.image(data)
        if kind == "ole-encrypted":
            raise UnscannableContent("encrypted-document", "password-protected Office document")
        if kind == "ole":
            raise UnscannableContent("unknown-type", "legacy Office (OLE) document")
        if kind == "unknown":
            raise UnscannableContent("unknown-type", "binary content of unknown type")
        if charset:
            text, bad_charset = decode_bytes(data, charset)
        else:
            text, bad_charset = decode_document(data), False
        result = _text_document(data, text, kind)
        if bad_charset:
            # Scanned with the fallback decoding, and reported: a reader's client may differ.
            problem = AttachmentProblem("", "bad-charset", "charset label is not a text encoding")
            return AttachmentResult(result.fragments, (*result.problems, problem), result.embedded)
        return result

    def image(self, data: bytes) -> AttachmentResult:
        size = image_size(data)
        if size is not None and size[0] < _MIN_OCR_SIDE and size[1] < _MIN_OCR_SIDE:
            return AttachmentResult((), ())  # a spacer or tracking pixel holds no text
        if not self.limits.ocr_enabled:
            raise UnscannableContent("ocr-unavailable", "OCR disabled")
        timeout = min(self.limits.ocr_timeout_s, self.deadline - time.monotonic())
        return _single(self.ocr.image_to_text(data, timeout), "ocr", " (ocr)")


def _text_document(data: bytes, text: str, kind: str) -> AttachmentResult:
    """A text-like attachment (RTF, HL7, HTML, JSON, XML, CSV, plain) as fragments."""
    if kind == "rtf":
        return _single(rtf_to_text(text), "rtf")
    if kind == "hl7":
        return _single(hl7_to_text(text), "hl7")
    if kind == "html":
        return _single(html_to_text(text), "html")
    if kind == "json":
        try:
            rendered = json_to_text(text)
        except UnscannableContent:
            return _single(text, "plain")  # still scan what is there
        return _single(rendered, "fhir" if '"resourceType"' in text else "plain")
    if kind == "xml":
        try:
            rendered = xml_to_text(data)
        except UnscannableContent:
            # Refused or broken XML is still scanned as raw text, which expands nothing.
            return _single(text, "plain")
        return _single(rendered, "ccda" if "ClinicalDocument" in text[:4096] else "plain")
    if kind == "csv":
        return _single(_csv_text(text), "csv")
    return _single(text, "plain")


def _csv_text(text: str) -> str:
    """A CSV as the detectors read tables: comma-, tab- or pipe-separated lines as they are; other
    delimiters (a semicolon, as European spreadsheets write) as tab-separated cells, one row a
    line, so a cell is read under its column's header."""
    dialect = csv_dialect(text)
    if dialect is None or dialect.delimiter in (",", "\t", "|"):
        return text
    rows = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        return "\n".join(
            "\t".join(" ".join(cell.replace("\t", " ").split()) for cell in row) for row in rows
        )
    except csv.Error:
        return text


def _single(text: str, kind: str, suffix: str = "") -> AttachmentResult:
    return AttachmentResult((Fragment(suffix, text, kind),) if text.strip() else (), ())
