"""OpenPGP encryption (PGP/MIME, RFC 3156; inline PGP as a legacy option) with a gateway-owned keyring.

The keyring is a GNUPGHOME directory that the gateway creates with mode 0700. gpg puts its agent
socket in that directory and Unix socket paths are limited to about 108 bytes, so a home whose
absolute path is longer than `MAX_HOME_CHARS` is refused up front with a clear error.

Trust model (explicit, per address):
    gpg's web of trust is not used. A key may encrypt mail for an address only when the gateway
    operator has bound that key's fingerprint to that address with `PgpKeyring.trust()`. Bindings
    live in `phigate-trust.json` inside the keyring directory (mode 0600, written atomically). A
    binding is honoured only while the key also carries a user ID with that address and the key is
    neither revoked nor expired and has an encryption-capable (sub)key. Only after this check does
    the gateway pass gpg `--always-trust` (gpg's own trust database is never consulted), and
    `encrypt_*` re-checks every fingerprint it is given, so a caller cannot bypass the model.

Several keys for one address:
    Only keys the operator trusted for the address count. Exactly one usable trusted key is used,
    whatever untrusted, expired or revoked keys also carry the address. Two or more usable
    trusted keys give the problem "ambiguous" and nothing is encrypted: the gateway never guesses
    which key the recipient can read. `trust()` never removes other bindings by itself; to rotate,
    trust the new key and `untrust()` the old one (an old key that expired or was revoked drops out
    on its own).

Outer headers of an encrypted message:
    Only the fields `gateway.mime.wrap.OUTER_FIELDS` names (From, To, Cc, Date, Message-ID,
    Reply-To, Sender, References, In-Reply-To) are copied from the original header block (their
    raw bytes, folding kept), plus the Subject only when `protect_subject` is off, and a new
    `MIME-Version: 1.0`. Every other field that can hold free text (Thread-Topic, Keywords,
    Comments, X-*) moves inside the encryption; trace fields (Received, DKIM-Signature, ...) are
    dropped. With `protect_subject` (the default in the gateway) the outer Subject is the neutral
    one. S/MIME and OpenPGP share these rules and the MIME writer (`gateway.mime`).

What "byte-exact" means for the encrypted inner MIME entity:
    The plaintext handed to gpg is the moved header fields, the original's Content-* header
    fields (raw bytes, original order and folding), the empty line, and the original body, sliced
    from the original bytes. The only change allowed is line-ending canonicalisation: every bare
    LF becomes CRLF (RFC 3156 requires CRLF); a message received over SMTP already uses CRLF and
    is copied unchanged. With `protect_subject=True` the inner entity also carries the protected
    header fields (`gateway.mime.wrap.PROTECTED_FIELDS`: Subject, From, To, Cc, Date,
    Message-ID, Reply-To; raw bytes, original order) and its Content-Type gains the parameter
    `protected-headers="v1"` (draft-ietf-lamps-header-protection), as the S/MIME inner entity
    does; no other byte changes.

Inline PGP:
    Inline PGP has nowhere to put protected headers, so the outer Subject is always the neutral
    one and the encrypted text starts with the original Subject ("Subject: ...") and the other
    moved fields, one per line, then an empty line, then the text.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Literal

import gnupg

from gateway.mime.headers import split_message, to_crlf
from gateway.mime.wrap import inner_entity, moves_inside, outer_message
from gateway.mime.writer import Entity, multipart
from gateway.model import PhigateError

MAX_HOME_CHARS = 80
TRUST_DB_NAME = "phigate-trust.json"
HARVEST_DB_NAME = "phigate-harvest.json"
_GPG_TIMEOUT_S = 60.0
_FPR_RE = re.compile(r"^[0-9A-F]{40}$")
_COLON_ESCAPE = re.compile(r"\\x([0-9a-fA-F]{2})")

PgpProblem = Literal["not-found", "expired", "revoked", "unusable", "untrusted", "ambiguous"]
KeyStatus = Literal["ok", "expired", "revoked", "unusable", "untrusted", "signing", "pending"]
HarvestState = Literal["pending", "approved", "rejected"]

#: OpenPGP public-key algorithms (RFC 4880 9.1, RFC 6637) by family.
_FINITE_FIELD = {1: "RSA", 2: "RSA", 3: "RSA", 16: "Elgamal", 17: "DSA", 20: "Elgamal"}
_ELLIPTIC = {18, 19, 22, 25, 26, 27, 28}
_STRONG_CURVES = {
    "cv25519",
    "ed25519",
    "curve25519",
    "x25519",
    "cv448",
    "ed448",
    "x448",
    "nistp256",
    "nistp384",
    "nistp521",
    "brainpoolp256r1",
    "brainpoolp384r1",
    "brainpoolp512r1",
}

# When no key for an address is usable, the problem reported is the one closest to usable, so the
# operator sees the actionable one first ("trust this key" beats "that other key expired").
_PROBLEM_RANK: dict[str, int] = {"untrusted": 0, "unusable": 1, "expired": 2, "revoked": 3}


class PgpError(PhigateError):
    """An OpenPGP operation failed; the message names the step, never message content."""

    code = "pgp-failed"


class PgpHomeError(PgpError):
    """The keyring directory cannot be used (path too long, unsafe permissions, not a folder)."""

    code = "pgp-home-invalid"


class PgpKeyImportError(PgpError):
    """Key material to import is not a usable OpenPGP public key."""

    code = "pgp-key-invalid"


class PgpSecretKeyOffered(PgpKeyImportError):
    """Key material offered as a recipient's public key holds secret key material."""

    code = "pgp-secret-key-offered"


