"""One message's key lookups share one time budget: once a silent WKD server has used it up,
the message's other recipients are not looked up at all (they fall back at once), while
lookups outside a message each get the whole budget. A source that failed for a domain is left
alone for that domain for retry_after seconds."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from gateway.keys.lookup.base import Candidate
from gateway.keys.lookup.budget import one_message
from gateway.keys.lookup.cache import LookupCache
from gateway.keys.lookup.service import KeyLookup
from gateway.keys.lookup.wkd import WkdSource
from tests.support.wkd import silent_tcp

RECIPIENTS = ("a@slow.example", "b@slow.example", "c@slow.example")


class Counting:
    """A real WKD source, counting how often it is asked."""

    name = "wkd"
    kinds = frozenset({"pgp"})

    def __init__(self, inner: WkdSource) -> None:
        self.inner = inner
        self.asked: list[str] = []

    def find(self, address: str, *, timeout: float) -> Sequence[Candidate]:
        self.asked.append(address)
        return self.inner.find(address, timeout=timeout)


def test_a_message_spends_one_budget_for_all_its_recipients(tmp_path: Path) -> None:
    """The first recipient waits out the budget; the others are answered "spent" unasked."""
    with silent_tcp() as port:
        source = Counting(WkdSource(port=port, resolve={"openpgpkey.slow.example": "127.0.0.1"}))
        lookup = KeyLookup([source], LookupCache(tmp_path / "c.json"), budget=0.3)
        with one_message():
            reports = [lookup.lookup(r, "pgp") for r in RECIPIENTS]
        assert source.asked == [RECIPIENTS[0]]
        assert [a.status for r in reports for a in r.answers] == ["timeout"] * 3
        assert all("budget is spent" in r.answers[0].reason for r in reports[1:])
        for r in RECIPIENTS:
            assert lookup.cache.missing("pgp", r) is None
        outside = [lookup.lookup(r, "pgp") for r in RECIPIENTS[:2]]
        assert source.asked == [RECIPIENTS[0], *RECIPIENTS[:2]]
        assert [r.answers[0].status for r in outside] == ["timeout", "timeout"]
        lookup.close()


def test_a_failed_source_rests_for_its_domain(tmp_path: Path) -> None:
    """After a timeout the source is not asked for that domain again, other domains still are."""
    with silent_tcp() as port:
        resolve = {"openpgpkey.slow.example": "127.0.0.1", "openpgpkey.other.example": "127.0.0.1"}
        source = Counting(WkdSource(port=port, resolve=resolve))
        lookup = KeyLookup([source], LookupCache(tmp_path / "c.json"), budget=0.3, retry_after=3600)
        first = lookup.lookup(RECIPIENTS[0], "pgp")
        second = lookup.lookup(RECIPIENTS[1], "pgp")
        elsewhere = lookup.lookup("d@other.example", "pgp")
        fresh = lookup.lookup(RECIPIENTS[1], "pgp", use_cache=False)
        lookup.close()
    assert first.answers[0].status == "timeout"
    assert second.answers[0].status == "failed"
    assert "failed recently" in second.answers[0].reason
    assert source.asked == [RECIPIENTS[0], "d@other.example", RECIPIENTS[1]]
    assert elsewhere.answers[0].status == "timeout" and fresh.answers[0].status == "timeout"
    assert lookup.cache.missing("pgp", RECIPIENTS[1]) is None
