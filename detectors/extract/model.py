"""Result objects and limits of text extraction."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from detectors.config import Cloneable

MIB = 1024 * 1024


@dataclass(frozen=True)
class TextPart:
    """Text pulled out of one place of a message; finding offsets index into `text`."""

    part: str
    text: str
    origin: str
    kind: str


@dataclass(frozen=True)
class Unscannable:
    """A place of a message that could not be turned into text, with a stable reason code."""

    part: str
    origin: str
    reason: str
    detail: str


@dataclass(frozen=True)
class Extraction:
    """Everything extracted from a message: the text parts and the parts that could not be read."""

    parts: tuple[TextPart, ...]
    unscannable: tuple[Unscannable, ...]

    def text_of(self, part: str) -> str:
        """Join the text of every TextPart labelled `part` (for tests and diagnostics)."""
        return "\n".join(p.text for p in self.parts if p.part == part)


@dataclass(frozen=True)
class ExtractLimits(Cloneable):
    """Bounds on the work spent on one message; every limit is finite."""

    max_parts: int = 500
    max_depth: int = 5
    max_part_bytes: int = 25 * MIB
    max_total_text_chars: int = 5_000_000
    zip_max_members: int = 1000
    zip_max_total_uncompressed: int = 100 * MIB
    zip_max_ratio: float = 100.0
    zip_max_depth: int = 3
    ocr_enabled: bool = True
    ocr_timeout_s: float = 20.0
    ocr_max_pages: int = 10
    time_budget_s: float = 30.0

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool):
                continue
            if not value > 0:
                raise ValueError(f"ExtractLimits.{field.name} must be positive")


class UnscannableContent(Exception):  # noqa: N818 - mirrors the Unscannable result it becomes
    """An attachment or part cannot be read; `reason` is a stable code, `detail` carries no PHI."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Fragment:
    """Text found inside one attachment; `suffix` is appended to the attachment's origin."""

    suffix: str
    text: str
    kind: str


@dataclass(frozen=True)
class AttachmentProblem:
    """An unreadable piece inside one attachment; `suffix` is appended to its origin."""

    suffix: str
    reason: str
    detail: str


@dataclass(frozen=True)
class Embedded:
    """A file carried inside a document (a PDF attachment, an OLE object in DOCX): scanned too."""

    name: str
    data: bytes


@dataclass(frozen=True)
class AttachmentResult:
    """What one attachment yielded, relative to its own name (so it can be cached)."""

    fragments: tuple[Fragment, ...]
    problems: tuple[AttachmentProblem, ...]
    # Files inside the document; the message walker scans each like an attachment of its own.
    embedded: tuple[Embedded, ...] = ()

    @property
    def transient(self) -> bool:
        """True when a time-dependent problem means the result must not be cached."""
        return any(p.reason in TRANSIENT_REASONS for p in self.problems)


TRANSIENT_REASONS = frozenset({"budget-exhausted", "ocr-timeout", "ocr-unavailable"})