class PgpTrustDbError(PgpError):
    """The gateway's trust bindings file is unreadable or malformed."""

    code = "pgp-trustdb-invalid"


class PgpKeyRefused(PgpError):
    """A key was refused by the trust model (its `problem` says why)."""

    code = "pgp-key-refused"

    def __init__(self, message: str, problem: str) -> None:
        super().__init__(message)
        self.problem = problem


class InlinePgpUnsupported(PgpError):
    """The message is not a single text/plain part; the caller should fall back to PGP/MIME."""

    code = "pgp-inline-unsupported"


@dataclass(frozen=True)
class ImportedKey:
    """One key touched by an import: its fingerprint, addresses and what changed."""

    fingerprint: str
    addresses: tuple[str, ...]
    status: Literal["new", "updated", "unchanged"]


@dataclass(frozen=True)
class PgpLookup:
    """The key to use for an address, or the reason there is none."""

    fingerprint: str | None
    problem: PgpProblem | None
    detail: str

    @property
    def ok(self) -> bool:
        return self.fingerprint is not None and self.problem is None


@dataclass(frozen=True)
class _Uid:
    address: str | None
    validity: str


@dataclass(frozen=True)
class _Subkey:
    fingerprint: str
    validity: str
    caps: str
    expires: datetime | None
    algorithm: int = 0
    bits: int = 0
    curve: str = ""


@dataclass(frozen=True)
class _Key:
    fingerprint: str
    validity: str
    caps: str
    expires: datetime | None
    uids: tuple[_Uid, ...] = ()
    subkeys: tuple[_Subkey, ...] = ()
    secret: bool = False
    algorithm: int = 0
    bits: int = 0
    curve: str = ""

    @property
    def addresses(self) -> tuple[str, ...]:
        seen: list[str] = []
        for uid in self.uids:
            if uid.address and uid.address not in seen:
                seen.append(uid.address)
        return tuple(seen)

    def state(self, usage: str = "e") -> KeyStatus:
        """Revoked, expired or unusable for `usage`, judged from gpg's computed validity and caps."""
        if self.validity == "r":
            return "revoked"
        if self.validity == "e":
            return "expired"
        # Upper-case letters in the primary's capabilities are what the whole key can still do.
        if self.validity in ("i", "d"):
            return "unusable"
        if usage.upper() not in self.caps:
            subs = [s.validity for s in self.subkeys if usage in s.caps]
            if subs and all(v == "e" for v in subs):
                return "expired"
            if subs and all(v == "r" for v in subs):
                return "revoked"
            return "unusable"
        return "ok"

    def uid_revoked(self, address: str) -> bool:
        matches = [u for u in self.uids if u.address == address]
        return bool(matches) and all(u.validity == "r" for u in matches)

    def usage_expires(self, usage: str = "e") -> datetime | None:
        """When the key stops being usable for `usage`: the primary's or its last subkey's expiry."""
        ends: list[datetime | None] = []
        if usage in self.caps:
            ends.append(self.expires)
        for sub in self.subkeys:
            if usage in sub.caps and sub.validity not in ("r", "e", "i", "d"):
                ends.append(sub.expires)
        if not ends:
            return self.expires
        last = None if any(e is None for e in ends) else max(e for e in ends if e is not None)
        if self.expires is not None and (last is None or self.expires < last):
            return self.expires
        return last


KeyInfo = _Key  # what gpg says about one key, for the harvester's checks


