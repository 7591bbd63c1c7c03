"""What actions need from the rest of the gateway, built lazily and once per Gateway."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable

import structlog

from gateway.actions.notices import TemplateNotices
from gateway.audit import AuditLog
from gateway.config import Settings
from gateway.console.store import ConsoleStore
from gateway.crypto.pgp import PgpError, PgpKeyring
from gateway.crypto.smime import SmimeError
from gateway.keys import CertStore, CertStoreError
from gateway.keys.files import ConfiguredSigner, load_configured_signer
from gateway.keys.harvest import PgpHarvester, carries_key_material, message_id
from gateway.model import ConfigError
from gateway.ops.metrics import Metrics
from gateway.patients.consent import ConsentRegistry
from gateway.patients.roster import PatientRoster
from gateway.portal.store import PortalStore
from gateway.portal.webhook import WebhookPortal
from gateway.quarantine import QuarantineStore

log = structlog.get_logger("phigate.services")

#: Why S/MIME output without a signer is a risk (see docs/smime.md).
UNSIGNED_CBC_WARNING = (
    "smime.sign_file is not set: S/MIME output is AES-256-CBC EnvelopedData without integrity "
    "protection, so whoever can alter mail on its way can change the encrypted content "
    "undetected; configure a signing certificate (see docs/smime.md)"
)


def smime_warnings(settings: Settings, *, at: dt.datetime | None = None) -> list[str]:
    """One-line warnings about the S/MIME configuration (for start-up and `phigate config check`).

    Raises ConfigError when smime.sign_file is set but unusable (the gateway would not start).
    """
    configured = load_configured_signer(settings.smime, at=at)
    if configured is None:
        return [UNSIGNED_CBC_WARNING]
    warning = configured.warning()
    return [warning] if warning else []


class Services:
    """Stores, key material and helpers, created on first use (a deliver-only policy opens none).

    The S/MIME signing certificate is the exception: it is checked here, at start-up, so a gateway
    whose signatures recipients would reject refuses to start (ConfigError).
    """

    def __init__(
        self,
        settings: Settings,
        keyed_hash: Callable[[str], str],
        audit: AuditLog | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.keyed_hash = keyed_hash
        self.audit = audit
        self._senders_seen: set[str] = set()
        self.signing: ConfiguredSigner | None = load_configured_signer(settings.smime)
        if self.signing is None:
            log.warning("smime.unsigned_output", detail=UNSIGNED_CBC_WARNING)
        else:
            if self.signing.expiring:
                log.warning(
                    "smime.signing_certificate_expiring",
                    file=str(self.signing.path),
                    not_after=self.signing.signer.certificate.not_valid_after_utc.isoformat(),
                    days_left=max(self.signing.remaining.days, 0),
                )
            if metrics is not None:
                # The gauge recipient certificates use, under its own kind.
                metrics.keys_expiring("smime-signing", 1 if self.signing.expiring else 0)

    @property
    def audit_log(self) -> AuditLog:
        """The audit log, for actions that record events of their own."""
        if self.audit is None:
            raise ConfigError("this gateway has no audit log")
        return self.audit

    @functools.cached_property
    def notices(self) -> TemplateNotices:
        return TemplateNotices(self.settings.notices)

    @functools.cached_property
    def quarantine(self) -> QuarantineStore:
        q = self.settings.quarantine
        return QuarantineStore(q.url, q.master_key_file, retention_days=q.retention_days)

    @functools.cached_property
    def cert_store(self) -> CertStore:
        return CertStore.from_settings(self.settings.smime)

    def harvest(self, raw: bytes, sender: str) -> bool:
        """Learn what passing mail teaches about keys: S/MIME certificates and capabilities from
        verified signed mail (learn_smime), OpenPGP keys from Autocrypt headers and attached
        public keys (harvest_pgp). True when anything was learnt; never raises for bad input.
        """
        learnt = self.learn_smime(raw, sender)
        return self.harvest_pgp(raw) or learnt

    def harvest_pgp(self, raw: bytes) -> bool:
        """Take OpenPGP keys the message offers for its From address (see gateway.keys.harvest).

        Under pgp.harvest: approve (the default) a key taken waits for `phigate keys approve`.
        The log names the origin, the fingerprint and what happened, never an address.
        """
        if self.settings.pgp.harvest == "off" or not carries_key_material(raw):
            return False
        try:
            with PgpKeyring(self.settings.pgp.home) as ring:
                harvester = PgpHarvester(ring, self.settings.pgp.harvest)
                mid = message_id(raw)
                results = harvester.harvest(raw, message=self.keyed_hash(mid) if mid else "")
        except PgpError as exc:
            log.info("pgp.harvest_skipped", code=exc.code)
            return False
        for result in results:
            log.info(
                "pgp.key_harvested" if result.taken else "pgp.harvest_skipped",
                origin=result.origin,
                fingerprint=result.fingerprint,
                reason=result.reason,
            )
        return any(r.taken for r in results)

    @functools.cached_property
    def sender_directory(self) -> ConsoleStore:
        """The console's sender directory (opened on first use: only with console.own_domains)."""
        return ConsoleStore(self.settings.console.url)

    def remember_sender(self, address: str) -> bool:
        """Enter a staff sender of the practice's own domains (console.own_domains) into the
        console's sender directory, so an officer can answer "who sent this" from the hash the
        audit record keeps. Staff addresses are workforce data, not PHI; any other address
        (a patient writing through the practice's server) never enters it. Each address is
        written once per process; the caller runs this off the event loop.
        """
        own = {d.lower().lstrip("@") for d in self.settings.console.own_domains}
        addr = address.strip().lower()
        if not own or "@" not in addr or addr.rpartition("@")[2] not in own:
            return False
        if addr in self._senders_seen:
            return False
        self.sender_directory.remember_sender(self.keyed_hash(addr), addr, dt.datetime.now(dt.UTC))
        self._senders_seen.add(addr)
        return True

    def learn_smime(self, raw: bytes, sender: str) -> bool:
        """Learn the sender's certificate and SMIMECapabilities from S/MIME signed mail.

        The pipeline calls this for every message (off the event loop: it reads and writes the
        certificate store). Only a verified signature by a trusted certificate naming the sender
        teaches anything (see CertStore.learn_from_signed); a message that teaches nothing is
        not an error, and learning never changes what happens to the message itself.
        """
        head = raw[:16384].lower()
        if b"pkcs7-signature" not in head and b"signed-data" not in head:
            return False
        mid = message_id(raw)
        try:
            result = self.cert_store.learn_from_signed(
                raw, sender, message=self.keyed_hash(mid) if mid else ""
            )
        except (SmimeError, CertStoreError) as exc:
            log.info("smime.learn_skipped", code=exc.code)
            return False
        if result.learned:
            log.info(
                "smime.capabilities_learnt",
                fingerprint=result.fingerprint[:16],
                gcm="aes256_gcm" in result.capabilities,
                certificate=result.reason,
            )
        else:
            log.info("smime.learn_skipped", reason=result.reason.split(":", 1)[0])
        return bool(result.learned)

    @functools.cached_property
    def roster(self) -> PatientRoster:
        p = self.settings.patients
        return PatientRoster(p.url, p.key_file)

    @functools.cached_property
    def consents(self) -> ConsentRegistry:
        p = self.settings.patients
        return ConsentRegistry(p.url, self.roster, disclosure_dir=p.disclosure_dir)

    @functools.cached_property
    def portal_store(self) -> PortalStore:
        p = self.settings.portal
        return PortalStore(p.store_url, p.master_key_file)

    @functools.cached_property
    def webhook(self) -> WebhookPortal | None:
        p = self.settings.portal
        if p.webhook_url is None:
            return None
        if p.webhook_secret_file is None:
            raise ConfigError("portal.webhook_url needs portal.webhook_secret_file")
        secret = p.webhook_secret_file.read_bytes().strip()
        return WebhookPortal(p.webhook_url, secret, p.webhook_timeout, p.webhook_retries)

    def close(self) -> None:
        """Close what was opened."""
        for name in ("consents", "roster", "portal_store", "sender_directory"):
            obj = self.__dict__.get(name)
            if obj is not None:
                obj.close()
