"""A bounded LRU of attachment results, keyed by the sha256 of the attachment bytes."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from .model import AttachmentResult


class AttachmentCache:
    """Remembers what an attachment yielded so a repeated attachment is not extracted again.

    Bounded by entry count and by total cached text; safe to share between threads.
    """

    def __init__(self, max_entries: int = 256, max_chars: int = 20_000_000) -> None:
        self._max_entries = max_entries
        self._max_chars = max_chars
        self._chars = 0
        self._items: OrderedDict[Hashable, AttachmentResult] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> AttachmentResult | None:
        """The cached result for `key`, or None."""
        with self._lock:
            result = self._items.get(key)
            if result is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return result

    def put(self, key: Hashable, result: AttachmentResult) -> None:
        """Store `result`, evicting the least recently used entries beyond the bounds."""
        size = sum(len(f.text) for f in result.fragments)
        if size > self._max_chars:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._chars -= sum(len(f.text) for f in old.fragments)
            self._items[key] = result
            self._chars += size
            while len(self._items) > self._max_entries or self._chars > self._max_chars:
                _key, evicted = self._items.popitem(last=False)
                self._chars -= sum(len(f.text) for f in evicted.fragments)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
