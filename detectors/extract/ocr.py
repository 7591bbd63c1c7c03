"""OCR through the tesseract binary, in a subprocess that is killed on timeout."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess  # noqa: S404 - tesseract is run with a fixed argument list, never a shell
from dataclasses import dataclass
from typing import Protocol

from .model import UnscannableContent


class OcrEngine(Protocol):
    """Turns one image (PNG, JPEG, TIFF, GIF, BMP or PNM bytes) into text."""

    def image_to_text(self, image: bytes, timeout_s: float) -> str:
        """Return the recognised text; raise UnscannableContent on failure."""
        ...


@dataclass(frozen=True)
class TesseractOcr:
    """See OcrEngine; runs `tesseract stdin stdout` so no image touches the disk."""

    binary: str | None = None
    language: str = "eng"

    def resolve(self) -> str | None:
        """The tesseract executable to run, or None when it is not installed."""
        if self.binary is not None:
            return self.binary if os.access(self.binary, os.X_OK) else None
        return shutil.which("tesseract")

    def image_to_text(self, image: bytes, timeout_s: float) -> str:
        """See OcrEngine."""
        binary = self.resolve()
        if binary is None:
            raise UnscannableContent("ocr-unavailable", "tesseract is not installed")
        if timeout_s <= 0:
            raise UnscannableContent("budget-exhausted", "no time left for OCR")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            # One thread: the gateway runs several scans at once on few cores.
            "OMP_THREAD_LIMIT": "1",
        }
        try:
            proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                [binary, "stdin", "stdout", "-l", self.language],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                start_new_session=True,
            )
        except OSError as exc:
            raise UnscannableContent(
                "ocr-unavailable", f"cannot start tesseract: {exc.errno}"
            ) from exc
        try:
            out, _err = proc.communicate(image, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            proc.communicate()
            raise UnscannableContent(
                "ocr-timeout", f"tesseract ran over {timeout_s:.1f}s"
            ) from None
        if proc.returncode != 0:
            raise UnscannableContent("corrupt", f"tesseract exit status {proc.returncode}")
        return out.decode("utf-8", errors="replace")


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        return
