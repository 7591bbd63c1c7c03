"""MAIL/RCPT addresses the relay quotes itself go out as aiosmtplib's own quoting sends them."""

from __future__ import annotations

import pytest
from aiosmtplib.email import quote_address

from gateway.delivery.relay import _quoted

ADDRESSES = [
    "a@b.example",
    "",
    "x.y+tag@host-1.example",
    "o'brien@clinic.example",
    "user@example.org.",
    "ärztin@praxis.example",
    # not plain: left to aiosmtplib
    "a b@c.example",
    '"quoted local"@x.example',
    "a@[192.0.2.1]",
    "a(comment)@b.example",
    "Name <a@b.example>",
    "a<@b.example",
    "a,b@c.example",
]


@pytest.mark.parametrize("address", ADDRESSES)
def test_a_plain_address_is_quoted_as_aiosmtplib_quotes_it(address: str) -> None:
    quoted = _quoted(address, "utf-8")
    if quoted is None:
        return  # aiosmtplib's own quote_address handles it, errors included
    assert quoted == quote_address(address).encode("utf-8")


@pytest.mark.parametrize(
    "address", ["a b@c.example", '"q"@x.example', "a(c)@b.example", "N <a@b.example>", "a\r\nb"]
)
def test_anything_parseaddr_would_change_or_refuse_is_not_quoted_here(address: str) -> None:
    assert _quoted(address, "utf-8") is None
