"""Certificate revocation lists from configured files or URLs, cached in memory and on disk."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from gateway.keys.errors import CrlError

_PEM_CRL = re.compile(rb"-----BEGIN X509 CRL-----.*?-----END X509 CRL-----", re.DOTALL)
_URL_TIMEOUT_SECONDS = 10.0
#: How long a fetched CRL without nextUpdate is trusted before fetching again.
_DEFAULT_URL_MAX_AGE = dt.timedelta(hours=6)
#: How far in the future a CRL's thisUpdate may lie (clocks of issuer and gateway differ).
_CLOCK_SKEW = dt.timedelta(minutes=5)

Clock = Callable[[], dt.datetime]


@dataclass(frozen=True)
class Revocation:
    """A certificate found on a CRL."""

    serial: int
    revoked_at: dt.datetime
    source: str


@dataclass(frozen=True)
class _Loaded:
    stamp: tuple[int, int] | dt.datetime
    crls: tuple[x509.CertificateRevocationList, ...]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def parse_crls(data: bytes, source: str) -> tuple[x509.CertificateRevocationList, ...]:
    """All CRLs in PEM (one or more blocks) or DER bytes."""
    try:
        if b"-----BEGIN" in data:
            blocks = _PEM_CRL.findall(data)
            if not blocks:
                raise CrlError(source, "PEM file holds no X509 CRL block")
            return tuple(x509.load_pem_x509_crl(block) for block in blocks)
        return (x509.load_der_x509_crl(data),)
    except ValueError as exc:
        raise CrlError(source, "not a valid CRL") from exc


class CrlCache:
    """Revocation checks against CRLs from files (re-read when changed) and URLs (re-fetched when stale).

    A URL's last good copy is kept under `cache_dir`, so a restart without network still knows
    what was revoked.
    """

    def __init__(
        self,
        sources: Sequence[str | Path],
        cache_dir: Path | None = None,
        *,
        clock: Clock = _utcnow,
        opener: Callable[[str], bytes] | None = None,
    ) -> None:
        self._sources = tuple(str(s) for s in sources)
        self._cache_dir = cache_dir
        self._clock = clock
        self._open = opener or _fetch
        self._loaded: dict[str, _Loaded] = {}

    @property
    def sources(self) -> tuple[str, ...]:
        """The configured sources, as given."""
        return self._sources

    def crls(self) -> list[tuple[str, x509.CertificateRevocationList]]:
        """Every CRL with its source; raises CrlError when a source cannot be loaded."""
        out: list[tuple[str, x509.CertificateRevocationList]] = []
        for source in self._sources:
            out.extend((source, crl) for crl in self._load(source))
        return out

    def check(
        self, chain: Sequence[x509.Certificate], *, at: dt.datetime | None = None
    ) -> tuple[Revocation | None, list[str]]:
        """Look up every non-root certificate of `chain` (leaf first) on its issuer's CRLs.

        Returns the first revocation found (or None) and, for each certificate whose status no
        current CRL vouches for, why: no CRL from its issuer, or only stale ones. Any CRL its
        issuer signed can prove revocation, however old; only a current one (thisUpdate reached,
        nextUpdate not passed) can prove a certificate is not revoked.
        """
        when = at or self._clock()
        crls = self.crls()
        unchecked: list[str] = []
        for cert, issuer in zip(chain, chain[1:], strict=False):
            covering = [
                (source, crl)
                for source, crl in crls
                if crl.issuer == cert.issuer and _signed_by(crl, issuer)
            ]
            for source, crl in covering:
                entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
                if entry is not None:
                    return Revocation(cert.serial_number, entry.revocation_date_utc, source), []
            subject = cert.subject.rfc4514_string()
            if not covering:
                unchecked.append(f"no CRL covers {subject}")
            elif not any(is_current(crl, when) for _, crl in covering):
                unchecked.append(
                    f"the CRL covering {subject} is stale ("
                    + "; ".join(_currency(crl) for _, crl in covering)
                    + ")"
                )
        return None, unchecked

    def _load(self, source: str) -> tuple[x509.CertificateRevocationList, ...]:
        if source.startswith(("http://", "https://")):
            return self._load_url(source)
        path = Path(source)
        try:
            stat = path.stat()
        except OSError as exc:
            raise CrlError(source, f"cannot read ({exc.strerror or type(exc).__name__})") from exc
        stamp = (stat.st_mtime_ns, stat.st_size)
        cached = self._loaded.get(source)
        if cached is not None and cached.stamp == stamp:
            return cached.crls
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CrlError(source, f"cannot read ({exc.strerror or type(exc).__name__})") from exc
        crls = parse_crls(data, source)
        self._loaded[source] = _Loaded(stamp, crls)
        return crls

    def _load_url(self, source: str) -> tuple[x509.CertificateRevocationList, ...]:
        now = self._clock()
        cached = self._loaded.get(source)
        if cached is not None and isinstance(cached.stamp, dt.datetime) and cached.stamp > now:
            return cached.crls
        disk = self._disk_path(source)
        try:
            data = self._open(source)
            crls = parse_crls(data, source)
        except (OSError, CrlError) as exc:
            if disk is not None and disk.exists():
                crls = parse_crls(disk.read_bytes(), f"{source} (cached copy)")
                # Try the network again soon rather than trusting the old copy until nextUpdate.
                self._loaded[source] = _Loaded(now + dt.timedelta(minutes=5), crls)
                return crls
            if isinstance(exc, CrlError):
                raise
            raise CrlError(source, f"fetch failed ({type(exc).__name__})") from exc
        if disk is not None:
            disk.parent.mkdir(parents=True, exist_ok=True)
            tmp = disk.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(disk)
        self._loaded[source] = _Loaded(_expiry(crls, now), crls)
        return crls

    def _disk_path(self, source: str) -> Path | None:
        if self._cache_dir is None:
            return None
        return self._cache_dir / f"{hashlib.sha256(source.encode()).hexdigest()[:24]}.crl"


def is_current(crl: x509.CertificateRevocationList, at: dt.datetime) -> bool:
    """A CRL that speaks for `at`: thisUpdate reached (with a little clock skew) and nextUpdate
    present and not passed. RFC 5280 requires nextUpdate; without it nobody knows how long the
    list stays complete, so it proves no certificate unrevoked."""
    next_update = crl.next_update_utc
    if next_update is None or at > next_update:
        return False
    return crl.last_update_utc <= at + _CLOCK_SKEW


def _currency(crl: x509.CertificateRevocationList) -> str:
    next_update = crl.next_update_utc
    return (
        f"thisUpdate {crl.last_update_utc.isoformat()}, "
        f"nextUpdate {next_update.isoformat() if next_update else 'absent'}"
    )


def _expiry(crls: Sequence[x509.CertificateRevocationList], now: dt.datetime) -> dt.datetime:
    limit = now + _DEFAULT_URL_MAX_AGE
    updates = [c.next_update_utc for c in crls if c.next_update_utc is not None]
    return min([limit, *updates]) if updates else limit


def _signed_by(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    key = issuer.public_key()
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        return False
    return crl.is_signature_valid(key)


def _fetch(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "phigate-crl"})
    with urllib.request.urlopen(request, timeout=_URL_TIMEOUT_SECONDS) as response:  # noqa: S310 - configured CRL URL
        data: bytes = response.read()
    return data
