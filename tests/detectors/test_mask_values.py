"""Masked previews keep shape, initials and at most four last digits (values worked by hand)."""

from __future__ import annotations

import pytest

from detectors.masking import mask


@pytest.mark.parametrize(
    ("value", "entity", "masked"),
    [
        ("Ann Lee", "PERSON", "A** L**"),
        ("123-45-6789", "US_SSN", "***-**-6789"),
        ("1234", "ZIP_CODE", "****"),
        ("ab", "MRN", "**"),
        ("Zoë-Ruiz 12", "STREET_ADDRESS", "Z**-**** **"),
        ("a_b", "MRN", "a_*"),
        ("MRN#A1b2", "MRN", "M**#****"),
        ("x²y", "MRN", "x**"),
        ("  Elm   St ", "STREET_ADDRESS", "E** **"),
    ],
)
def test_mask(value: str, entity: str, masked: str) -> None:
    """Letters and digits after the first character become '*'; the rest keeps its place."""
    assert mask(value, entity) == masked
