"""The recipient-probe cache: positive next-hop answers are reused for a short time, refusals never."""

from __future__ import annotations

import smtplib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP as AioSMTP
from aiosmtpd.smtp import Envelope, Session

from gateway.delivery.probes import ProbeCache, ProbeConditions
from gateway.model import Reply
from tests.support.gateway import (
    SinkController,
    SinkHandler,
    free_port,
    make_settings,
    port_of,
    running_gateway,
)

OK = 250
NO_SUCH_USER = 550
TOO_MANY = 452
REFUSAL = "550 5.1.1 No such user here"
SENDER = "desk@practice.example"
MESSAGE = (
    b"From: desk@practice.example\r\nTo: a@partner.example\r\nSubject: Hours\r\n"
    b"Message-ID: <probe-%d@practice.example>\r\n\r\nClosed Friday.\r\n"
)
PLAIN = ProbeConditions("opportunistic", False, False)


@dataclass
class CountingSink(SinkHandler):
    """A next hop that counts every RCPT it is offered, per address."""

    def __post_init__(self) -> None:
        self.rcpts: dict[str, int] = {}

    async def handle_RCPT(
        self,
        server: AioSMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        options: list[str],
    ) -> str:
        """See SinkHandler; counts the offer first."""
        with self.lock:
            self.rcpts[address] = self.rcpts.get(address, 0) + 1
        return await super().handle_RCPT(server, session, envelope, address, options)


