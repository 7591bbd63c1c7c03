"""The lookup service as the configuration describes it: which sources, their timeouts, the
budget and the cache. Network sources are off unless the configuration turns them on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.config import split_hostport
from gateway.crypto.pgp import PgpKeyring
from gateway.keys.lookup.base import CandidateKind, KeySource
from gateway.keys.lookup.cache import LookupCache
from gateway.keys.lookup.certrec import DnsCertSource
from gateway.keys.lookup.dane import DaneOpenpgpkeySource, DaneSmimeaSource
from gateway.keys.lookup.dnssec import TrustAnchors, ValidatingClient
from gateway.keys.lookup.ldap import ldap_sources
from gateway.keys.lookup.service import KeyLookup
from gateway.keys.lookup.wkd import WkdSource
from gateway.keys.store import CertStore

if TYPE_CHECKING:
    from gateway.config import Settings


def configured_sources(settings: Settings, kind: CandidateKind) -> list[KeySource]:
    """The enabled sources that publish `kind` material, in the order they are reported."""
    lookup = settings.key_lookup
    sources: list[KeySource] = []
    if kind == "pgp" and lookup.wkd.enabled:
        sources.append(
            WkdSource(ca_file=lookup.wkd.ca_file, port=lookup.wkd.port, resolve=lookup.wkd.resolve)
        )
    dns = lookup.dns
    wanted = (dns.openpgpkey and kind == "pgp") or ((dns.smimea or dns.cert) and kind == "smime")
    if wanted:
        client = ValidatingClient(
            TrustAnchors.parse(dns.trust_anchors),
            [split_hostport(server) for server in dns.nameservers],
        )
        if kind == "pgp":
            sources.append(DaneOpenpgpkeySource(client))
        if kind == "smime" and dns.smimea:
            sources.append(DaneSmimeaSource(client))
        if kind == "smime" and dns.cert:
            sources.append(DnsCertSource(client))
    if kind == "smime":
        sources.extend(ldap_sources(settings.smime))
    return sources


def source_timeouts(settings: Settings) -> dict[str, float]:
    """Each source's own timeout (the budget caps them all)."""
    lookup = settings.key_lookup
    dns = lookup.dns.timeout
    return {
        "wkd": lookup.wkd.timeout,
        "dane-openpgpkey": dns,
        "dane-smimea": dns,
        "dns-cert": dns,
    }


def build_lookup(
    settings: Settings,
    kind: CandidateKind,
    *,
    store: CertStore | None = None,
    keyring: PgpKeyring | None = None,
) -> KeyLookup | None:
    """The lookup for `kind` misses, or None when no source for it is enabled."""
    sources = configured_sources(settings, kind)
    if not sources:
        return None
    return KeyLookup(
        sources,
        LookupCache(settings.key_lookup.cache_file),
        store=store,
        keyring=keyring,
        budget=settings.key_lookup.budget,
        timeouts=source_timeouts(settings),
        negative_ttl=settings.key_lookup.negative_ttl,
        retry_after=settings.key_lookup.retry_after,
    )