@dataclass(frozen=True)
class HarvestedKey:
    """A key the gateway took from mail (Autocrypt header or attached key), and its approval.

    `message` is the keyed hash of the Message-ID it came in, never the Message-ID itself.
    """

    fingerprint: str
    addresses: tuple[str, ...]
    state: HarvestState
    origin: str
    message: str
    at: str
    prefer_encrypt: str = ""

    def as_json(self) -> dict[str, Any]:
        """The ledger record."""
        return {
            "fingerprint": self.fingerprint,
            "addresses": list(self.addresses),
            "state": self.state,
            "origin": self.origin,
            "message": self.message,
            "at": self.at,
            "prefer_encrypt": self.prefer_encrypt,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HarvestedKey:
        """Read a ledger record."""
        state = str(data["state"])
        if state not in ("pending", "approved", "rejected"):
            raise ValueError(f"unknown harvest state {state!r}")
        return cls(
            fingerprint=normalize_fingerprint(str(data["fingerprint"])),
            addresses=tuple(normalize_address(str(a)) for a in data["addresses"]),
            state=state,  # type: ignore[arg-type]
            origin=str(data.get("origin", "")),
            message=str(data.get("message", "")),
            at=str(data.get("at", "")),
            prefer_encrypt=str(data.get("prefer_encrypt", "")),
        )


@dataclass(frozen=True)
class _Binding:
    fingerprint: str
    address: str
    trusted_at: str
    #: who bound it: "" for an officer (or an approved harvested key), "lookup:<source>" for a
    #: key a lookup found and validated (WKD, DANE OPENPGPKEY)
    source: str = ""


@dataclass
class _TrustDb:
    bindings: list[_Binding] = field(default_factory=list)

    def has(self, fingerprint: str, address: str) -> bool:
        return any(b.fingerprint == fingerprint and b.address == address for b in self.bindings)

    def trusted_fingerprints(self, address: str) -> list[str]:
        return [b.fingerprint for b in self.bindings if b.address == address]


def normalize_address(address: str) -> str:
    """The comparison form of an email address: the bare addr-spec, case-folded."""
    return parseaddr(address)[1].strip().lower()


def normalize_fingerprint(fingerprint: str) -> str:
    """Upper-case hex without spaces; only full v4 fingerprints (40 hex digits) are accepted."""
    fpr = fingerprint.replace(" ", "").upper()
    if fpr.startswith("0X"):
        fpr = fpr[2:]
    if not _FPR_RE.match(fpr):
        raise PgpError("an OpenPGP key must be named by its full 40-hex-digit fingerprint")
    return fpr


def _ts(value: str) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value.strip() else None


def _unescape(value: str) -> str:
    return _COLON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)


def _uid_address(user_id: str) -> str | None:
    addr = normalize_address(user_id)
    return addr if "@" in addr else None


def _algorithm(fields: list[str]) -> dict[str, Any]:
    """Public-key algorithm number, key length in bits and curve name of a pub/sub record."""
    number = fields[3] if len(fields) > 3 else ""
    bits = fields[2] if len(fields) > 2 else ""
    return {
        "algorithm": int(number) if number.isdigit() else 0,
        "bits": int(bits) if bits.isdigit() else 0,
        "curve": fields[16] if len(fields) > 16 else "",
    }


def strength_problem(key: _Key, usage: str = "e") -> str | None:
    """Why the primary key or a subkey usable for `usage` is too weak, or None.

    The same floor as S/MIME certificates: RSA, Elgamal and DSA of at least 2048 bits; elliptic
    curves of at least 256 bits (Curve25519, Ed25519, P-256 and up, Brainpool 256 and up).
    """
    parts: list[tuple[str, int, int, str]] = [("primary key", key.algorithm, key.bits, key.curve)]
    parts += [
        (f"subkey {s.fingerprint[-16:]}", s.algorithm, s.bits, s.curve)
        for s in key.subkeys
        if usage in s.caps and s.validity not in ("r", "e", "i", "d")
    ]
    for name, algorithm, bits, curve in parts:
        if algorithm in _FINITE_FIELD:
            if bits < 2048:
                return f"{name}: {_FINITE_FIELD[algorithm]} of {bits} bits (at least 2048 needed)"
        elif algorithm in _ELLIPTIC:
            if curve.lower() not in _STRONG_CURVES:
                return f"{name}: curve {curve or 'unknown'} is not accepted"
        else:
            return f"{name}: public-key algorithm {algorithm} is not accepted"
    return None


