"""Header text a client can show never reaches an outsider in clear: a MIME part's own Subject
(protected headers), a forwarded message hidden behind base64, and an encoded-word inside a
header that also carries raw 8-bit text."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator

import pytest

from tests.security.cases import BENIGN, HEADER_PHI, MRN, SURNAME, b64, head
from tests.security.readable import leaked
from tests.security.scanned import flagged, scan_cases
from tests.support.leak import OUTSIDER, DefaultPolicyGateway, default_policy_gateway


def part_subject() -> bytes:
    return (
        head() + 'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        '--b1\r\nContent-Type: text/plain; charset=utf-8; protected-headers="v1"\r\n'
        f"Subject: {HEADER_PHI}\r\n\r\n{BENIGN}\r\n--b1--\r\n"
    ).encode()


def base64_forwarded_message() -> bytes:
    inner = (
        f"From: lab@hospital.example\r\nSubject: {HEADER_PHI}\r\n"
        f"Content-Type: text/plain\r\n\r\n{BENIGN}\r\n"
    ).encode()
    return (
        head() + 'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        f"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{BENIGN}\r\n"
        "--b1\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + b64(inner)
        + "--b1--\r\n"
    ).encode()


def encoded_word_beside_8bit_text() -> bytes:
    word = "=?utf-8?B?" + base64.b64encode(HEADER_PHI.encode()).decode() + "?="
    return (
        head(extra=f"X-Note: Zoë {word}\r\n") + f"Content-Type: text/plain\r\n\r\n{BENIGN}\r\n"
    ).encode()


CASES: dict[str, Callable[[], bytes]] = {
    f.__name__: f for f in (part_subject, base64_forwarded_message, encoded_word_beside_8bit_text)
}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DefaultPolicyGateway]:
    """One default-policy gateway for every case."""
    with default_policy_gateway(tmp_path_factory.mktemp("gw")) as gw:
        yield gw


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """`phigate scan --json` over every case."""
    return scan_cases(tmp_path_factory.mktemp("scan"), CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_header_text_is_not_delivered_in_clear(
    case: str, gateway: DefaultPolicyGateway, scanned: dict[str, dict]
) -> None:
    """The outsider cannot read the patient's text, and the scanner flags the message."""
    outcome = gateway.send(CASES[case](), [OUTSIDER])
    assert outcome.code == 250, outcome.reply
    assert leaked(outcome, OUTSIDER, MRN, SURNAME) == []
    assert flagged(scanned[case]), scanned[case]