@contextmanager
def counting_sink() -> Iterator[tuple[CountingSink, int]]:
    """A counting next hop on a free loopback port."""
    handler = CountingSink()
    port = free_port()
    ctl = SinkController(handler, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        yield handler, port
    finally:
        ctl.stop()


def _rcpt_then_data(port: int, rcpt: str, n: int) -> tuple[int, int]:
    """One message to one recipient: the RCPT code, then the DATA code (0 if not reached)."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        s.ehlo()
        s.mail(SENDER)
        code, _ = s.rcpt(rcpt)
        if code != OK:
            return code, 0
        data_code, _ = s.data(MESSAGE % n)
        return code, data_code


def test_an_accepted_recipient_is_probed_once_within_the_ttl(tmp_path: Path) -> None:
    """Three messages to one recipient: one probe and three deliveries reach the next hop."""
    with counting_sink() as (sink, port):
        settings = make_settings(tmp_path, port, delivery={"probe_cache_ttl": 600})
        with running_gateway(settings) as gw:
            for n in range(3):
                assert _rcpt_then_data(port_of(gw), "a@partner.example", n) == (OK, OK)
    assert sink.rcpts["a@partner.example"] == 1 + 3
    assert len(sink.messages) == 3


def test_with_ttl_zero_every_rcpt_is_probed(tmp_path: Path) -> None:
    """probe_cache_ttl 0 asks the next hop on every RCPT, as before the cache."""
    with counting_sink() as (sink, port):
        settings = make_settings(tmp_path, port, delivery={"probe_cache_ttl": 0})
        with running_gateway(settings) as gw:
            for n in range(3):
                assert _rcpt_then_data(port_of(gw), "a@partner.example", n) == (OK, OK)
    assert sink.rcpts["a@partner.example"] == 2 * 3


def test_a_refused_recipient_is_asked_every_time(tmp_path: Path) -> None:
    """A refusal is never kept: each RCPT goes to the next hop and gets its 550."""
    with counting_sink() as (sink, port):
        sink.rcpt_replies["gone@partner.example"] = REFUSAL
        settings = make_settings(tmp_path, port, delivery={"probe_cache_ttl": 600})
        with running_gateway(settings) as gw:
            for n in range(3):
                assert _rcpt_then_data(port_of(gw), "gone@partner.example", n) == (
                    NO_SUCH_USER,
                    0,
                )
    assert sink.rcpts["gone@partner.example"] == 3
    assert sink.messages == []


def test_a_recipient_that_became_invalid_is_refused_after_the_ttl(tmp_path: Path) -> None:
    """Once the TTL has passed, a recipient the next hop now refuses gets its 550 at RCPT."""
    ttl = 0.5
    with counting_sink() as (sink, port):
        settings = make_settings(tmp_path, port, delivery={"probe_cache_ttl": ttl})
        with running_gateway(settings) as gw:
            assert _rcpt_then_data(port_of(gw), "a@partner.example", 0) == (OK, OK)
            sink.rcpt_replies["a@partner.example"] = REFUSAL
            time.sleep(ttl * 3)
            assert _rcpt_then_data(port_of(gw), "a@partner.example", 1) == (NO_SUCH_USER, 0)
    assert len(sink.messages) == 1


def test_a_recipient_refused_within_the_ttl_gets_the_refusal_at_data_then_at_rcpt(
    tmp_path: Path,
) -> None:
    """A stale positive is never a delivery: DATA gets the next hop's 550, then RCPT does."""
    with counting_sink() as (sink, port):
        settings = make_settings(tmp_path, port, delivery={"probe_cache_ttl": 600})
        with running_gateway(settings) as gw:
            assert _rcpt_then_data(port_of(gw), "a@partner.example", 0) == (OK, OK)
            sink.rcpt_replies["a@partner.example"] = REFUSAL
            assert _rcpt_then_data(port_of(gw), "a@partner.example", 1) == (OK, NO_SUCH_USER)
            assert _rcpt_then_data(port_of(gw), "a@partner.example", 2) == (NO_SUCH_USER, 0)
    assert len(sink.messages) == 1


def test_another_sender_is_probed_on_its_own(tmp_path: Path) -> None:
    """The answer is kept per sender and recipient: the next hop may judge senders apart."""
    with counting_sink() as (sink, port):
        settings = make_settings(tmp_path, port, delivery={"probe_cache_ttl": 600})
        with running_gateway(settings) as gw, smtplib.SMTP("127.0.0.1", port_of(gw)) as s:
            s.ehlo()
            for sender in (SENDER, "billing@practice.example"):
                assert s.mail(sender)[0] == OK
                assert s.rcpt("a@partner.example")[0] == OK
                s.rset()
    assert sink.rcpts["a@partner.example"] == 2


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_cache_keeps_positives_until_they_expire() -> None:
    """A 250 is kept for the TTL and gone after it."""
    clock = FakeClock()
    cache = ProbeCache(10.0, clock=clock)
    cache.put(SENDER, "a@partner.example", PLAIN, Reply(250, "2.1.5", "OK"))
    clock.now = 9.9
    assert cache.get(SENDER, "a@partner.example", PLAIN) == Reply(250, "2.1.5", "OK")
    clock.now = 10.0
    assert cache.get(SENDER, "a@partner.example", PLAIN) is None


def test_cache_never_keeps_a_refusal_or_a_temporary_failure() -> None:
    """4xx and 5xx answers are not kept."""
    cache = ProbeCache(10.0)
    for reply in (Reply(550, "5.1.1", "no"), Reply(450, "4.2.1", "busy"), Reply(451, "4.4.2", "x")):
        cache.put(SENDER, "a@partner.example", PLAIN, reply)
    assert cache.get(SENDER, "a@partner.example", PLAIN) is None
    assert len(cache) == 0


def test_cache_answers_only_under_the_same_conditions() -> None:
    """An answer given under opportunistic TLS is not reused when verify is required."""
    cache = ProbeCache(10.0)
    cache.put(SENDER, "a@partner.example", PLAIN, Reply(250, "2.1.5", "OK"))
    assert cache.get(SENDER, "a@partner.example", ProbeConditions("verify", False, False)) is None
    assert (
        cache.get(SENDER, "a@partner.example", ProbeConditions(*("opportunistic", True, False)))
        is None
    )


def test_cache_is_bounded_and_holds_no_address_in_clear() -> None:
    """The oldest entries go past the bound, and the table holds hashes, not addresses."""
    cache = ProbeCache(10.0, max_entries=2)
    for i in range(3):
        cache.put(SENDER, f"r{i}@partner.example", PLAIN, Reply(250, "2.1.5", "OK"))
    assert len(cache) == 2
    assert cache.get(SENDER, "r0@partner.example", PLAIN) is None
    assert cache.get(SENDER, "r2@partner.example", PLAIN) is not None
    assert all(b"partner" not in key for key in cache._entries)


def test_ttl_zero_keeps_nothing() -> None:
    """A cache with TTL 0 is off."""
    cache = ProbeCache(0.0)
    cache.put(SENDER, "a@partner.example", PLAIN, Reply(250, "2.1.5", "OK"))
    assert cache.get(SENDER, "a@partner.example", PLAIN) is None


def test_a_cached_recipient_is_answered_without_the_probe_path(tmp_path: Path) -> None:
    """Within the TTL a RCPT is answered from the cache on the spot: the probe path (a task of
    its own) runs only for the first message, and the limit on recipients still applies."""
    with counting_sink() as (sink, port):
        settings = make_settings(
            tmp_path, port, delivery={"probe_cache_ttl": 600}, smtp={"max_recipients": 1}
        )
        with running_gateway(settings) as gw:
            assert gw.gateway is not None
            checks: list[str] = []
            check_recipient = gw.gateway.check_recipient

            async def counted(mail_from: str, address: str, **kwargs: Any) -> Reply:
                checks.append(address)
                return await check_recipient(mail_from, address, **kwargs)

            gw.gateway.check_recipient = counted  # type: ignore[method-assign]
            for n in range(3):
                assert _rcpt_then_data(port_of(gw), "a@partner.example", n) == (OK, OK)
            with smtplib.SMTP("127.0.0.1", port_of(gw), timeout=30) as s:
                s.ehlo()
                s.mail(SENDER)
                assert s.rcpt("a@partner.example")[0] == OK
                assert s.rcpt("b@partner.example")[0] == TOO_MANY
    assert checks == ["a@partner.example"]
    assert len(sink.messages) == 3
