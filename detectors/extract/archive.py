"""ZIP archives read in memory, with every size checked before and while decompressing."""

from __future__ import annotations

import io
import lzma
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from .model import ExtractLimits, UnscannableContent

# Below this size a high compression ratio is normal (a page of spaces) and harmless.
_RATIO_FLOOR = 1024 * 1024
_READ_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Member:
    """One regular file of an archive: its path and bytes, or the reason it was not read."""

    path: str
    data: bytes | None
    reason: str = ""
    detail: str = ""


class ZipBudget:
    """Uncompressed bytes still allowed for one message, shared by nested archives."""

    def __init__(self, total: int) -> None:
        self.left = total

    def take(self, size: int) -> None:
        """Spend `size` bytes; raise once the message's archive budget is gone."""
        self.left -= size
        if self.left < 0:
            raise UnscannableContent("zip-bomb", "archives expand beyond the size limit")


def open_zip(data: bytes) -> zipfile.ZipFile:
    """Open a ZIP held in memory; a broken one raises UnscannableContent('corrupt')."""
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        ValueError,
        OSError,
        EOFError,
    ) as exc:
        raise UnscannableContent("corrupt", f"ZIP unreadable ({type(exc).__name__})") from exc


def check_container(data: bytes, limits: ExtractLimits) -> None:
    """Refuse an OOXML or OpenDocument container whose parts would expand too far."""
    with open_zip(data) as archive:
        infos = archive.infolist()
        if len(infos) > limits.zip_max_members:
            raise UnscannableContent("too-many-parts", f"{len(infos)} parts in the document")
        total = 0
        for info in infos:
            _check_member(info, limits)
            total += info.file_size
        if total > limits.zip_max_total_uncompressed:
            raise UnscannableContent("zip-bomb", "document expands beyond the size limit")


def _check_member(info: zipfile.ZipInfo, limits: ExtractLimits) -> None:
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > _RATIO_FLOOR and ratio > limits.zip_max_ratio:
        raise UnscannableContent("zip-bomb", f"compression ratio over {limits.zip_max_ratio:.0f}")
    if info.file_size > limits.max_part_bytes:
        raise UnscannableContent("too-large", f"member of {info.file_size} bytes")


def iter_members(data: bytes, limits: ExtractLimits, budget: ZipBudget) -> Iterator[Member]:
    """Yield each file of the archive; unreadable ones carry a reason instead of data.

    Raises UnscannableContent for the archive as a whole (corrupt, too many members, bomb).
    """
    with open_zip(data) as archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if len(infos) > limits.zip_max_members:
            raise UnscannableContent("too-many-parts", f"{len(infos)} members in the archive")
        declared = sum(i.file_size for i in infos)
        if declared > limits.zip_max_total_uncompressed:
            raise UnscannableContent("zip-bomb", "archive declares more than the size limit")
        for info in infos:
            if info.flag_bits & 0x1:
                yield Member(info.filename, None, "encrypted-zip", "password-protected member")
                continue
            try:
                _check_member(info, limits)
            except UnscannableContent as exc:
                if exc.reason == "zip-bomb":
                    raise
                yield Member(info.filename, None, exc.reason, exc.detail)
                continue
            yield _read_member(archive, info, limits, budget)


def _read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ExtractLimits, budget: ZipBudget
) -> Member:
    limit = min(limits.max_part_bytes, info.file_size)
    chunks: list[bytes] = []
    size = 0
    try:
        with archive.open(info) as stream:
            while True:
                # Never trust the declared size: read in bounded chunks and count.
                chunk = stream.read(min(_READ_CHUNK, limit + 1 - size))
                if not chunk:
                    break
                size += len(chunk)
                budget.take(len(chunk))
                if size > limit:
                    raise UnscannableContent("zip-bomb", "member larger than declared")
                chunks.append(chunk)
    except (
        zipfile.BadZipFile,
        NotImplementedError,
        ValueError,
        OSError,
        EOFError,
        zlib.error,
        lzma.LZMAError,
    ) as exc:
        return Member(info.filename, None, "corrupt", f"member unreadable ({type(exc).__name__})")
    except RuntimeError as exc:
        return Member(
            info.filename, None, "encrypted-zip", f"member unreadable ({type(exc).__name__})"
        )
    return Member(info.filename, b"".join(chunks))


class Package:
    """An OOXML or OpenDocument container: checked once, then members read within the bounds.

    Part names are matched without regard to case, as OPC requires. Every read counts against
    one budget, since declared sizes may lie; any failure raises, so a document is read whole
    or reported, never half-read in silence.
    """

    def __init__(self, data: bytes, limits: ExtractLimits) -> None:
        check_container(data, limits)
        self._zip = open_zip(data)
        self._limits = limits
        self._budget = ZipBudget(limits.zip_max_total_uncompressed)
        self._infos: dict[str, zipfile.ZipInfo] = {}
        for info in self._zip.infolist():
            if not info.is_dir():
                self._infos.setdefault(info.filename.lower(), info)

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._zip.close()

    @property
    def names(self) -> list[str]:
        """Every member's name as stored, in archive order."""
        return [info.filename for info in self._infos.values()]

    def has(self, name: str) -> bool:
        """Whether a member of that name (any case) exists."""
        return name.lower() in self._infos

    def read(self, name: str) -> bytes | None:
        """The member's bytes, None when absent; encrypted, corrupt or oversized ones raise."""
        info = self._infos.get(name.lower())
        if info is None:
            return None
        if info.flag_bits & 0x1:
            raise UnscannableContent("encrypted-document", "password-protected document part")
        member = _read_member(self._zip, info, self._limits, self._budget)
        if member.data is None:
            raise UnscannableContent(member.reason, member.detail)
        return member.data
