"""One clone() for every immutable settings object (pydantic models and frozen dataclasses)."""

from __future__ import annotations

from typing import Any

import pytest

from detectors.config import Cloneable, DetectorConfig
from detectors.extract.model import ExtractLimits
from gateway.config import Settings
from gateway.portal import PortalRuntime

RUNTIME = PortalRuntime(
    practice_name="Practice",
    portal_from="p@x.example",
    practice_address="a@x.example",
    help_text="",
)


@pytest.mark.parametrize(
    ("settings", "field", "value"),
    [
        (Settings(), "workers", 3),
        (DetectorConfig(), "max_part_chars", 5_000),
        (ExtractLimits(), "max_parts", 7),
        (RUNTIME, "max_failed_codes", 2),
    ],
    ids=["gateway", "detectors", "extract", "portal"],
)
def test_clone_changes_a_copy_and_refuses_unknown_names(
    settings: Cloneable, field: str, value: Any
) -> None:
    """clone() returns a changed copy, leaves the original alone and names unknown keys."""
    before = getattr(settings, field)
    changed = settings.clone(**{field: value})
    assert type(changed) is type(settings)
    assert getattr(changed, field) == value and getattr(settings, field) == before
    with pytest.raises(TypeError, match="unknown settings: nope"):
        settings.clone(nope=1)


def test_clone_validates_models() -> None:
    """A pydantic settings model validates the changed copy."""
    with pytest.raises(ValueError):
        DetectorConfig().clone(max_part_chars=1)
