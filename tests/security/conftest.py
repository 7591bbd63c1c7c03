"""Fixtures the leak regressions share: one default-policy gateway per test module, the
scanner's verdicts on the module's CASES, and the check every leak case ends with."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.leak import (
    MRN,
    OUTSIDER,
    SURNAME,
    DefaultPolicyGateway,
    NotInClear,
    Outcome,
    default_policy_gateway,
    scan_cases,
)
from tests.support.readable import assert_not_delivered_in_clear

#: Sends a case's message to the outsider and checks it was not delivered in clear.


@pytest.fixture(scope="module")
def leak_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DefaultPolicyGateway]:
    """One gateway on the shipped default policy, shared by every case of a test module."""
    with default_policy_gateway(tmp_path_factory.mktemp("gw")) as gw:
        yield gw


@pytest.fixture(scope="module")
def scanned(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict]:
    """`phigate scan --json` run once over the test module's CASES (name -> builder), by name."""
    return scan_cases(tmp_path_factory.mktemp("scan"), request.module.CASES)


@pytest.fixture
def not_in_clear(leak_gateway: DefaultPolicyGateway, scanned: dict[str, dict]) -> NotInClear:
    """Send case `case`'s message to the outsider: accepted, the patient's MRN and surname
    unreadable to them, and the scanner flags the same case; the outcome is returned."""

    def send(case: str, raw: bytes) -> Outcome:
        outcome = leak_gateway.send(raw, [OUTSIDER])
        assert_not_delivered_in_clear(outcome, scanned[case], MRN, SURNAME)
        return outcome

    return send
