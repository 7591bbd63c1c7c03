"""Text extraction from every part of an e-mail (headers, bodies, attachments) for PHI detection.

`extract_message` returns an `Extraction`: one `TextPart` per place that holds text, and one
`Unscannable` (with a stable reason code) per place that could not be read, so that a policy can
refuse to pass what was not scanned.
"""

from __future__ import annotations

from .cache import AttachmentCache
from .message import extract_message, extract_text_file
from .model import Extraction, ExtractLimits, TextPart, Unscannable, UnscannableContent
from .ocr import OcrEngine, TesseractOcr

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
