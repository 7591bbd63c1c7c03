"""The one registry of cheap recognizers; duplicate names fail at start-up."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from detectors.config import DetectorConfig
from detectors.recognizers.address import AddressRecognizer
from detectors.recognizers.base import RawMatch, Recognizer, RegexTimeout
from detectors.recognizers.contact import contact_recognizers
from detectors.recognizers.dates import AgeRecognizer, DateRecognizer
from detectors.recognizers.health import health_recognizers
from detectors.recognizers.identifiers import identifier_recognizers
from detectors.recognizers.names import NameRecognizer

__all__ = [
    "DuplicateRecognizer",
    "RawMatch",
    "Recognizer",
    "RecognizerRegistry",
    "RegexTimeout",
    "build_registry",
]


class DuplicateRecognizer(ValueError):
    """Two recognizers registered under one name."""

    code = "duplicate_recognizer"


class RecognizerRegistry:
    """Recognizers by name, in registration order (cheap ones first)."""

    def __init__(self, recognizers: Iterable[Recognizer] = ()) -> None:
        self._by_name: dict[str, Recognizer] = {}
        for r in recognizers:
            self.add(r)

    def add(self, recognizer: Recognizer) -> None:
        """Register one recognizer; a duplicate name raises DuplicateRecognizer."""
        if recognizer.name in self._by_name:
            raise DuplicateRecognizer(f"recognizer name registered twice: {recognizer.name}")
        self._by_name[recognizer.name] = recognizer

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def names(self) -> tuple[str, ...]:
        """Registered names in order."""
        return tuple(self._by_name)

    def get(self, name: str) -> Recognizer:
        """Return the recognizer registered under ``name`` (KeyError if none)."""
        return self._by_name[name]


def build_registry(config: DetectorConfig) -> RecognizerRegistry:
    """Build the default registry for ``config``."""
    items: list[object] = [
        *identifier_recognizers(config.mrn_patterns),
        *contact_recognizers(),
        AddressRecognizer(),
        DateRecognizer(),
        AgeRecognizer(),
        *health_recognizers(),
        NameRecognizer(),
    ]
    return RecognizerRegistry(cast(Recognizer, r) for r in items)
