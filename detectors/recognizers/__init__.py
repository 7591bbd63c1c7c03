"""The PHI engine's cheap recognizers, in the order they run; duplicate names fail at start-up.

This is the engine's own ordered list, built from its config, not a second registry: pluggable
components (detectors, policy conditions, actions, encryptors, commands) are registered in the
gateway's one `gateway.registry.Registry`, and the PHI engine is one detector there.
"""

from __future__ import annotations

from typing import cast

from detectors.config import DetectorConfig
from detectors.recognizers.address import AddressRecognizer
from detectors.recognizers.base import RawMatch, Recognizer, RegexTimeout
from detectors.recognizers.contact import contact_recognizers
from detectors.recognizers.dates import AgeRecognizer, DateRecognizer
from detectors.recognizers.health import health_recognizers
from detectors.recognizers.identifiers import identifier_recognizers
from detectors.recognizers.names import NameRecognizer
from detectors.recognizers.national import DriverLicenceRecognizer, NationalIdRecognizer
from detectors.recognizers.postcodes import PostcodeRecognizer
from detectors.recognizers.records import PatientRecordRecognizer

__all__ = [
    "DuplicateRecognizer",
    "RawMatch",
    "Recognizer",
    "RegexTimeout",
    "default_recognizers",
]


class DuplicateRecognizer(ValueError):
    """Two recognizers registered under one name."""

    code = "duplicate_recognizer"


def default_recognizers(config: DetectorConfig) -> tuple[Recognizer, ...]:
    """The recognizers for ``config``, cheap ones first; a name used twice raises."""
    items: list[object] = [
        *identifier_recognizers(config.mrn_patterns),
        NationalIdRecognizer(),
        DriverLicenceRecognizer(),
        *contact_recognizers(),
        AddressRecognizer(),
        PostcodeRecognizer(),
        DateRecognizer(),
        AgeRecognizer(),
        *health_recognizers(),
        PatientRecordRecognizer(),
        NameRecognizer(),
    ]
    recognizers = tuple(cast(Recognizer, r) for r in items)
    seen: set[str] = set()
    for r in recognizers:
        if r.name in seen:
            raise DuplicateRecognizer(f"recognizer name registered twice: {r.name}")
        seen.add(r.name)
    return recognizers
