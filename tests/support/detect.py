"""Stand-ins for the detectors' inputs, for tests that call the engine directly."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Part:
    """A minimal stand-in for detectors.extract.TextPart."""

    part: str
    text: str
    kind: str = "plain"
