"""What actions need from the rest of the gateway, built lazily and once per Gateway."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from gateway.config import Settings


class Services:
    """Stores, key material and helpers, created on first use (a deliver-only policy opens none)."""

    def __init__(self, settings: Settings, keyed_hash: Callable[[str], str]) -> None:
        self.settings = settings
        self.keyed_hash = keyed_hash

    @functools.cached_property
    def notices(self) -> Any:
        from gateway.actions import TemplateNotices

        return TemplateNotices(self.settings.notices)

    @functools.cached_property
    def quarantine(self) -> Any:
        from gateway.quarantine import QuarantineStore

        q = self.settings.quarantine
        return QuarantineStore(q.url, q.master_key_file, retention_days=q.retention_days)

    @functools.cached_property
    def encryptors(self) -> list[Any]:
        from gateway.crypto.methods import PgpMethod, SmimeMethod

        return [SmimeMethod(self.settings.smime), PgpMethod(self.settings.pgp, self.settings.smime)]
