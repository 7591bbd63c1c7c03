"""A short-lived memory of the recipients the next hop accepted when probed.

Probing a recipient costs three round trips (MAIL, RCPT, RSET) on top of the four of the real
delivery, for every RCPT of every message. A recipient the next hop accepted a moment ago is
very likely still accepted, so a positive answer is kept for `delivery.probe_cache_ttl`
seconds. Only 250 and 251 are kept: a refusal, a 4xx or an answer we made up ourselves (the
demo outbox) is asked again every time. Nothing is lost by a stale entry: the real delivery
offers the recipient again, and a refusal there is the answer the client gets (and drops the
entry). Entries are keyed by a keyed hash of sender and recipient, so the table holds no
address in clear.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from gateway.model import Reply

# Bounded so a flood of distinct recipients cannot grow the table without end.
DEFAULT_MAX_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class ProbeConditions:
    """What else the probe's answer depended on besides sender and recipient."""

    tls: str
    smtputf8: bool
    body_8bit: bool


@dataclass(frozen=True, slots=True)
class _Entry:
    expires: float
    conditions: ProbeConditions
    reply: Reply


class ProbeCache:
    """Positive RCPT probe answers, each trusted for `ttl` seconds; ttl 0 keeps nothing."""

    def __init__(
        self,
        ttl: float,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._secret = secrets.token_bytes(32)
        self._entries: OrderedDict[bytes, _Entry] = OrderedDict()
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        """Whether anything is kept at all."""
        return self.ttl > 0

    def __len__(self) -> int:
        return len(self._entries)

    def _key(self, mail_from: str, rcpt: str) -> bytes:
        h = hashlib.blake2b(key=self._secret, digest_size=16)
        h.update(mail_from.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
        h.update(rcpt.encode("utf-8", "surrogatepass"))
        return h.digest()

    def get(self, mail_from: str, rcpt: str, conditions: ProbeConditions) -> Reply | None:
        """The kept positive answer, if fresh and given under the same conditions; else None."""
        if not self.enabled:
            return None
        key = self._key(mail_from, rcpt)
        entry = self._entries.get(key)
        if entry is None or entry.conditions != conditions:
            self.misses += 1
            return None
        if self._clock() >= entry.expires:
            del self._entries[key]
            self.misses += 1
            return None
        self.hits += 1
        return entry.reply

    def put(self, mail_from: str, rcpt: str, conditions: ProbeConditions, reply: Reply) -> None:
        """Keep `reply` if it is a positive answer from the next hop; anything else is ignored."""
        if not self.enabled or reply.code not in (250, 251):
            return
        key = self._key(mail_from, rcpt)
        self._entries.pop(key, None)
        self._entries[key] = _Entry(self._clock() + self.ttl, conditions, reply)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def forget(self, mail_from: str, rcpt: str) -> None:
        """Drop what is kept for this sender and recipient (the next hop has refused it since)."""
        if self._entries:
            self._entries.pop(self._key(mail_from, rcpt), None)
