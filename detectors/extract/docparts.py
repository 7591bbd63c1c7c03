"""The text sections of one document, gathered within its character, file and time bounds."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from .archive import Package
from .model import (
    AttachmentProblem,
    AttachmentResult,
    Embedded,
    ExtractLimits,
    Fragment,
    UnscannableContent,
)

# Files carried inside one document (PDF attachments, OLE objects, packages in a DOCX).
MAX_EMBEDDED_FILES = 64


class DocumentText:
    """Sections of text, keyed by the origin suffix they are reported under, plus embedded files.

    Every section shares one character budget (`max_total_text_chars`); embedded files share
    one byte budget (`zip_max_total_uncompressed`) and a count. Going past any bound is
    recorded as a problem, so the rest is reported unscanned rather than silently dropped.
    """

    def __init__(self, kind: str, limits: ExtractLimits, deadline: float) -> None:
        self.kind = kind
        self.limits = limits
        self.deadline = deadline
        self.sections: dict[str, list[str]] = {}
        self.problems: list[AttachmentProblem] = []
        self.embedded: list[Embedded] = []
        self._chars_left = limits.max_total_text_chars
        self._bytes_left = limits.zip_max_total_uncompressed
        self._reported: set[str] = set()

    def add(self, suffix: str, lines: Iterable[str]) -> None:
        """Append non-blank lines to the section `suffix`, within the character budget."""
        section = self.sections.setdefault(suffix, [])
        for line in lines:
            if not line.strip():
                continue
            if self._chars_left <= 0:
                self.problem("too-large", "document text limit reached; rest not scanned")
                return
            line = line[: self._chars_left]
            self._chars_left -= len(line) + 1
            section.append(line)

    def embed(self, name: str, data: bytes) -> None:
        """Hand a file found inside the document to the walker, within the count and size."""
        if len(self.embedded) >= MAX_EMBEDDED_FILES:
            self.problem("too-many-parts", f"more than {MAX_EMBEDDED_FILES} embedded files")
            return
        if len(data) > self.limits.max_part_bytes or len(data) > self._bytes_left:
            self.problem("too-large", "embedded files beyond the size limit")
            return
        self._bytes_left -= len(data)
        self.embedded.append(Embedded(name or "embedded", data))

    def problem(self, reason: str, detail: str, suffix: str = "") -> None:
        """Record a problem once per reason and place."""
        key = f"{suffix}\x00{reason}"
        if key not in self._reported:
            self._reported.add(key)
            self.problems.append(AttachmentProblem(suffix, reason, detail))

    def out_of_time(self, where: str) -> bool:
        """True (and recorded) once the deadline has passed; `where` names the next step."""
        if time.monotonic() > self.deadline:
            self.problem("budget-exhausted", f"stopped before {where}")
            return True
        return False

    def result(self) -> AttachmentResult:
        """The sections as fragments (in the order first added), problems and embedded files."""
        fragments = tuple(
            Fragment(suffix, "\n".join(lines), self.kind)
            for suffix, lines in self.sections.items()
            if lines
        )
        return AttachmentResult(fragments, tuple(self.problems), tuple(self.embedded))


def read_package(
    data: bytes,
    kind: str,
    limits: ExtractLimits,
    deadline: float,
    read: Callable[[Package, DocumentText], None],
) -> DocumentText:
    """Open an office package and ``read`` it into sections; broken or hostile packages raise."""
    out = DocumentText(kind, limits, deadline)
    with Package(data, limits) as package:
        try:
            read(package, out)
        except UnscannableContent:
            raise
        except RecursionError as exc:
            raise UnscannableContent("too-deep", f"{kind.upper()} nested too deep") from exc
        except Exception as exc:  # noqa: BLE001 - hostile packages break parsers in many ways
            raise UnscannableContent(
                "corrupt", f"{kind.upper()} unreadable ({type(exc).__name__})"
            ) from exc
    return out
