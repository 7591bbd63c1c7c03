"""The interface every key source implements: a Candidate is material a source found for an
address; a KeySource finds candidates. Nothing a source returns is trusted: the lookup service
validates every candidate exactly as imported material is validated before it may be used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from gateway.keys.errors import CertStoreError

CandidateKind = Literal["smime", "pgp"]


@dataclass(frozen=True)
class Candidate:
    """Material one source found for one address.

    kind: "smime" (DER or PEM certificate(s), end-entity first) or "pgp" (an OpenPGP key,
    binary or armored). source: "wkd", "dane-smimea", "dane-openpgpkey", "dns-cert", "ldap", ...
    detail: where exactly it came from (URL, DNS name, LDAP DN), never PHI.
    """

    kind: CandidateKind
    data: bytes
    source: str
    detail: str


class LookupFailed(CertStoreError):
    """A source could not answer (transport error, timeout, DNSSEC bogus, malformed answer).

    Unlike "no candidates", this must NOT be negative-cached as "this address has no key".
    """

    code = "key-lookup-failed"

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason} [{self.code}]")


class LookupTimeout(LookupFailed):
    """The source did not answer within its timeout (or the message's remaining budget)."""

    code = "key-lookup-timeout"


class KeySource(Protocol):
    """Finds candidate certificates/keys for an address. Blocking; called off the event loop."""

    name: str

    def find(self, address: str, *, timeout: float) -> Sequence[Candidate]:
        """Candidates for `address` ([] when the source has none), within `timeout` seconds.

        Raises LookupFailed for transport/validation failures (never cached as "no key").
        """
        ...
