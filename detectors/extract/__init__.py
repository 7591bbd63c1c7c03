"""Text extraction from every part of an e-mail (headers, bodies, attachments) for PHI detection.

`extract_message` returns an `Extraction`: one `TextPart` per place that holds text, and one
`Unscannable` (with a stable reason code) per place that could not be read, so that a policy can
refuse to pass what was not scanned.

The names below are loaded from their modules when first used (PEP 562): the result types
(`detectors.extract.model`) and the envelope checks are light, the extractors (PDF, Office,
HTML, OCR) are not, and a gateway worker that scans in detection processes never needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cache import AttachmentCache
    from .message import extract_message, extract_text_file
    from .model import Extraction, ExtractLimits, TextPart, Unscannable, UnscannableContent
    from .ocr import OcrEngine, TesseractOcr

# Each public name and the module that defines it.
_WHERE = {
    "AttachmentCache": "cache",
    "ExtractLimits": "model",
    "Extraction": "model",
    "OcrEngine": "ocr",
    "TesseractOcr": "ocr",
    "TextPart": "model",
    "Unscannable": "model",
    "UnscannableContent": "model",
    "extract_message": "message",
    "extract_text_file": "message",
}

__all__ = [
    "AttachmentCache",
    "ExtractLimits",
    "Extraction",
    "OcrEngine",
    "TesseractOcr",
    "TextPart",
    "Unscannable",
    "UnscannableContent",
    "extract_message",
    "extract_text_file",
]


def __getattr__(name: str) -> Any:
    """A public name, from its module (imported on first use)."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
