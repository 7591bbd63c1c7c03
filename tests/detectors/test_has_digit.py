"""`gates.has_digit`: the recognizers' "any digit here?" is str.isdigit's answer for every text."""

from __future__ import annotations

import sys

import pytest

from detectors.recognizers.gates import has_digit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", False),
        ("no digits at all, only words.", False),
        ("room 4", True),
        ("9", True),
        ("x²", True),  # a superscript two is a digit to str.isdigit, and not ASCII
        ("رقم ٣", True),  # an Arabic-Indic three
        ("Ⅻ and ½", False),  # numerals and fractions that str.isdigit refuses
        ("café au lait", False),  # not ASCII, no digit
    ],
)
def test_examples(text: str, expected: bool) -> None:
    assert has_digit(text) is expected


def test_every_code_point_as_str_isdigit_says() -> None:
    """Each character alone and inside ASCII and non-ASCII words: the same as str.isdigit."""
    wrong = [
        cp
        for cp in range(sys.maxunicode + 1)
        if not 0xD800 <= cp <= 0xDFFF
        and not (
            has_digit(chr(cp)) is chr(cp).isdigit()
            and has_digit(f"ab{chr(cp)}cd") is chr(cp).isdigit()
            and has_digit(f"é{chr(cp)}") is chr(cp).isdigit()
        )
    ]
    assert wrong == []
