"""Looking up a recipient's certificate or key on a cache miss: ask the enabled sources within
the time budget, validate every candidate exactly as imported material is validated, store what
passes (marked with its source), and remember misses for `negative_ttl`.

Validation:
    S/MIME: the certificate must name the address and pass CertStore.validate (dates, key size,
    key usage and EKU, chain to the configured trust anchors, revocation), with the CA
    certificates that came in the same answer as intermediates. Then it is imported with
    source "lookup:<source>".
    OpenPGP: gpg's view of the key (without importing): no secret material, a user ID with the
    address, not revoked or expired, an encryption-capable (sub)key, a strong enough algorithm.
    Then it is imported and bound to the address (the binding a `phigate keys trust` makes): the
    source vouched for it, over DNSSEC or verified HTTPS from the recipient's own domain.

Time: the sources run in worker threads, all at once; the caller waits at most `budget`
seconds (inside the encrypt action: what is left of the message's budget, see budget.py) and
then goes on as if nothing was found (a slow source's late answer is dropped, and
its failure is not cached as "no key"). A source that failed for a domain is not asked again
for that domain for `retry_after` seconds (a dead server should not cost every message the
budget). Material that fails validation is never used.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from cryptography import x509

from gateway.crypto.pgp import PgpError, PgpKeyring, strength_problem
from gateway.keys.errors import CertStoreError
from gateway.keys.lookup.base import Candidate, CandidateKind, KeySource, LookupFailed
from gateway.keys.lookup.budget import remaining
from gateway.keys.lookup.cache import FoundRecord, LookupCache
from gateway.keys.store import CertStore, cert_addresses, fingerprint

SourceStatus = Literal["found", "not-found", "failed", "timeout"]
#: Store problems after which a lookup may find a better certificate or key.
SMIME_MISS = frozenset({"not-found", "expired", "revoked"})
PGP_MISS = frozenset({"not-found", "expired", "revoked", "unusable"})


@dataclass(frozen=True)
class Judged:
    """One candidate and whether it was used, and why (a refusal's reason, or what was stored)."""

    source: str
    detail: str
    used: bool
    reason: str
    fingerprint: str = ""


@dataclass(frozen=True)
class SourceAnswer:
    """What one source said: candidates, nothing, or why it could not answer."""

    source: str
    status: SourceStatus
    reason: str = ""
    candidates: tuple[Judged, ...] = ()


@dataclass(frozen=True)
class LookupReport:
    """The outcome of one lookup for one address and kind."""

    address: str
    kind: CandidateKind
    answers: tuple[SourceAnswer, ...] = ()
    cached_miss: str | None = None
    used: tuple[str, ...] = field(default=())

    @property
    def found(self) -> bool:
        """A candidate passed validation and is now stored."""
        return bool(self.used)


def parse_certificates(data: bytes) -> list[x509.Certificate]:
    """The certificates in a PEM bundle or one DER certificate."""
    if b"-----BEGIN CERTIFICATE-----" in data:
        return list(x509.load_pem_x509_certificates(data))
    return [x509.load_der_x509_certificate(data)]


class KeyLookup:
    """Asks the sources for a recipient's certificate or key and stores what validates."""

    def __init__(
        self,
        sources: Sequence[KeySource],
        cache: LookupCache,
        *,
        store: CertStore | None = None,
        keyring: PgpKeyring | None = None,
        budget: float = 8.0,
        timeouts: dict[str, float] | None = None,
        negative_ttl: float = 3600.0,
        retry_after: float = 0.0,
    ) -> None:
        self.sources = tuple(sources)
        self.cache = cache
        self.store = store
        self.keyring = keyring
        self.budget = budget
        self.timeouts = dict(timeouts or {})
        self.negative_ttl = negative_ttl
        self.retry_after = retry_after
        # (source, domain) -> monotonic time until which a failed source is not asked again
        self._resting: dict[tuple[str, str], float] = {}
        self._resting_lock = threading.Lock()
        # Shared workers: a source stuck past the budget keeps one busy until its own timeout.
        self._pool = cf.ThreadPoolExecutor(max_workers=8, thread_name_prefix="key-lookup")

    def sources_for(self, kind: CandidateKind) -> tuple[KeySource, ...]:
        """The sources that can publish `kind` material."""
        return tuple(
            s for s in self.sources if kind in getattr(s, "kinds", frozenset({"smime", "pgp"}))
        )

    def lookup(
        self, address: str, kind: CandidateKind, *, use_cache: bool = True, store: bool = True
    ) -> LookupReport:
        """Ask every source for `address` within the budget; validate, store, cache the outcome.

        With store=False nothing is imported or cached (the CLI's dry run).
        """
        address = address.strip().lower()
        sources = self.sources_for(kind)
        if not sources:
            return LookupReport(address, kind)
        if use_cache:
            missing = self.cache.missing(kind, address)
            if missing is not None:
                return LookupReport(address, kind, cached_miss=missing)
        allowed = remaining(self.budget)
        if allowed <= 0:
            spent = "the message's key lookup budget is spent"
            answers_ = tuple(SourceAnswer(s.name, "timeout", spent) for s in sources)
            return LookupReport(address, kind, answers_)
        domain = address.rpartition("@")[2]
        answers: list[SourceAnswer] = []
        failed = False
        asked: list[KeySource] = []
        for source in sources:
            rest = self._rest_left(source.name, domain) if use_cache else 0.0
            if rest > 0:
                failed = True
                answers.append(
                    SourceAnswer(
                        source.name, "failed", f"failed recently; not asked for {rest:.0f}s more"
                    )
                )
            else:
                asked.append(source)
        deadline = time.monotonic() + allowed
        futures = {
            self._pool.submit(
                s.find, address, timeout=min(self.timeouts.get(s.name, allowed), allowed)
            ): s
            for s in asked
        }
        done, _ = cf.wait(futures, timeout=max(0.0, deadline - time.monotonic()))
        used: list[str] = []
        for future, source in futures.items():
            if future not in done:
                future.cancel()
                failed = True
                self._rest(source.name, domain)
                answers.append(
                    SourceAnswer(source.name, "timeout", f"no answer within {allowed:g}s")
                )
                continue
            try:
                candidates = future.result()
            except LookupFailed as exc:
                failed = True
                self._rest(source.name, domain)
                status: SourceStatus = "timeout" if "timeout" in exc.code else "failed"
                answers.append(SourceAnswer(source.name, status, exc.reason))
                continue
            if not candidates:
                answers.append(SourceAnswer(source.name, "not-found", "nothing published"))
                continue
            judged = tuple(self._judge(c, address, kind, store=store) for c in candidates)
            used.extend(j.fingerprint for j in judged if j.used)
            answers.append(SourceAnswer(source.name, "found", "", judged))
        report = LookupReport(address, kind, tuple(answers), None, tuple(used))
        if store and not used and not failed:
            reasons = "; ".join(
                f"{a.source}: {a.reason or ', '.join(j.reason for j in a.candidates)}"
                for a in answers
            )
            self.cache.remember_missing(kind, address, reasons, self.negative_ttl)
        return report

    def _rest(self, source: str, domain: str) -> None:
        """After a failure, leave the source alone for this domain for `retry_after` seconds."""
        if self.retry_after > 0:
            with self._resting_lock:
                self._resting[(source, domain)] = time.monotonic() + self.retry_after

    def _rest_left(self, source: str, domain: str) -> float:
        with self._resting_lock:
            until = self._resting.get((source, domain))
            if until is None:
                return 0.0
            left = until - time.monotonic()
            if left <= 0:
                del self._resting[(source, domain)]
            return max(0.0, left)

    # ----------------------------------------------------------------- validation

    def _judge(self, cand: Candidate, address: str, kind: CandidateKind, *, store: bool) -> Judged:
        if cand.kind != kind:
            return Judged(cand.source, cand.detail, False, f"a {cand.kind} key, not {kind}")
        try:
            if kind == "smime":
                return self._judge_smime(cand, address, store=store)
            return self._judge_pgp(cand, address, store=store)
        except (CertStoreError, PgpError) as exc:
            # the store or keyring itself failed: the candidate cannot be judged, so not used
            return Judged(cand.source, cand.detail, False, f"could not be checked ({exc})")

    def _judge_smime(self, cand: Candidate, address: str, *, store: bool) -> Judged:
        if self.store is None:
            return Judged(cand.source, cand.detail, False, "no certificate store")
        try:
            certs = parse_certificates(cand.data)
        except ValueError as exc:
            return Judged(cand.source, cand.detail, False, f"not a certificate ({exc})")
        leaves = [c for c in certs if not _is_ca(c)]
        cas = [c for c in certs if _is_ca(c)]
        if not leaves:
            return Judged(cand.source, cand.detail, False, "only CA certificates")
        refusals: list[str] = []
        for cert in leaves:
            fp = fingerprint(cert)
            if address not in cert_addresses(cert):
                refusals.append(f"{fp[:16]}: certificate does not name the address")
                continue
            check = self.store.validate(cert, extra_intermediates=cas)
            if check.problem is not None:
                refusals.append(f"{fp[:16]}: {check.problem} ({check.detail})")
                continue
            known = self.store.find(fp)
            if known is not None and known.state == "rejected":
                refusals.append(f"{fp[:16]}: rejected by an officer (phigate keys reject)")
                continue
            if store:
                try:
                    self.store.import_certificates([cert, *cas], source=f"lookup:{cand.source}")
                except CertStoreError as exc:
                    refusals.append(f"{fp[:16]}: not stored ({exc})")
                    continue
                self._remember(cand, address, "smime", fp)
            return Judged(cand.source, cand.detail, True, "valid; stored", fp)
        return Judged(cand.source, cand.detail, False, "; ".join(refusals))

    def _judge_pgp(self, cand: Candidate, address: str, *, store: bool) -> Judged:
        if self.keyring is None:
            return Judged(cand.source, cand.detail, False, "no gateway keyring")
        try:
            keys = self.keyring.inspect(cand.data)
        except PgpError as exc:
            return Judged(cand.source, cand.detail, False, f"not an OpenPGP key ({exc})")
        if not keys:
            return Judged(cand.source, cand.detail, False, "no OpenPGP key in the answer")
        if any(k.secret for k in keys):
            return Judged(cand.source, cand.detail, False, "holds secret key material")
        refusals: list[str] = []
        for key in keys:
            fpr = key.fingerprint
            if address not in key.addresses:
                refusals.append(f"{fpr}: no user ID with the address")
                continue
            state = key.state("e")
            if state != "ok":
                refusals.append(f"{fpr}: {state}")
                continue
            if key.uid_revoked(address):
                refusals.append(f"{fpr}: the address's user ID is revoked")
                continue
            weak = strength_problem(key)
            if weak is not None:
                refusals.append(f"{fpr}: weak-key ({weak})")
                continue
            record = self.keyring.harvested().get(fpr)
            if record is not None and record.state == "rejected":
                refusals.append(f"{fpr}: rejected by an officer (phigate keys reject)")
                continue
            if store:
                try:
                    self.keyring.import_keys(cand.data)
                    self.keyring.trust(fpr, address, source=f"lookup:{cand.source}")
                except PgpError as exc:
                    refusals.append(f"{fpr}: not stored ({exc})")
                    continue
                if not self.keyring.lookup(address).ok:
                    self.keyring.untrust(fpr, address)
                    refusals.append(f"{fpr}: not usable once imported")
                    continue
                self._remember(cand, address, "pgp", fpr)
            return Judged(cand.source, cand.detail, True, "valid; stored and trusted", fpr)
        return Judged(cand.source, cand.detail, False, "; ".join(refusals))

    def _remember(self, cand: Candidate, address: str, kind: str, fpr: str) -> None:
        at = self.cache.now().astimezone(dt.UTC).isoformat(timespec="seconds")
        self.cache.remember_found(FoundRecord(kind, address, cand.source, cand.detail, fpr, at))

    def close(self) -> None:
        """Stop the workers (without waiting for a stuck source)."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False
