"""The S/MIME certificate store: import, look up by address, validate before use.

On disk (shared by the gateway and the CLI)::

    DIR/index.json            {"version": 1, "certs": [entry, ...]}
    DIR/certs/<sha256>.pem    recipient (end-entity) certificates
    DIR/intermediates/<sha256>.pem   CA certificates that came with imports (never trust anchors)
    DIR/crl-cache/            last good copy of each CRL URL
    DIR/capabilities.json     {"version": 1, "addresses": {address: {"capabilities": [...],
                              "signed_at": iso}}}: what each address last advertised in mail
                              it signed (RFC 8551 2.7.1: the most recent announcement counts)

Choosing among several certificates for one address: every candidate is validated; of the
valid ones the one with the latest notAfter wins (then the latest notBefore), and the lookup
says so in `detail`. Only when two valid candidates tie on both dates is the answer
"ambiguous". With no valid candidate, the problem of the newest one (latest notAfter) is
reported and `detail` lists the others.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from email.utils import getaddresses
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import verification
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from gateway.crypto.smime import (
    GCM_CAPABILITY,
    harvest_capabilities,
    key_strength_problem,
    parse_capabilities,
)
from gateway.keys.crl import CrlCache
from gateway.keys.errors import CertFileError, CertStoreError, CrlError, WeakCertificateKey
from gateway.keys.files import extension, read_credentials
from gateway.mime.headers import split_message

if TYPE_CHECKING:
    from gateway.config import SmimeSettings

CertProblem = Literal[
    "not-found",
    "expired",
    "not-yet-valid",
    "revoked",
    "untrusted",
    "no-current-crl",
    "weak-key",
    "wrong-usage",
    "ambiguous",
]
Clock = Callable[[], dt.datetime]
HarvestState = Literal["", "pending", "rejected"]
HarvestMode = Literal["off", "approve", "auto"]

#: Sources of certificates taken from mail ("signed mail" is what older versions wrote).
HARVESTED = "harvested"
HARVESTED_SOURCES = frozenset({HARVESTED, "signed mail"})

INDEX_VERSION = 1
_SMIME_CAPABILITIES_OID = ObjectIdentifier("1.2.840.113549.1.9.15")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 fingerprint of the DER certificate, lower-case hex."""
    return cert.fingerprint(hashes.SHA256()).hex()


def cert_addresses(cert: x509.Certificate) -> tuple[str, ...]:
    """E-mail addresses of a certificate: SAN rfc822Name, else subject emailAddress (lower case)."""
    san = extension(cert, x509.SubjectAlternativeName)
    found = [a for a in san.get_values_for_type(x509.RFC822Name) if a] if san else []
    if not found:
        found = [
            str(attr.value) for attr in cert.subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS)
        ]
    return tuple(dict.fromkeys(a.strip().lower() for a in found if a.strip()))


def cert_capabilities(cert: x509.Certificate) -> frozenset[str]:
    """Algorithms from an SMIMECapabilities extension (RFC 4262) of the certificate, if any."""
    try:
        ext = cert.extensions.get_extension_for_oid(_SMIME_CAPABILITIES_OID).value
    except x509.ExtensionNotFound:
        return frozenset()
    if isinstance(ext, x509.UnrecognizedExtension):
        try:
            return parse_capabilities(ext.value)
        except ValueError:
            return frozenset()
    return frozenset()


def _is_ca(cert: x509.Certificate) -> bool:
    constraints = extension(cert, x509.BasicConstraints)
    return constraints is not None and constraints.ca