def _parse_colons(text: str) -> list[_Key]:
    """Keys from `gpg --with-colons --fixed-list-mode` output (pub/sec, fpr, uid, sub/ssb)."""
    keys: list[_Key] = []
    cur: dict[str, Any] | None = None
    pending: str | None = None  # record type the next fpr line belongs to

    def flush() -> None:
        if cur is not None and cur.get("fingerprint"):
            keys.append(
                _Key(
                    fingerprint=cur["fingerprint"],
                    validity=cur["validity"],
                    caps=cur["caps"],
                    expires=cur["expires"],
                    uids=tuple(cur["uids"]),
                    subkeys=tuple(_Subkey(**s) for s in cur["subkeys"] if s.get("fingerprint")),
                    secret=cur["secret"],
                    algorithm=cur["algorithm"],
                    bits=cur["bits"],
                    curve=cur["curve"],
                )
            )

    for line in text.splitlines():
        f = line.split(":")
        kind = f[0]
        if kind in ("pub", "sec"):
            flush()
            cur = {
                "fingerprint": "",
                "validity": f[1],
                "caps": f[11] if len(f) > 11 else "",
                "expires": _ts(f[6]),
                "uids": [],
                "subkeys": [],
                "secret": kind == "sec",
                **_algorithm(f),
            }
            pending = "primary"
        elif cur is None:
            continue
        elif kind in ("sub", "ssb"):
            cur["subkeys"].append(
                {
                    "fingerprint": "",
                    "validity": f[1],
                    "caps": f[11] if len(f) > 11 else "",
                    "expires": _ts(f[6]),
                    **_algorithm(f),
                }
            )
            pending = "sub"
        elif kind == "fpr" and pending is not None:
            fpr = f[9].upper()
            if pending == "primary":
                cur["fingerprint"] = fpr
            else:
                cur["subkeys"][-1]["fingerprint"] = fpr
            pending = None
        elif kind == "uid":
            cur["uids"].append(_Uid(address=_uid_address(_unescape(f[9])), validity=f[1]))
    flush()
    return keys


def _one_line(value: str) -> str:
    """A decoded header value on one line (a folded or malformed value must not add lines)."""
    return " ".join(value.split())


