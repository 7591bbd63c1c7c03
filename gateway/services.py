"""What actions need from the rest of the gateway, built lazily and once per Gateway."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from gateway.config import Settings


class Services:
    """Stores, key material and helpers, created on first use (a deliver-only policy opens none)."""

    def __init__(
        self, settings: Settings, keyed_hash: Callable[[str], str], audit: Any = None
    ) -> None:
        self.settings = settings
        self.keyed_hash = keyed_hash
        self.audit = audit

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

    @functools.cached_property
    def roster(self) -> Any:
        from gateway.patients.roster import PatientRoster

        p = self.settings.patients
        return PatientRoster(p.url, p.key_file)

    @functools.cached_property
    def consents(self) -> Any:
        from gateway.patients.consent import ConsentRegistry

        p = self.settings.patients
        return ConsentRegistry(p.url, self.roster, disclosure_dir=p.disclosure_dir)

    @functools.cached_property
    def portal_store(self) -> Any:
        from gateway.portal import PortalStore

        p = self.settings.portal
        return PortalStore(p.store_url, p.master_key_file)

    @functools.cached_property
    def webhook(self) -> Any:
        from gateway.portal import WebhookPortal

        p = self.settings.portal
        if p.webhook_url is None:
            return None
        if p.webhook_secret_file is None:
            from gateway.errors import ConfigError

            raise ConfigError("portal.webhook_url needs portal.webhook_secret_file")
        secret = p.webhook_secret_file.read_bytes().strip()
        return WebhookPortal(p.webhook_url, secret, p.webhook_timeout, p.webhook_retries)

    def close(self) -> None:
        """Close what was opened."""
        for name in ("consents", "roster", "portal_store"):
            obj = self.__dict__.get(name)
            if obj is not None:
                obj.close()
