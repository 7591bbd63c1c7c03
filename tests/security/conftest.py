"""Fixtures the leak regressions share: one default-policy gateway per test module, and the
scanner's verdicts on the module's CASES."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.leak import DefaultPolicyGateway, default_policy_gateway, scan_cases


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
