"""The two encryption methods as the encrypt action sees them: usable(recipient), encrypt(raw, recipient).

Key material is looked up fresh for every message (certificates expire and keys get revoked while
the gateway runs); an expired, revoked, untrusted or ambiguous key is never used. Both are
registered under the kind "encryptor"; their factories take the gateway's Services.

On a miss (no certificate or key, or only an expired or revoked one) a method with a configured
KeyLookup asks the lookup sources (WKD, DANE, DNS CERT, LDAP) within key_lookup.budget; what they
find is validated like imported material and stored, then the store is asked again. Nothing
found in time: the recipient is unserved, as before (portal or quarantine per policy).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from gateway.config import PgpSettings, SmimeSettings
from gateway.crypto.pgp import InlinePgpUnsupported, PgpKeyring
from gateway.crypto.smime import Signer, encrypt_message
from gateway.keys import CertStore
from gateway.keys.files import load_configured_signer
from gateway.keys.lookup.service import PGP_MISS, SMIME_MISS, KeyLookup
from gateway.keys.lookup.sources import build_lookup, configured_sources
from gateway.model import ConfigError
from gateway.registry import Registry

if TYPE_CHECKING:  # the services are built from the registry's parts: a type only
    from gateway.services import Services


class SmimeMethod:
    """S/MIME to recipients with a valid certificate in the store. See Encryptor."""

    method = "smime"

    def __init__(
        self,
        settings: SmimeSettings,
        signer: Signer | None = None,
        store: CertStore | None = None,
        lookup: KeyLookup | None = None,
    ) -> None:
        self.settings = settings
        self.lookup = lookup
        if signer is not None:
            self.__dict__["signer"] = signer  # checked at start-up (see Services)
        if store is not None:
            self.__dict__["store"] = store  # shared with what learns from signed mail

    @functools.cached_property
    def store(self) -> CertStore:
        return CertStore.from_settings(self.settings)

    @functools.cached_property
    def signer(self) -> Signer | None:
        """The checked signing identity of smime.sign_file, or None (see load_configured_signer)."""
        configured = load_configured_signer(self.settings)
        return configured.signer if configured is not None else None

    def usable(self, recipient: str) -> tuple[bool, str]:
        """Whether a valid certificate exists (looked up on a miss); otherwise the problem code."""
        found = self.store.lookup(recipient)
        if found.cert is None and self.lookup is not None and found.problem in SMIME_MISS:
            if self.lookup.lookup(recipient, "smime").found:
                found = self.store.lookup(recipient)
        if found.cert is None:
            return False, f"smime: {found.problem}"
        return True, "smime: certificate valid"

    def encrypt(self, raw: bytes, recipient: str) -> bytes:
        """Encrypt for one recipient, with GCM where the recipient is known to read it."""
        found = self.store.lookup(recipient)
        if found.cert is None:
            raise ConfigError(f"smime: no usable certificate ({found.problem})")
        domain = recipient.rpartition("@")[2].lower()
        gcm = found.supports_gcm or domain in {d.lower() for d in self.settings.gcm_domains}
        return encrypt_message(
            raw,
            [found.cert],
            prefer_gcm=gcm,
            oaep=self.settings.oaep,
            signer=self.signer,
            protect_subject=self.settings.protect_subject,
            neutral_subject=self.settings.neutral_subject,
        )


class PgpMethod:
    """PGP/MIME (or inline, for legacy recipients) with an explicitly trusted key. See Encryptor."""

    method = "pgp"

    def __init__(
        self,
        settings: PgpSettings,
        smime: SmimeSettings | None = None,
        lookup: KeyLookup | None = None,
        keyring: PgpKeyring | None = None,
    ) -> None:
        self.settings = settings
        self.smime = smime or SmimeSettings()
        self.lookup = lookup
        if keyring is not None:
            self.__dict__["keyring"] = keyring  # shared with the lookup that imports into it

    @functools.cached_property
    def keyring(self) -> PgpKeyring:
        return PgpKeyring(self.settings.home)

    def usable(self, recipient: str) -> tuple[bool, str]:
        """Whether a trusted, valid encryption key exists (looked up on a miss); otherwise the problem."""
        found = self.keyring.lookup(recipient)
        if not found.ok and self.lookup is not None and found.problem in PGP_MISS:
            if self.lookup.lookup(recipient, "pgp").found:
                found = self.keyring.lookup(recipient)
        if not found.ok:
            return False, f"pgp: {found.problem}"
        return True, "pgp: key trusted and valid"

    def encrypt(self, raw: bytes, recipient: str) -> bytes:
        """PGP/MIME, or inline PGP for recipients configured as legacy."""
        found = self.keyring.lookup(recipient)
        fingerprint = found.fingerprint
        if not found.ok or fingerprint is None:
            raise ConfigError(f"pgp: no usable key ({found.problem})")
        if recipient.lower() in {a.lower() for a in self.settings.inline_addresses}:
            try:
                result: bytes = self.keyring.encrypt_inline(
                    raw,
                    [fingerprint],
                    sign_with=self.settings.sign_key,
                    neutral_subject=self.smime.neutral_subject,
                )
                return result
            except InlinePgpUnsupported:
                pass  # not a single text part: PGP/MIME works for every client that has a key
        result = self.keyring.encrypt_pgp_mime(
            raw,
            [fingerprint],
            sign_with=self.settings.sign_key,
            protect_subject=self.smime.protect_subject,
            neutral_subject=self.smime.neutral_subject,
        )
        return result


def register(reg: Registry) -> None:
    """Register the built-in encryptors (factories take the gateway's Services)."""

    def smime(svc: Services) -> SmimeMethod:
        signer = svc.signing.signer if svc.signing is not None else None
        lookup = build_lookup(svc.settings, "smime", store=svc.cert_store)
        return SmimeMethod(svc.settings.smime, signer, svc.cert_store, lookup)

    def pgp(svc: Services) -> PgpMethod:
        if not configured_sources(svc.settings, "pgp"):
            return PgpMethod(svc.settings.pgp, svc.settings.smime)
        keyring = PgpKeyring(svc.settings.pgp.home)  # opened now only when lookups import into it
        lookup = build_lookup(svc.settings, "pgp", keyring=keyring)
        return PgpMethod(svc.settings.pgp, svc.settings.smime, lookup, keyring)

    reg.register("encryptor", SmimeMethod.method, smime)
    reg.register("encryptor", PgpMethod.method, pgp)
