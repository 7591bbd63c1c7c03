"""`one_step_init`: a frozen dataclass that sets its fields in one step is the same dataclass."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass, field
from typing import Any

import pytest

from detectors.findings import Finding, one_step_init
from detectors.recognizers.base import RawMatch


@dataclass(frozen=True)
class Plain:
    entity: str
    start: int
    score: float = 0.5
    role: str = ""


@one_step_init
@dataclass(frozen=True)
class Fast:
    entity: str
    start: int
    score: float = 0.5
    role: str = ""


CALLS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    (("PERSON", 3), {}),
    (("PERSON", 3, 0.9), {}),
    (("PERSON", 3, 0.9, "patient"), {}),
    (("PERSON",), {"start": 3, "role": "staff"}),
    ((), {"entity": "PHONE", "start": 7, "score": 0.1}),
]


@pytest.mark.parametrize(("args", "kwargs"), CALLS)
def test_it_takes_the_same_arguments_and_gives_the_same_values(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    plain, fast = Plain(*args, **kwargs), Fast(*args, **kwargs)
    assert dataclasses.asdict(fast) == dataclasses.asdict(plain)
    assert repr(fast) == repr(plain).replace("Plain(", "Fast(")
    assert fast == Fast(*args, **kwargs) and hash(fast) == hash(Fast(*args, **kwargs))
    assert fast != Fast("OTHER", 0)


def test_it_refuses_what_the_dataclass_refuses() -> None:
    with pytest.raises(TypeError):
        Fast("PERSON")  # type: ignore[call-arg]  # start is required
    with pytest.raises(TypeError):
        Fast("PERSON", 3, colour="red")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Fast("PERSON", 3, 0.5, "", "extra")  # type: ignore[call-arg]
    fast = Fast("PERSON", 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.role = "patient"  # type: ignore[misc]


def test_replace_and_pickle_keep_working() -> None:
    fast = Fast("PERSON", 3, role="patient")
    assert dataclasses.replace(fast, start=9) == Fast("PERSON", 9, role="patient")
    assert pickle.loads(pickle.dumps(fast)) == fast


def test_a_default_is_not_shared_state() -> None:
    """Defaults are bound once, as the dataclass binds them: two instances, same default."""
    assert Fast("A", 1).score == Fast("B", 2).score == 0.5
    assert Fast("A", 1).__dict__ == {"entity": "A", "start": 1, "score": 0.5, "role": ""}


def test_fields_it_cannot_set_in_one_step_are_refused_at_definition() -> None:
    with pytest.raises(TypeError, match="plain fields"):

        @one_step_init
        @dataclass(frozen=True)
        class WithFactory:
            tags: list[str] = field(default_factory=list)

    with pytest.raises(TypeError, match="__post_init__"):

        @one_step_init
        @dataclass(frozen=True)
        class WithPostInit:
            value: int

            def __post_init__(self) -> None:
                pass


def test_the_scan_records_use_it_and_keep_their_defaults() -> None:
    raw = RawMatch("PERSON", 1, 5, 0.8, "identifier", "person_cues")
    assert raw.role == ""
    assert raw == RawMatch(
        entity="PERSON",
        start=1,
        end=5,
        score=0.8,
        category="identifier",
        recognizer="person_cues",
        role="",
    )
    found = Finding("US_SSN", "body", 0, 11, 0.9, "us_ssn", "***-**-6789", "identifier")
    assert found.role == "" and found.describe() == "US_SSN@body[***-**-6789]"
    assert RawMatch.__init__.__qualname__ == "RawMatch.__init__"
    assert "_set" in RawMatch.__init__.__globals__  # the one-step form, not the dataclass's