@dataclass(frozen=True)
class CertEntry:
    """One stored recipient certificate, as the index records it."""

    fingerprint: str
    addresses: tuple[str, ...]
    subject: str
    issuer: str
    serial: str
    not_before: dt.datetime
    not_after: dt.datetime
    file: str
    capabilities: frozenset[str] = frozenset()
    source: str = ""
    #: "" in use; "pending" harvested and awaiting `phigate keys approve`; "rejected" by an
    #: officer (kept so the same certificate is not harvested again).
    state: HarvestState = ""
    #: For a harvested certificate: the keyed hash of the Message-ID it came in, and when.
    message: str = ""
    harvested_at: str = ""

    @property
    def harvested(self) -> bool:
        """Taken from passing mail rather than imported by an officer."""
        return self.source in HARVESTED_SOURCES

    @property
    def in_use(self) -> bool:
        """May be chosen for encryption (not pending approval, not rejected)."""
        return self.state == ""

    def as_json(self) -> dict[str, Any]:
        """The index record."""
        return {
            "fingerprint": self.fingerprint,
            "addresses": list(self.addresses),
            "subject": self.subject,
            "issuer": self.issuer,
            "serial": self.serial,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "file": self.file,
            "capabilities": sorted(self.capabilities),
            "source": self.source,
            "state": self.state,
            "message": self.message,
            "harvested_at": self.harvested_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CertEntry:
        """Read an index record."""
        return cls(
            fingerprint=str(data["fingerprint"]),
            addresses=tuple(data["addresses"]),
            subject=str(data["subject"]),
            issuer=str(data["issuer"]),
            serial=str(data["serial"]),
            not_before=dt.datetime.fromisoformat(data["not_before"]),
            not_after=dt.datetime.fromisoformat(data["not_after"]),
            file=str(data["file"]),
            capabilities=frozenset(data.get("capabilities", ())),
            source=str(data.get("source", "")),
            state=_state(data.get("state", "")),
            message=str(data.get("message", "")),
            harvested_at=str(data.get("harvested_at", "")),
        )


@dataclass(frozen=True)
class CertLookup:
    """The answer for one address: a usable certificate, or why there is none."""

    cert: x509.Certificate | None
    problem: CertProblem | None
    detail: str
    entry: CertEntry | None = None
    candidates: int = 0
    #: What the address last advertised in verified signed mail; None when never seen.
    learned: frozenset[str] | None = None

    @property
    def ok(self) -> bool:
        """A certificate was found and may be used."""
        return self.cert is not None and self.problem is None

    @property
    def capabilities(self) -> frozenset[str]:
        """Content-encryption algorithms the recipient advertised (asn1crypto names, e.g. "aes256_gcm"):
        the latest signed message's, else the certificate's SMIMECapabilities extension."""
        if self.learned is not None:
            return self.learned
        return self.entry.capabilities if self.entry is not None else frozenset()

    @property
    def supports_gcm(self) -> bool:
        """The recipient advertised AES-256-GCM (in its latest signed message or the certificate)."""
        return self.cert is not None and GCM_CAPABILITY in self.capabilities


@dataclass(frozen=True)
class Validation:
    """Whether one certificate may be used now, and the verified chain when it may."""

    problem: CertProblem | None
    detail: str
    chain: tuple[x509.Certificate, ...] = ()


@dataclass(frozen=True)
class Learned:
    """What one signed message taught the store: the certificate and capabilities, or why not."""

    learned: bool
    reason: str
    fingerprint: str = ""
    capabilities: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ImportResult:
    """What an import added: recipient certificates, CA certificates, and ones already present."""

    added: tuple[CertEntry, ...] = ()
    intermediates: int = 0
    unchanged: tuple[str, ...] = field(default=())


class CertStore:
    """S/MIME recipient certificates on disk, validated against trust anchors and CRLs on lookup."""

    def __init__(
        self,
        directory: Path,
        trust_anchors: Sequence[Path],
        crl_sources: Sequence[str | Path] = (),
        *,
        require_crl: bool = False,
        clock: Clock = _utcnow,
        crl_cache: CrlCache | None = None,
        harvest: HarvestMode = "approve",
    ) -> None:
        self.directory = Path(directory)
        self.harvest = harvest
        self._clock = clock
        self._require_crl = require_crl
        self._anchors = tuple(self._load_anchors(trust_anchors))
        self._crls = crl_cache or CrlCache(crl_sources, self.directory / "crl-cache", clock=clock)
        self._index_stamp: tuple[int, int] | None = None
        self._entries: tuple[CertEntry, ...] = ()
        self._certs: dict[str, x509.Certificate] = {}

    @classmethod
    def from_settings(cls, smime: SmimeSettings, *, clock: Clock = _utcnow) -> CertStore:
        """The store as the configuration describes it: folder, trust anchors, CRLs, require_crl.

        The gateway, `phigate keys` and reports all open the store here, so a listing judges a
        certificate exactly as the encryptor will.
        """
        return cls(
            smime.store_dir,
            smime.trust_anchors,
            smime.crls,
            require_crl=smime.require_crl,
            clock=clock,
            harvest=smime.harvest,
        )

    # ----------------------------------------------------------------- import

    def import_file(self, path: Path, password: bytes | None = None) -> ImportResult:
        """Import every certificate in a PEM, DER or PKCS#12 file (private keys are not kept)."""
        credentials = read_credentials(Path(path), password)
        for cert in credentials.certificates:
            weak = key_strength_problem(cert.public_key())
            if weak is not None:
                raise WeakCertificateKey(path, f"certificate {fingerprint(cert)[:16]}: {weak}")
        return self.import_certificates(credentials.certificates, source=Path(path).name)

    def import_certificates(
        self,
        certs: Iterable[x509.Certificate],
        *,
        source: str = "",
        capabilities: Iterable[str] = (),
        state: HarvestState = "",
        message: str = "",
    ) -> ImportResult:
        """Store recipient certificates (indexed by address) and CA certificates (for chains)."""
        entries = {e.fingerprint: e for e in self.entries()}
        added: list[CertEntry] = []
        unchanged: list[str] = []
        intermediates = 0
        extra_caps = frozenset(capabilities)
        for cert in certs:
            fp = fingerprint(cert)
            weak = key_strength_problem(cert.public_key())
            if weak is not None:
                raise WeakCertificateKey(source or "import", f"certificate {fp[:16]}: {weak}")
            pem = cert.public_bytes(serialization.Encoding.PEM)
            if _is_ca(cert):
                _write_atomic(self.directory / "intermediates" / f"{fp}.pem", pem)
                intermediates += 1
                continue
            addresses = cert_addresses(cert)
            if not addresses:
                raise CertStoreError(
                    f"{source or 'import'}: certificate {fp[:16]} names no e-mail address"
                )
            known = entries.get(fp)
            if known is not None:
                automatic = source in HARVESTED_SOURCES or source.startswith("lookup:")
                promote = known.state == "pending" or (known.state == "rejected" and not automatic)
                if promote and not state and source not in HARVESTED_SOURCES:
                    # An officer's import (or, for a pending one, a validated lookup) of a
                    # certificate harvested earlier puts it in use: the decision approval waits
                    # for. An officer's rejection stands against every automatic source.
                    entries[fp] = replace(known, state="", source=source)
                    added.append(entries[fp])
                else:
                    unchanged.append(fp)
                continue
            relative = f"certs/{fp}.pem"
            _write_atomic(self.directory / relative, pem)
            entry = CertEntry(
                fingerprint=fp,
                addresses=addresses,
                subject=cert.subject.rfc4514_string(),
                issuer=cert.issuer.rfc4514_string(),
                serial=format(cert.serial_number, "x"),
                not_before=cert.not_valid_before_utc,
                not_after=cert.not_valid_after_utc,
                file=relative,
                capabilities=cert_capabilities(cert) | extra_caps,
                source=source,
                state=state,
                message=message,
                harvested_at=self._clock().isoformat(timespec="seconds") if message else "",
            )
            entries[fp] = entry
            added.append(entry)
        if added:
            self._write_index(entries.values())
        return ImportResult(tuple(added), intermediates, tuple(unchanged))

    def record_capabilities(
        self, address: str, capabilities: Iterable[str], *, signed_at: dt.datetime | None = None
    ) -> bool:
        """Remember what an address advertised in a signed message; True when that changed.

        The newest announcement replaces older ones (a recipient who moved to a client without
        AES-GCM must get CBC again); an older message arriving late changes nothing.
        """
        key = address.strip().lower()
        when = signed_at or self._clock()
        data = self._read_capabilities()
        old = data.get(key)
        if old is not None and dt.datetime.fromisoformat(old["signed_at"]) > when:
            return False
        record = {"capabilities": sorted(frozenset(capabilities)), "signed_at": when.isoformat()}
        if old == record:
            return False
        data[key] = record
        body = {"version": INDEX_VERSION, "addresses": dict(sorted(data.items()))}
        _write_atomic(
            self.directory / "capabilities.json",
            (json.dumps(body, indent=2, sort_keys=True) + "\n").encode(),
        )
        return True

    def learned_capabilities(self, address: str) -> frozenset[str] | None:
        """What the address last advertised in verified signed mail, or None."""
        record = self._read_capabilities().get(address.strip().lower())
        return None if record is None else frozenset(record["capabilities"])

    def learn_from_signed(self, raw: bytes, sender: str, *, message: str = "") -> Learned:
        """Learn a sender's certificate and SMIMECapabilities from S/MIME signed mail.

        Only from a signature that verifies, by a certificate that names `sender`, names every
        From address of the message, and passes the same validation as any recipient
        certificate (chain to a trust anchor, validity, usage, key size, revocation). Anything
        else teaches nothing: a forged or merely self-signed message must not change how
        mail to that address is encrypted, nor which certificate it is encrypted to.

        The certificate is stored as harvested (`message`: the keyed hash of the Message-ID):
        with `harvest` "approve" pending until an officer approves it, with "auto" in use at
        once, with "off" not at all (the capabilities are still recorded for a certificate
        the store already holds). A certificate an officer rejected is not stored again.
        """
        harvest = harvest_capabilities(raw)  # BadSignature for a forged or altered message
        if harvest is None:
            return Learned(False, "not S/MIME signed")
        cert = harvest.certificate
        fp = fingerprint(cert)
        addresses = set(cert_addresses(cert))
        claimed = {sender.strip().lower(), *_from_addresses(raw)}
        if not claimed <= addresses:
            return Learned(False, "the certificate does not name the sender", fp)
        result = self.validate(cert, extra_intermediates=harvest.chain)
        if result.problem is not None:
            return Learned(False, f"certificate {result.problem}: {result.detail}", fp)
        known = {e.fingerprint: e for e in self.entries()}
        if self.harvest != "off" and fp not in known:
            # CA certificates that came along are kept for path building (never as anchors).
            self.import_certificates(
                [c for c in result.chain[1:] if c not in self._anchors] + [cert],
                source=HARVESTED,
                state="pending" if self.harvest == "approve" else "",
                message=message,
            )
        now = self._clock()
        # A signing time in the future would pin these capabilities against later messages.
        signed_at = min(harvest.signing_time or now, now)
        for address in sorted(claimed):
            self.record_capabilities(address, harvest.capabilities, signed_at=signed_at)
        state = known[fp].state if fp in known else "" if self.harvest == "auto" else "pending"
        reason = {"": "learnt", "pending": "learnt; pending approval", "rejected": "rejected"}
        if self.harvest == "off" and fp not in known:
            return Learned(
                True, "capabilities only (smime.harvest is off)", fp, harvest.capabilities
            )
        return Learned(True, reason[state], fp, harvest.capabilities)

    # ----------------------------------------------------------------- approval

    def pending(self) -> tuple[CertEntry, ...]:
        """Harvested certificates awaiting an officer's approval."""
        return tuple(e for e in self.entries() if e.state == "pending")

    def find(self, fingerprint_prefix: str) -> CertEntry | None:
        """The one entry whose SHA-256 fingerprint starts with the given hex (16+ digits)."""
        wanted = fingerprint_prefix.replace(":", "").replace(" ", "").lower()
        if len(wanted) < 16 or any(c not in "0123456789abcdef" for c in wanted):
            return None
        found = [e for e in self.entries() if e.fingerprint.startswith(wanted)]
        return found[0] if len(found) == 1 else None

    def decide(self, fingerprint: str, *, approve: bool) -> CertEntry:
        """Approve (put in use) or reject a pending harvested certificate; the changed entry.

        Raises CertStoreError naming the fingerprint when no pending certificate has it.
        """
        entry = self.find(fingerprint)
        if entry is None or entry.state != "pending":
            raise CertStoreError(f"no pending S/MIME certificate {fingerprint}")
        changed = replace(entry, state="" if approve else "rejected")
        self._write_index(
            [changed if e.fingerprint == entry.fingerprint else e for e in self.entries()]
        )
        return changed

    # ----------------------------------------------------------------- reading

    def entries(self) -> tuple[CertEntry, ...]:
        """All stored recipient certificates (re-read when another process changed the index)."""
        index = self.directory / "index.json"
        try:
            stat = index.stat()
        except FileNotFoundError:
            return ()
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._index_stamp:
            try:
                data = json.loads(index.read_text("utf-8"))
                entries = tuple(CertEntry.from_json(item) for item in data["certs"])
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise CertStoreError(f"{index}: unreadable certificate index") from exc
            self._entries, self._index_stamp, self._certs = entries, stamp, {}
        return self._entries

    def certificate(self, entry: CertEntry) -> x509.Certificate:
        """The certificate of an index entry."""
        cert = self._certs.get(entry.fingerprint)
        if cert is None:
            path = self.directory / entry.file
            try:
                cert = x509.load_pem_x509_certificate(path.read_bytes())
            except (OSError, ValueError) as exc:
                raise CertStoreError(f"{path}: stored certificate unreadable") from exc
            self._certs[entry.fingerprint] = cert
        return cert

    def _read_capabilities(self) -> dict[str, dict[str, Any]]:
        path = self.directory / "capabilities.json"
        try:
            data = json.loads(path.read_text("utf-8"))
            addresses = data["addresses"]
            if not isinstance(addresses, dict):
                raise TypeError("addresses")
            return dict(addresses)
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CertStoreError(f"{path}: unreadable capability store") from exc

    def intermediates(self) -> list[x509.Certificate]:
        """CA certificates that came with imports, offered for path building."""
        folder = self.directory / "intermediates"
        if not folder.is_dir():
            return []
        return [
            x509.load_pem_x509_certificate(p.read_bytes()) for p in sorted(folder.glob("*.pem"))
        ]

    # ----------------------------------------------------------------- lookup

    def lookup(self, address: str, *, at: dt.datetime | None = None) -> CertLookup:
        """The certificate to encrypt to for `address`, or the reason there is none."""
        when = at or self._clock()
        key = address.strip().lower()
        listed = [e for e in self.entries() if key in e.addresses and e.state != "rejected"]
        candidates = [e for e in listed if e.in_use]
        if not candidates:
            if listed:
                # Pending material is not there yet: a miss, so a lookup may still find one.
                return CertLookup(
                    None,
                    "not-found",
                    "harvested certificate awaiting approval (phigate keys approve "
                    + ", ".join(e.fingerprint[:16] for e in listed)
                    + ")",
                    listed[0],
                    len(listed),
                )
            return CertLookup(None, "not-found", "no certificate for this address")
        checked = [(entry, self.validate(self.certificate(entry), at=when)) for entry in candidates]
        newest_first = sorted(
            checked, key=lambda item: (item[0].not_after, item[0].not_before), reverse=True
        )
        valid = [(e, v) for e, v in newest_first if v.problem is None]
        # A certificate an officer imported is never displaced by one taken from mail.
        officers = [(e, v) for e, v in valid if not e.harvested]
        valid = officers or valid
        count = len(candidates)
        if valid:
            entry, _ = valid[0]
            if len(valid) > 1:
                other = valid[1][0]
                if (other.not_after, other.not_before) == (entry.not_after, entry.not_before):
                    return CertLookup(
                        None,
                        "ambiguous",
                        f"{len(valid)} valid certificates with the same validity period: "
                        + ", ".join(e.fingerprint[:16] for e, _ in valid),
                        candidates=count,
                    )
                detail = (
                    f"{len(valid)} valid certificates; chose {entry.fingerprint[:16]}, "
                    f"valid until {entry.not_after.isoformat()} (the latest notAfter)"
                )
            elif count > 1:
                skipped = ", ".join(
                    f"{e.fingerprint[:16]}={v.problem}" for e, v in newest_first if v.problem
                )
                detail = (
                    f"chose {entry.fingerprint[:16]}, the only valid one of {count} ({skipped})"
                )
            else:
                detail = "valid"
            learned = self.learned_capabilities(key)
            return CertLookup(self.certificate(entry), None, detail, entry, count, learned)
        entry, result = newest_first[0]
        detail = result.detail
        if count > 1:
            detail += (
                f" (newest of {count}; others: "
                + ", ".join(f"{e.fingerprint[:16]}={v.problem}" for e, v in newest_first[1:])
                + ")"
            )
        return CertLookup(None, result.problem, detail, entry, count)

    def validate(
        self,
        cert: x509.Certificate,
        *,
        at: dt.datetime | None = None,
        extra_intermediates: Sequence[x509.Certificate] = (),
    ) -> Validation:
        """Check validity period, key usage and EKU, chain to a trust anchor, and revocation."""
        when = at or self._clock()
        if when < cert.not_valid_before_utc:
            return Validation(
                "not-yet-valid", f"valid from {cert.not_valid_before_utc.isoformat()}"
            )
        if when > cert.not_valid_after_utc:
            return Validation("expired", f"expired {cert.not_valid_after_utc.isoformat()}")
        weak = key_strength_problem(cert.public_key())
        if weak is not None:
            return Validation("weak-key", weak)
        usage = _usage_problem(cert)
        if usage is not None:
            return Validation("wrong-usage", usage)
        if not self._anchors:
            return Validation("untrusted", "no trust anchors configured")
        verifier = (
            verification.PolicyBuilder()
            .store(verification.Store(list(self._anchors)))
            .time(when)
            .extension_policies(
                ca_policy=verification.ExtensionPolicy.webpki_defaults_ca(),
                # Key usage and EKU are checked above for S/MIME; the client policy wants clientAuth.
                ee_policy=verification.ExtensionPolicy.permit_all(),
            )
            .build_client_verifier()
        )
        try:
            verified = verifier.verify(cert, [*self.intermediates(), *extra_intermediates])
        except verification.VerificationError as exc:
            reason = str(exc).split(" (encountered", 1)[0]
            return Validation("untrusted", f"no valid chain to a trust anchor: {reason}")
        chain = tuple(verified.chain)
        for link in chain[1:]:
            weak = key_strength_problem(link.public_key())
            if weak is not None:
                return Validation("weak-key", f"CA {link.subject.rfc4514_string()}: {weak}")
        try:
            revoked, unchecked = self._crls.check(chain, at=when)
        except CrlError as exc:
            return Validation("untrusted", f"revocation status unknown: {exc}")
        if revoked is not None:
            return Validation(
                "revoked", f"revoked {revoked.revoked_at.date().isoformat()} per {revoked.source}"
            )
        if unchecked and self._require_crl:
            return Validation("no-current-crl", "; ".join(unchecked) + " (require_crl is on)")
        return Validation(None, "valid", chain)

    def status(self, entry: CertEntry, *, at: dt.datetime | None = None) -> str:
        """ "valid" or the problem code, for listings."""
        return self.explain(entry, at=at).problem or "valid"

    def explain(self, entry: CertEntry, *, at: dt.datetime | None = None) -> Validation:
        """Whether a stored certificate may be used, and why not (for listings and reports)."""
        return self.validate(self.certificate(entry), at=at)

    # ----------------------------------------------------------------- internals

    def _load_anchors(self, paths: Sequence[Path]) -> list[x509.Certificate]:
        anchors: list[x509.Certificate] = []
        for path in paths:
            files = (
                sorted(p for p in Path(path).iterdir() if p.is_file())
                if Path(path).is_dir()
                else [Path(path)]
            )
            for file in files:
                anchors.extend(read_credentials(file).certificates)
        return anchors

    def _write_index(self, entries: Iterable[CertEntry]) -> None:
        ordered = sorted(entries, key=lambda e: (e.addresses, e.fingerprint))
        data = {"version": INDEX_VERSION, "certs": [e.as_json() for e in ordered]}
        _write_atomic(
            self.directory / "index.json",
            (json.dumps(data, indent=2, sort_keys=True) + "\n").encode(),
        )
        self._index_stamp = None


def _state(value: object) -> HarvestState:
    if value not in ("", "pending", "rejected"):
        raise ValueError(f"unknown certificate state {value!r}")
    return value


def _from_addresses(raw: bytes) -> set[str]:
    """The addresses in the message's From field(s), lower case."""
    values = [f.value for f in split_message(raw).fields("from")]
    return {addr.strip().lower() for _, addr in getaddresses(values) if addr.strip()}


def _usage_problem(cert: x509.Certificate) -> str | None:
    key = cert.public_key()
    ku = extension(cert, x509.KeyUsage)
    if isinstance(key, rsa.RSAPublicKey):
        if ku is not None and not ku.key_encipherment:
            return "key usage lacks keyEncipherment"
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if ku is not None and not ku.key_agreement:
            return "key usage lacks keyAgreement"
    else:
        return f"unsupported key type {type(key).__name__}"
    eku = extension(cert, x509.ExtendedKeyUsage)
    if eku is None:
        return None  # RFC 8550 4.4.4: only a present EKU must allow emailProtection
    allowed = {ExtendedKeyUsageOID.EMAIL_PROTECTION, ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE}
    if not allowed & set(eku):
        return "extended key usage lacks emailProtection"
    return None


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


__all__ = [
    "CertEntry",
    "CertFileError",
    "CertLookup",
    "CertStore",
    "ImportResult",
    "Learned",
    "CertProblem",
    "Validation",
    "cert_addresses",
    "fingerprint",
]