class PgpKeyring:
    """The gateway's own GnuPG keyring plus its explicit per-address trust bindings."""

    def __init__(self, home: Path, *, gpg_binary: str = "gpg") -> None:
        self.home = Path(os.path.abspath(home))
        if len(str(self.home)) > MAX_HOME_CHARS:
            raise PgpHomeError(
                f"GNUPGHOME {str(self.home)!r} is {len(str(self.home))} characters; gpg's agent "
                f"socket lives there and needs a path of at most {MAX_HOME_CHARS} characters"
            )
        self._prepare_home()
        self._gpg_binary = gpg_binary
        self._gpg = gnupg.GPG(
            gpgbinary=gpg_binary,
            gnupghome=str(self.home),
            options=["--no-auto-key-retrieve", "--no-auto-key-locate", "--no-emit-version"],
        )
        self._gpg.encoding = "utf-8"
        self._trust_path = self.home / TRUST_DB_NAME

    def _prepare_home(self) -> None:
        if not self.home.exists():
            self.home.mkdir(mode=0o700, parents=True)
            os.chmod(self.home, 0o700)
        st = self.home.stat()
        if not stat.S_ISDIR(st.st_mode):
            raise PgpHomeError(f"GNUPGHOME {str(self.home)!r} is not a directory")
        if st.st_uid != os.geteuid():
            raise PgpHomeError(f"GNUPGHOME {str(self.home)!r} is not owned by this user")
        if st.st_mode & 0o077:
            raise PgpHomeError(
                f"GNUPGHOME {str(self.home)!r} is readable by others; run chmod 700 on it"
            )

    def close(self) -> None:
        """Stop the gpg-agent this keyring started (its socket lives in the home directory)."""
        subprocess.run(  # noqa: S603 - fixed argv, no shell
            ["gpgconf", "--homedir", str(self.home), "--kill", "all"],
            capture_output=True,
            timeout=_GPG_TIMEOUT_S,
            check=False,
        )

    def __enter__(self) -> PgpKeyring:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- listing -------------------------------------------------------------------------------

    def _run_gpg(self, args: Sequence[str], data: bytes | None = None) -> str:
        proc = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [
                self._gpg_binary,
                "--homedir",
                str(self.home),
                "--batch",
                "--no-tty",
                "--with-colons",
                "--fixed-list-mode",
                *args,
            ],
            input=data,
            capture_output=True,
            timeout=_GPG_TIMEOUT_S,
            check=False,
            env={**os.environ, "LC_ALL": "C"},
        )
        if proc.returncode not in (0, 2):
            raise PgpError(f"gpg {args[-1]} failed with exit code {proc.returncode}")
        return proc.stdout.decode("utf-8", "replace")

    def _keys(self, secret: bool = False) -> list[_Key]:
        return _parse_colons(self._run_gpg(["--list-secret-keys" if secret else "--list-keys"]))

    def _key(self, fingerprint: str) -> _Key | None:
        fpr = normalize_fingerprint(fingerprint)
        return next((k for k in self._keys() if k.fingerprint == fpr), None)

    def addresses_of(self, fingerprint: str) -> tuple[str, ...] | None:
        """The email addresses in the key's user IDs, or None when the keyring lacks the key."""
        key = self._key(fingerprint)
        return None if key is None else key.addresses

    def _secret_fingerprints(self) -> set[str]:
        return {k.fingerprint for k in self._keys(secret=True)}

    def keys(self) -> list[KeyInfo]:
        """Every public key in the keyring, as gpg judges it now."""
        return self._keys()

    def inspect(self, data: bytes) -> list[KeyInfo]:
        """The keys in `data` as gpg judges them, without importing anything."""
        return self._scan(data)

    def trusted_for(self, address: str) -> list[str]:
        """Fingerprints bound to `address` (by an officer, or by approving a harvested key)."""
        return self._load_trust().trusted_fingerprints(normalize_address(address))

    def delete_key(self, fingerprint: str) -> None:
        """Remove a public key from the keyring (a rejected harvested key)."""
        fpr = normalize_fingerprint(fingerprint)
        self._run_gpg(["--yes", "--delete-keys", fpr])

    # -- harvested keys ------------------------------------------------------------------------

    def harvested(self) -> dict[str, HarvestedKey]:
        """The keys taken from mail, by fingerprint, with their approval state."""
        path = self.home / HARVEST_DB_NAME
        if not path.exists():
            return {}
        try:
            doc = json.loads(path.read_text("utf-8"))
            entries = [HarvestedKey.from_json(item) for item in doc["keys"]]
        except (OSError, ValueError, KeyError, TypeError, PgpError) as exc:
            raise PgpTrustDbError(
                f"harvest ledger {str(path)!r} is unreadable or malformed ({type(exc).__name__})"
            ) from exc
        return {e.fingerprint: e for e in entries}

    def record_harvest(self, entry: HarvestedKey) -> None:
        """Add or replace the ledger record of one harvested key."""
        entries = self.harvested()
        entries[entry.fingerprint] = entry
        doc = {"version": 1, "keys": [entries[f].as_json() for f in sorted(entries)]}
        self._write_private(self.home / HARVEST_DB_NAME, doc)

    # -- trust bindings ------------------------------------------------------------------------

    def _load_trust(self) -> _TrustDb:
        if not self._trust_path.exists():
            return _TrustDb()
        try:
            doc = json.loads(self._trust_path.read_text("utf-8"))
            bindings = [
                _Binding(
                    fingerprint=normalize_fingerprint(str(b["fingerprint"])),
                    address=normalize_address(str(b["address"])),
                    trusted_at=str(b.get("trusted_at", "")),
                    source=str(b.get("source", "")),
                )
                for b in doc["bindings"]
            ]
        except (OSError, ValueError, KeyError, TypeError, PgpError) as exc:
            raise PgpTrustDbError(
                f"trust bindings file {str(self._trust_path)!r} is unreadable or malformed "
                f"({type(exc).__name__}); fix or remove it and trust the keys again"
            ) from exc
        return _TrustDb(bindings)

    def _save_trust(self, db: _TrustDb) -> None:
        doc = {
            "version": 1,
            "bindings": [
                {
                    "fingerprint": b.fingerprint,
                    "address": b.address,
                    "trusted_at": b.trusted_at,
                    **({"source": b.source} if b.source else {}),
                }
                for b in db.bindings
            ],
        }
        self._write_private(self._trust_path, doc)

    @staticmethod
    def _write_private(path: Path, doc: dict[str, Any]) -> None:
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=2, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    def trust(
        self, fingerprint: str, address: str, *, officer: bool = False, source: str = ""
    ) -> None:
        """Bind `address` to the key `fingerprint`: the operator vouches the key belongs to it.

        A key an officer rejected (harvest ledger) is refused unless `officer` says the officer
        is the one binding it now (`phigate keys trust`): an automatic source never revives it.
        `source` names an automatic source that bound it ("lookup:wkd"); `keys list` shows it.
        """
        fpr = normalize_fingerprint(fingerprint)
        addr = normalize_address(address)
        record = self.harvested().get(fpr)
        if record is not None and record.state == "rejected" and not officer:
            raise PgpKeyRefused(f"key {fpr} was rejected by an officer", "untrusted")
        key = self._key(fpr)
        if key is None:
            raise PgpKeyRefused(f"no key {fpr} in the gateway keyring", "not-found")
        if addr not in key.addresses:
            raise PgpKeyRefused(
                f"key {fpr} has no user ID for the given address; import a key that carries it",
                "not-found",
            )
        db = self._load_trust()
        if not db.has(fpr, addr):
            now = datetime.now(UTC).isoformat(timespec="seconds")
            db.bindings.append(_Binding(fpr, addr, now, source))
            self._save_trust(db)

    def untrust(self, fingerprint: str, address: str | None = None) -> int:
        """Remove the key's binding for `address` (all its bindings when None); returns how many."""
        fpr = normalize_fingerprint(fingerprint)
        addr = normalize_address(address) if address is not None else None
        db = self._load_trust()
        keep = [b for b in db.bindings if not (b.fingerprint == fpr and addr in (None, b.address))]
        removed = len(db.bindings) - len(keep)
        if removed:
            self._save_trust(_TrustDb(keep))
        return removed

    # -- import --------------------------------------------------------------------------------

    def _scan(self, data: bytes) -> list[_Key]:
        return _parse_colons(self._run_gpg(["--import-options", "show-only", "--import"], data))

    def import_keys(self, data: bytes) -> list[ImportedKey]:
        """Import public keys (armored or binary) and revocations; secret key material is refused."""
        scanned = self._scan(data)
        if any(k.secret for k in scanned):
            raise PgpSecretKeyOffered(
                "the input holds secret key material; import only the recipient's public key "
                "(gpg --export), never a secret key"
            )
        result = self._gpg.import_keys(data)
        imported = self._imported(result)
        if not imported and not getattr(result, "n_revoc", 0):
            raise PgpKeyImportError(
                f"no OpenPGP public key found in the input ({len(data)} bytes); "
                "expected an armored or binary public key export"
            )
        return imported

    def import_signing_key(self, data: bytes) -> list[ImportedKey]:
        """Import the gateway's own secret signing key (it must not be passphrase-protected)."""
        scanned = self._scan(data)
        if not any(k.secret for k in scanned):
            raise PgpKeyImportError("the input holds no secret key; a signing key needs one")
        result = self._gpg.import_keys(data, extra_args=["--pinentry-mode", "loopback"])
        imported = self._imported(result)
        if not imported:
            raise PgpKeyImportError("the secret signing key could not be imported")
        return imported

    def _imported(self, result: Any) -> list[ImportedKey]:
        by_fpr = {k.fingerprint: k for k in self._keys()}
        out: dict[str, ImportedKey] = {}
        for row in result.results:
            fpr = str(row.get("fingerprint") or "").upper()
            if "ok" not in row or fpr not in by_fpr:
                continue
            reason = int(row["ok"])
            status: Literal["new", "updated", "unchanged"] = (
                "new" if reason & 1 else "updated" if reason else "unchanged"
            )
            if fpr not in out or status == "new":
                out[fpr] = ImportedKey(fpr, by_fpr[fpr].addresses, status)
        return list(out.values())

    def create_signing_key(self, address: str, *, expire: str = "2y") -> str:
        """Generate an unprotected Ed25519 signing key for the gateway; returns its fingerprint."""
        addr = normalize_address(address)
        if "@" not in addr:
            raise PgpError("a signing key needs an email address")
        params = self._gpg.gen_key_input(
            key_type="EDDSA",
            key_curve="ed25519",
            key_usage="sign",
            name_real="phigate gateway",
            name_email=addr,
            expire_date=expire,
            no_protection=True,
        )
        result = self._gpg.gen_key(params)
        if not result.fingerprint:
            raise PgpError("gpg could not generate the signing key")
        return str(result.fingerprint).upper()

    # -- lookup --------------------------------------------------------------------------------

    def _status(self, key: _Key, address: str, db: _TrustDb) -> KeyStatus:
        state = key.state("e")
        if state != "ok":
            return state
        if key.uid_revoked(address):
            return "revoked"
        return "ok" if db.has(key.fingerprint, address) else "untrusted"

    def lookup(self, address: str) -> PgpLookup:
        """The single trusted, usable key for `address`, or the problem that prevents encryption."""
        addr = normalize_address(address)
        db = self._load_trust()
        candidates = [k for k in self._keys() if addr and addr in k.addresses]
        if not candidates:
            return PgpLookup(None, "not-found", "no OpenPGP key carries this address")
        statuses = {k.fingerprint: self._status(k, addr, db) for k in candidates}
        usable = [fpr for fpr, s in statuses.items() if s == "ok"]
        if len(usable) == 1:
            return PgpLookup(usable[0], None, "trusted key")
        if usable:
            return PgpLookup(
                None,
                "ambiguous",
                f"{len(usable)} usable keys are trusted for this address "
                f"({', '.join(usable)}); untrust all but one",
            )
        trusted = [f for f in db.trusted_fingerprints(addr) if f in statuses]
        pool = trusted or list(statuses)
        worst_first = sorted(pool, key=lambda f: _PROBLEM_RANK.get(statuses[f], 9))
        fpr = worst_first[0]
        problem = statuses[fpr]
        details = {
            "untrusted": "not trusted for this address by the operator (phigate keys trust)",
            "unusable": "has no usable encryption-capable key or subkey",
            "expired": "has expired",
            "revoked": "is revoked",
        }
        extra = f" ({len(candidates)} keys carry this address)" if len(candidates) > 1 else ""
        record = self.harvested().get(fpr) if problem == "untrusted" else None
        if record is not None and record.state == "pending":
            # Pending material is not there yet: a miss, so a lookup may still find a key.
            return PgpLookup(
                None,
                "not-found",
                f"key {fpr} was harvested from mail and awaits approval (phigate keys approve){extra}",
            )
        return PgpLookup(None, problem, f"key {fpr} {details[problem]}{extra}")  # type: ignore[arg-type]

    def _check_recipients(self, fingerprints: Sequence[str]) -> list[str]:
        if not fingerprints:
            raise PgpError("no recipient keys given")
        keys = {k.fingerprint: k for k in self._keys()}
        db = self._load_trust()
        checked: list[str] = []
        for raw_fpr in fingerprints:
            fpr = normalize_fingerprint(raw_fpr)
            key = keys.get(fpr)
            if key is None:
                raise PgpKeyRefused(f"key {fpr} is not in the gateway keyring", "not-found")
            statuses = [self._status(key, a, db) for a in key.addresses]
            if "ok" not in statuses:
                problem = key.state("e")
                problem = problem if problem != "ok" else "untrusted"
                raise PgpKeyRefused(f"key {fpr} is refused by the trust model", problem)
            checked.append(fpr)
        return checked

    def _check_signer(self, fingerprint: str) -> str:
        fpr = normalize_fingerprint(fingerprint)
        if fpr not in self._secret_fingerprints():
            raise PgpKeyRefused(f"no secret signing key {fpr} in the gateway keyring", "not-found")
        key = self._key(fpr)
        state = key.state("s") if key is not None else "unusable"
        if state != "ok":
            raise PgpKeyRefused(f"signing key {fpr} is {state}", state)
        return fpr

    # -- listing for operators -----------------------------------------------------------------

    def list_keys(self) -> list[dict[str, Any]]:
        """One row per (key, address): address, kind, fingerprint, expires (ISO or None), status,
        source ("imported", "harvested" for a key taken from mail, "lookup:<source>" for one a
        lookup bound; "pending" status while a harvested key awaits approval)."""
        db = self._load_trust()
        secret = self._secret_fingerprints()
        harvested = self.harvested()
        rows: list[dict[str, Any]] = []
        for key in self._keys():
            is_signer = key.fingerprint in secret
            expires = key.usage_expires("s" if is_signer else "e")
            for addr in key.addresses or ("",):
                status: KeyStatus
                if is_signer:
                    status = key.state("s")
                    status = "signing" if status == "ok" else status
                else:
                    status = self._status(key, addr, db) if addr else key.state("e")
                record = harvested.get(key.fingerprint)
                if record is not None and record.state == "pending" and status == "untrusted":
                    status = "pending"
                bound = next(
                    (
                        b.source
                        for b in db.bindings
                        if b.fingerprint == key.fingerprint and b.source
                    ),
                    "",
                )
                source = "harvested" if record is not None else bound or "imported"
                rows.append(
                    {
                        "address": addr,
                        "kind": "pgp",
                        "fingerprint": key.fingerprint,
                        "expires": expires.isoformat() if expires else None,
                        "status": status,
                        "source": source,
                    }
                )
        return rows

    def expiring(self, within: timedelta, *, now: datetime | None = None) -> list[dict[str, Any]]:
        """Rows of keys still in service whose encryption (or signing) ends within `within`."""
        moment = now or datetime.now(UTC)
        out = []
        for row in self.list_keys():
            if row["expires"] is None or row["status"] in ("expired", "revoked"):
                continue
            ends = datetime.fromisoformat(row["expires"])
            if moment <= ends <= moment + within:
                out.append(row)
        return out

    # -- encryption ----------------------------------------------------------------------------

    def _encrypt(self, plaintext: bytes, fingerprints: Sequence[str], sign_with: str | None) -> str:
        recipients = self._check_recipients(fingerprints)
        signer = self._check_signer(sign_with) if sign_with else None
        # --always-trust only now that the gateway's own trust model accepted every recipient.
        result = self._gpg.encrypt(
            plaintext,
            recipients,
            always_trust=True,
            armor=True,
            sign=signer,
            extra_args=["--pinentry-mode", "loopback"] if signer else None,
        )
        if not result.ok:
            raise PgpError(f"gpg encryption failed: {result.status or 'no status'}")
        armored = result.data.decode("ascii")
        if "-----BEGIN PGP MESSAGE-----" not in armored:
            raise PgpError("gpg produced no armored OpenPGP message")
        return armored

    def encrypt_pgp_mime(
        self,
        raw: bytes,
        fingerprints: Sequence[str],
        *,
        sign_with: str | None = None,
        protect_subject: bool = False,
        neutral_subject: str = "Encrypted message",
    ) -> bytes:
        """The message as RFC 3156 multipart/encrypted; see the module docstring for exactness."""
        split = split_message(raw)
        armored = self._encrypt(
            inner_entity(split, protect=protect_subject), fingerprints, sign_with
        )
        version = Entity(
            (
                ("Content-Type", "application/pgp-encrypted"),
                ("Content-Description", "PGP/MIME version identification"),
            ),
            b"Version: 1\r\n",
        )
        data = Entity(
            (
                ("Content-Type", 'application/octet-stream; name="encrypted.asc"'),
                ("Content-Description", "OpenPGP encrypted message"),
                ("Content-Disposition", 'inline; filename="encrypted.asc"'),
            ),
            to_crlf(armored.encode("ascii")),
        )
        encrypted = multipart(
            "encrypted",
            [version.to_bytes(), data.to_bytes()],
            params='protocol="application/pgp-encrypted"',
            preamble=b"This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156).\r\n",
        )
        subject = neutral_subject if protect_subject else None
        return outer_message(split, encrypted, subject=subject, encrypted=True)

    def encrypt_inline(
        self,
        raw: bytes,
        fingerprints: Sequence[str],
        *,
        sign_with: str | None = None,
        neutral_subject: str = "Encrypted message",
    ) -> bytes:
        """Legacy inline PGP for a single text/plain part; anything else raises InlinePgpUnsupported.

        The decoded text is encrypted as UTF-8 with CRLF line ends and the outer part says
        charset utf-8. Inline PGP has no protected headers, so the Subject and every other field
        that may not stay outside become lines at the top of the encrypted text, and the outer
        Subject is `neutral_subject`.
        """
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(msg, EmailMessage)
        if msg.is_multipart():
            raise InlinePgpUnsupported(
                f"inline PGP needs a single text/plain part, not {msg.get_content_type()}; "
                "use PGP/MIME"
            )
        if msg.get_content_type() != "text/plain":
            raise InlinePgpUnsupported(
                f"inline PGP needs text/plain, not {msg.get_content_type()}; use PGP/MIME"
            )
        if msg.get_content_disposition() == "attachment":
            raise InlinePgpUnsupported("inline PGP cannot carry an attachment; use PGP/MIME")
        try:
            text = msg.get_content()
        except (LookupError, UnicodeError) as exc:
            raise InlinePgpUnsupported(
                f"the text part cannot be decoded ({type(exc).__name__}); use PGP/MIME"
            ) from exc
        moved = [
            (name, value)
            for name, value in msg.items()
            if moves_inside(name.lower(), with_subject=True)
        ]
        # The subject leads: a reader sees it where the subject line would be.
        moved.sort(key=lambda item: item[0].lower() != "subject")
        inside = [f"{name}: {_one_line(str(value))}\n" for name, value in moved]
        lead = "".join(inside) + "\n" if inside else ""
        plaintext = to_crlf((lead + str(text).replace("\r\n", "\n")).encode("utf-8"))
        armored = self._encrypt(plaintext, fingerprints, sign_with)
        inline = Entity(
            (
                ("Content-Type", 'text/plain; charset="utf-8"'),
                ("Content-Transfer-Encoding", "7bit"),
            ),
            to_crlf(armored.encode("ascii")),
        )
        return outer_message(split_message(raw), inline, subject=neutral_subject, encrypted=True)
