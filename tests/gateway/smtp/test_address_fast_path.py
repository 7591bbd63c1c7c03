"""The fast path for plain MAIL/RCPT addresses gives exactly what aiosmtpd's own parser gives."""

from __future__ import annotations

import pytest
from aiosmtpd.smtp import SMTP

from gateway.smtp.front import GatewaySMTP

ARGS = [
    "<a@partner.example>",
    "<a@partner.example> SIZE=5120 BODY=8BITMIME",
    "<first.last+tag@sub.partner.example>",
    "<o'brien@partner.example>",
    "<x!#$%&'*+/=?^_`{|}~-y@partner.example>",
    "<A.B.C@PARTNER.EXAMPLE>SIZE=1",
    "<a@b>",
    "<a@b>\t \tSIZE=1",
    "<a@b> (a comment) SIZE=1",
    "<a@b>(c)",
    "<a@b> \x00",
    "<a@partner.example>>",
    "<>",
    "",
    " <a@partner.example>",
    "<a..b@partner.example>",
    "<.a@partner.example>",
    "<a.@partner.example>",
    "<a@partner..example>",
    '<"quoted local"@partner.example>',
    "<@route.example:a@partner.example>",
    "<a@[127.0.0.1]>",
    "<a (comment)@partner.example>",
    "<a@partner.example",
    "a@partner.example",
    "<ü@partner.example>",
    "<a@partner.example> <b@partner.example>",
    "<" + "l" * 65 + "@partner.example>",
    "<" + "l" * 64 + "@partner.example>",
]


class _Probe(GatewaySMTP):
    """Just enough of the protocol to call _getaddr without a gateway."""

    def __init__(self) -> None:
        self.local_part_limit = 64


class _Stock(SMTP):
    """aiosmtpd's own parser, with the same local-part limit."""

    def __init__(self) -> None:
        self.local_part_limit = 64


@pytest.mark.parametrize("arg", ARGS)
def test_fast_path_matches_aiosmtpd(arg: str):
    """Every argument parses to the same address and remainder as aiosmtpd's own parser."""
    assert _Probe()._getaddr(arg) == _Stock()._getaddr(arg)
