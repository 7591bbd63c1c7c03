"""A session's command, AUTH and hook tables are the ones aiosmtpd itself builds."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from aiosmtpd.smtp import SMTP

from gateway.app import Gateway
from gateway.smtp.front import GatewayHandler, GatewaySMTP
from tests.support.gateway import make_settings


class _StockSetup(GatewaySMTP):
    """GatewaySMTP whose tables aiosmtpd builds its own way (every member listed)."""

    def __init__(self, handler: GatewayHandler, **kwargs: Any) -> None:
        self.line_length_limit = handler.gateway.settings.smtp.max_line_length + 3
        self._listing = True
        SMTP.__init__(self, handler, authenticator=self._note_credentials, **kwargs)


@pytest.fixture
def handler(tmp_path: Path) -> Iterator[GatewayHandler]:
    settings = make_settings(tmp_path, 2525)
    h = GatewayHandler(cast(Gateway, SimpleNamespace(settings=settings)))
    try:
        yield h
    finally:
        h.close()


def _functions(table: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {name: (method.__func__, method.__self__) for name, method in table.items()}


@pytest.mark.parametrize("exclude", [None, ["LOGIN"]])
def test_the_tables_match_aiosmtpds_own(handler: GatewayHandler, exclude: list[str] | None) -> None:
    loop = asyncio.new_event_loop()
    try:
        kwargs: dict[str, Any] = {"hostname": "gw.example", "loop": loop}
        if exclude:
            kwargs["auth_exclude_mechanism"] = exclude
        for _ in range(2):  # the first session finds the names, the second reuses them
            ours = GatewaySMTP(handler, **kwargs)
            stock = _StockSetup(handler, **kwargs)
            assert list(ours._smtp_methods) == list(stock._smtp_methods)
            assert {"DATA", "EHLO", "MAIL", "RCPT", "QUIT", "AUTH"} <= set(ours._smtp_methods)
            ours_cmds = _functions(ours._smtp_methods)
            stock_cmds = _functions(stock._smtp_methods)
            assert {k: f for k, (f, _) in ours_cmds.items()} == {
                k: f for k, (f, _) in stock_cmds.items()
            }
            assert all(bound is ours for _, bound in ours_cmds.values())
            assert sorted(ours._auth_methods) == sorted(stock._auth_methods)
            assert sorted(ours._auth_methods) == (["PLAIN"] if exclude else ["LOGIN", "PLAIN"])
            for name, attr in ours._auth_methods.items():
                method: Any = attr.method
                reference: Any = stock._auth_methods[name].method
                assert attr.is_builtin == stock._auth_methods[name].is_builtin
                assert method.__func__ is reference.__func__
                assert method.__self__ is ours
            assert _functions(ours._handle_hooks) == _functions(stock._handle_hooks)
            assert set(ours._handle_hooks) >= {"DATA", "EHLO", "MAIL", "RCPT"}
            assert ours._ehlo_hook_ver == stock._ehlo_hook_ver == "new"
            # The listing shows the protocol's methods again once the session is set up.
            assert "smtp_DATA" in dir(ours) and "handle_DATA" in dir(handler)
    finally:
        loop.close()
